"""Django app of the demography pages (no models: the library itself stays free of Django)."""

from __future__ import annotations

from django.apps import AppConfig


class DemographyConfig(AppConfig):
    name = "renkou.demography"
    label = "demography"
    verbose_name = "人口学分析 / demography"
