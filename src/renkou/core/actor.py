"""Who is acting: the user behind the current request, CLI command or job (a context variable).

Set by :class:`renkou.core.middleware.ActorMiddleware` for web and API requests and by
:func:`acting_as` for the command line, imports and tests, so that audit records always name a
person or the system, whatever the entry point.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    user: Any | None
    address: str | None = None
    via: str = "web"  # web, api, cli, system
    request: Any | None = None  # for web/API: the user is read from it when needed (token auth sets it late)

    @property
    def effective_user(self) -> Any | None:
        if self.user is not None:
            return self.user
        user = getattr(self.request, "user", None)
        return user if user is not None and getattr(user, "is_authenticated", False) else None


_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("renkou_actor", default=None)


def current() -> Actor | None:
    return _current.get()


@contextlib.contextmanager
def acting_as(user: Any | None, address: str | None = None, via: str = "cli", request: Any | None = None
              ) -> Iterator[Actor]:
    token = _current.set(Actor(user, address, via, request))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)
