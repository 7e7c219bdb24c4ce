from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "renkou.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from .dashboard import PANELS
        from .seed_panel import seed_panel

        if seed_panel not in PANELS:
            PANELS.insert(0, seed_panel)
