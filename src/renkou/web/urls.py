from __future__ import annotations

import importlib

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("areas/", views.areas, name="areas"),
    path("areas/<str:code>/", views.area_detail, name="area"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/<int:pk>/", views.audit_detail, name="audit-detail"),
    path("users/", views.users, name="users"),
    path("idnumber/", views.idnumber_check, name="idnumber"),
    path("healthz", views.healthz, name="healthz"),
]

# Modules with pages mount themselves under their name when installed.
for _module in ("registry", "indicators", "evaluation", "demography"):
    try:
        importlib.import_module(f"renkou.{_module}.urls")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"renkou.{_module}.urls":
            raise
        continue
    urlpatterns.append(path(f"{_module}/", include((f"renkou.{_module}.urls", _module))))
