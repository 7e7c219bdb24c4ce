from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "renkou.evaluation"
    label = "evaluation"
    verbose_name = _("Target-responsibility assessment")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.core.roles import VERIFICATION_WORK
        from renkou.core.scoping import link

        from .services import sampled_persons

        # the persons of a verification sample, read by its assessment managers (field sheets)
        link(VERIFICATION_WORK, sampled_persons)
