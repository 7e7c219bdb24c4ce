"""Forms of the core pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from renkou.core import areacodes
from renkou.core.models import AuditEvent
from renkou.core.roles import ROLE_LABELS, Role


class ThrottledLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-ins. This account is locked for a while; try again later "
                       "or ask your county administrator."),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "renkou_throttled", False):
                raise forms.ValidationError(self.error_messages["throttled"], code="throttled") from None
            raise


class UserForm(forms.Form):
    username = forms.RegexField(label=_("Username"), regex=r"^[A-Za-z0-9_.-]{3,40}$",
                                help_text=_("3–40 letters, digits, _ . -"))
    full_name = forms.CharField(label=_("Full name"), max_length=60, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=lambda: [
        (r.value, ROLE_LABELS[r][0 if (get_language() or "zh").startswith("zh") else 1]) for r in Role])
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, min_length=10)
    capture_areas = forms.CharField(label=_("Capture area codes"), required=False,
                                    help_text=_("Codes separated by spaces, e.g. 520122100"))
    view_areas = forms.CharField(label=_("View area codes"), required=False)

    def __init__(self, *args, by=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.by = by

    @staticmethod
    def _codes(text: str) -> list[str]:
        return [areacodes.full_code(c) for c in text.replace(",", " ").split() if c.strip()]

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"username": d["username"], "full_name": d["full_name"], "role": d["role"], "password": d["password"],
                "capture_areas": self._codes(d["capture_areas"]), "view_areas": self._codes(d["view_areas"])}


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", "—")] + list(AuditEvent.Action.choices))
    username = forms.CharField(label=_("User"), required=False)
    object_type = forms.CharField(label=_("Object type"), required=False)
    area = forms.RegexField(label=_("Area code"), regex=r"^\d{2,15}$", required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
