from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BureauConfig(AppConfig):
    name = "renkou.bureau"
    label = "bureau"
    verbose_name = _("Bureau's own work")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.core.roles import AGGREGATE_VIEW
        from renkou.indicators import providers
        from renkou.web.context import add_nav

        from . import indicators

        add_nav("bureau:home", _("Bureau work"), AGGREGATE_VIEW, "services")

        providers.register("bureau", indicators.OPERANDS, indicators.operand_values, catalog=indicators.CATALOG)
