from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MigrantsConfig(AppConfig):
    name = "renkou.migrants"
    label = "migrants"
    verbose_name = _("Migrants")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pathlib import Path

        from renkou.core.roles import MIGRANT_VIEW
        from renkou.indicators import providers
        from renkou.web.context import add_nav

        from . import exchange_hooks, indicators

        exchange_hooks.connect()
        providers.register("migrants", indicators.OPERANDS, indicators.operand_values,
                           catalog=Path(__file__).parent / "data" / "indicators.yaml")
        add_nav("migrants:home", _("Migrants"), MIGRANT_VIEW, "population")
