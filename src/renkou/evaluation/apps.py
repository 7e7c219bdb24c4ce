from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "renkou.evaluation"
    label = "evaluation"
    verbose_name = _("Target-responsibility assessment")
    default_auto_field = "django.db.models.BigAutoField"
