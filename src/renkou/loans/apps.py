from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "renkou.loans"
    label = "loans"
    verbose_name = _("Happiness Project loans")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.core.roles import LOAN_WORK
        from renkou.core.scoping import link
        from renkou.indicators import providers

        from . import indicators, services

        link(LOAN_WORK, services.loan_links)
        providers.register("loans", indicators.OPERANDS, indicators.operand_values, catalog=indicators.CATALOG)
