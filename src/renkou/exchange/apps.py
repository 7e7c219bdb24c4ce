from __future__ import annotations

from pathlib import Path

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "renkou.exchange"
    label = "exchange"
    verbose_name = _("Exchange between nodes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.core.roles import EXCHANGE_VIEW
        from renkou.indicators import providers
        from renkou.web.context import add_nav

        from . import indicators, services  # noqa: F401  (services registers the exchange's own handlers)

        add_nav("exchange:home", _("Information exchange"), EXCHANGE_VIEW, "exchange")

        providers.register("exchange", indicators.OPERANDS, indicators.operand_values,
                           catalog=Path(__file__).parent / "data" / "indicators.yaml")
