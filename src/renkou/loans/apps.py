from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "renkou.loans"
    label = "loans"
    verbose_name = _("Happiness Project loans")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.core.roles import LOAN_VIEW, LOAN_WORK
        from renkou.core.scoping import link
        from renkou.indicators import providers

        from . import indicators, services

        link(LOAN_WORK, services.loan_links)
        providers.register("loans", indicators.OPERANDS, indicators.operand_values, catalog=indicators.CATALOG)
        from renkou.web.context import NAV

        if not any(name == "loans:home" for name, _l, _p in NAV):
            at = next((i + 1 for i, (name, _l, _p) in enumerate(NAV) if name == "benefits:home"), len(NAV))
            NAV.insert(at, ("loans:home", _("Loans"), LOAN_VIEW))
