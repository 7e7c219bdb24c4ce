"""Template context: the navigation a user sees depends on what their role may do."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from renkou.core.roles import AUDIT_VIEW, ID_CONFIRM, PERSON_VIEW, USER_MANAGE
from renkou.core.scoping import has_perm

# (url name, label, permission or None for every signed-in user). Modules append their entries.
NAV: list[tuple[str, object, str | None]] = [
    ("home", _("Overview"), None),
    ("areas", _("Areas"), None),
    ("registry:search", _("Population register"), PERSON_VIEW),
    ("indicators:home", _("Indicators"), None),
    ("evaluation:home", _("Assessment"), None),
    ("demography:home", _("Demography"), None),
    ("users", _("Users"), USER_MANAGE),
    ("audit", _("Audit log"), AUDIT_VIEW),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = []
    for name, label, perm in NAV:
        if perm and not has_perm(user, perm):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # module not installed
        items.append({"url": url, "label": label, "active": request.path == url or
                      (url != "/" and request.path.startswith(url))})
    return {"nav": items, "can_confirm_ids": has_perm(user, ID_CONFIRM)}
