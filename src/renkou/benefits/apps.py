from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "renkou.benefits"
    label = "benefits"
    verbose_name = _("Benefits")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.core.roles import BENEFIT_VIEW
        from renkou.indicators import providers

        from . import indicators

        providers.register("benefits", indicators.OPERANDS, indicators.operand_values, catalog=indicators.CATALOG)
        from renkou.web.context import add_nav

        add_nav("benefits:home", _("Benefits"), BENEFIT_VIEW, "services")
