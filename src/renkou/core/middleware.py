"""Middleware: the acting user for audit, and security headers Django 5.2 does not set itself."""

from __future__ import annotations

from . import actor


class ActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        via = "api" if request.path.startswith("/api/") else "web"
        with actor.acting_as(None, request.META.get("REMOTE_ADDR"), via, request=request):
            return self.get_response(request)


CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
       "object-src 'none'")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/docs"):
            # The OpenAPI page loads its own scripts inline.
            response.headers.setdefault("Content-Security-Policy", CSP.replace(
                "script-src 'self'", "script-src 'self' 'unsafe-inline'"))
        else:
            response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/static/"):
            # Pages of a signed-in user may show personal data: keep them out of shared caches and history.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class ChineseFirstMiddleware:
    """zh-Hans unless the user chose otherwise: the browser's Accept-Language is not consulted
    (office machines often run English browsers), the language switch (cookie) is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        if not getattr(settings, "RENKOU_HONOUR_BROWSER_LANGUAGE", False):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
