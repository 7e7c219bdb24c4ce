from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "renkou.exchange"
    label = "exchange"
    verbose_name = _("Exchange between nodes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import services  # noqa: F401  (registers the exchange's own handlers)
