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
        from renkou.core.roles import FEED_MANAGE
        from renkou.indicators import providers
        from renkou.web.context import add_nav

        from . import indicators

        add_nav("feeds:home", _("Department feeds"), FEED_MANAGE, "exchange")

        providers.register("feeds", indicators.OPERANDS, indicators.operand_values,
                           catalog=Path(__file__).parent / "data" / "indicators.yaml")
