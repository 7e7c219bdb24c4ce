"""The JSON API (django-ninja): one ``NinjaAPI`` with a router per module; OpenAPI at /api/docs.

Authentication: a bearer token of a machine peer, else the browser session (with CSRF).

The token is tried first: a request that carries ``Authorization: Bearer …`` and no session cookie
is not exposed to cross-site request forgery (a browser never adds that header by itself), so it
needs no CSRF token. A request authenticated by the session cookie still needs one on every unsafe
method; one without the cookie is not checked for CSRF, only refused (401) when it has no token.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from ninja import NinjaAPI
from ninja.security import APIKeyCookie, HttpBearer

from renkou.core.auth import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user  # the audit actor is read from the request, so token calls are attributed
        return user


class SessionAuth(APIKeyCookie):
    """The session cookie, CSRF-checked (django-ninja's check) whenever the cookie is sent."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        if self.param_name not in request.COOKIES:
            return None  # no cookie, nothing a forged request could ride on: no CSRF check, no user
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


api = NinjaAPI(title="Renkou API", version="1", auth=[BearerToken(), SessionAuth(csrf=True)],
               description="人口信息系统接口 / Renkou information system API", urls_namespace="api")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "forbidden"}, status=403)


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


def _register_routers() -> None:
    from renkou.core.api import router as core_router

    api.add_router("/", core_router)
    import importlib

    for module in ("registry", "indicators", "evaluation", "benefits", "loans", "feeds", "exchange", "migrants",
                   "bureau"):
        try:
            mod = importlib.import_module(f"renkou.{module}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"renkou.{module}.api":
                raise
            continue
        api.add_router(f"/{module}/", mod.router)


_register_routers()
