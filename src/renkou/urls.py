"""URL map: pages (web), API (/api/, OpenAPI at /api/docs), admin (/admin/, system administrators only)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from renkou.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("benefits/", include(("renkou.benefits.urls", "benefits"))),
    path("loans/", include(("renkou.loans.urls", "loans"))),
    path("bureau/", include(("renkou.bureau.urls", "bureau"))),
    path("feeds/", include(("renkou.feeds.urls", "feeds"))),
    path("migrants/", include(("renkou.migrants.urls", "migrants"))),
    path("exchange/", include(("renkou.exchange.urls", "exchange"))),
    path("", include("renkou.web.urls")),
]
