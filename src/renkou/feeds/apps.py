from __future__ import annotations

from pathlib import Path

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedsConfig(AppConfig):
    name = "renkou.feeds"
    label = "feeds"
    verbose_name = _("Department feeds")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.indicators import providers

        from . import indicators

        providers.register("feeds", indicators.OPERANDS, indicators.operand_values,
                           catalog=Path(__file__).parent / "data" / "indicators.yaml")
