from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "renkou.registry"
    label = "registry"
    verbose_name = _("Population register")
    default_auto_field = "django.db.models.BigAutoField"
