from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "renkou.indicators"
    label = "indicators"
    verbose_name = _("Indicators")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals

        signals.connect()
        try:
            from renkou.web.dashboard import PANELS

            from .views import home_panel
        except ImportError:  # pragma: no cover - web app absent
            return
        if home_panel not in PANELS:
            PANELS.append(home_panel)
