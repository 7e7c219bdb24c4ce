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
        from renkou.web.context import NAV

        if not any(name == "benefits:home" for name, _l, _p in NAV):
            NAV.insert(5, ("benefits:home", _("Benefits"), BENEFIT_VIEW))
