"""Handlers applied to received messages: ``register(kind, fn)``; ``fn(message)`` runs inside the
inbox transaction when a message of that kind is applied. Several handlers per kind run in the
order they were registered; an exception rolls the whole application back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from .messages import KINDS

_HANDLERS: dict[str, list[Callable]] = defaultdict(list)


def register(kind: str, fn: Callable) -> Callable:
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}: one of {', '.join(KINDS)}")
    if fn not in _HANDLERS[kind]:
        _HANDLERS[kind].append(fn)
    return fn


def handlers_for(kind: str) -> list[Callable]:
    return list(_HANDLERS.get(kind, ()))


def apply(message) -> None:
    for fn in handlers_for(message.kind):
        fn(message)
