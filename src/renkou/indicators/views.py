"""Pages of the indicators module (thin: the work is in services)."""

from __future__ import annotations


def home_panel(user):
    return None
