from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "renkou.core"
    label = "core"
    verbose_name = _("Core: areas, accounts, audit")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (login audit, write audit)
