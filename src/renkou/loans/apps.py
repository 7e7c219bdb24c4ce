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
        from renkou.core.templatetags import audit_display
        from renkou.indicators import providers
        from renkou.web.context import add_nav

        from . import indicators, services

        link(LOAN_WORK, services.loan_links)
        add_nav("loans:home", _("Loans"), LOAN_VIEW, "services", after="benefits:home")
        providers.register("loans", indicators.OPERANDS, indicators.operand_values, catalog=indicators.CATALOG)
        # the pages and detail keys the loans module records in the audit log, named in words there
        audit_display.PAGES.update({"loans.inbox": _("loans application inbox"), "loans.sheet": _("collection sheet"),
                                    "loans.loan_list": _("list of loans"), "loans.agreement": _("loan agreement")})
        audit_display.DETAIL_KEYS.update({
            "committee": _("city committee"), "office": _("project office"), "township": _("township"),
            "guarantor": _("village guarantor"), "mother": _("the mother"), "rescheduled": _("rescheduled"),
            "collections": _("collections"), "fen": _("amount (fen)"), "as_of": _("as of")})
