"""Template context: the navigation a user sees depends on what their role may do.

The menu is a few groups (population, statistics, services, exchange, administration); a group whose
user sees one entry only is shown as that entry's link, a group with more as a menu that opens on
hover, focus or tap. Modules add their entries with :func:`add_nav` in their ``ready()``.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from renkou.core.roles import AUDIT_VIEW, ID_CONFIRM, PERSON_VIEW, USER_MANAGE
from renkou.core.scoping import has_perm

# group key -> label; None for entries shown on their own
GROUPS: dict[str, object] = {
    "population": pgettext_lazy("menu", "Population"),
    "statistics": pgettext_lazy("menu", "Statistics"),
    "services": pgettext_lazy("menu", "Services"),
    "exchange": pgettext_lazy("menu", "Data exchange"),
    "admin": pgettext_lazy("menu", "Administration"),
}

# (url name, label, permission or None for every signed-in user, group or None), in menu order
NAV: list[tuple[str, object, str | None, str | None]] = [
    ("home", _("Overview"), None, None),
    ("areas", _("Areas"), None, None),
    ("registry:search", _("Population register"), PERSON_VIEW, "population"),
    ("demography:home", _("Demography"), None, "population"),
    ("indicators:home", _("Indicators"), None, "statistics"),
    ("evaluation:home", _("Assessment"), None, "statistics"),
    ("users", _("Users"), USER_MANAGE, "admin"),
    ("audit", _("Audit log"), AUDIT_VIEW, "admin"),
]


def add_nav(url_name: str, label, perm: str | None, group: str | None, after: str | None = None) -> None:
    """Add a menu entry once (``ready()`` may run more than once), after ``after`` or at its group's end."""
    if any(entry[0] == url_name for entry in NAV):
        return
    position = len(NAV)
    if after is not None:
        position = next((i + 1 for i, entry in enumerate(NAV) if entry[0] == after), position)
    elif group is not None:
        members = [i for i, entry in enumerate(NAV) if entry[3] == group]
        if members:
            position = members[-1] + 1
    NAV.insert(position, (url_name, label, perm, group))


def _visible(request, user):
    for name, label, perm, group in NAV:
        if perm and not has_perm(user, perm):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # module not installed
        active = request.path == url or (url != "/" and request.path.startswith(url))
        yield {"url": url, "label": label, "active": active, "group": group}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items: list[dict] = []
    menus: dict[str, dict] = {}
    for entry in _visible(request, user):
        group = entry["group"]
        if group is None:
            items.append(entry)
            continue
        menu = menus.get(group)
        if menu is None:
            menu = menus[group] = {"label": GROUPS.get(group, group), "entries": [], "active": False,
                                   "key": group}
            items.append(menu)
        menu["entries"].append(entry)
        menu["active"] = menu["active"] or entry["active"]
    # a group of one is that entry's own link
    items = [item["entries"][0] if "entries" in item and len(item["entries"]) == 1 else item for item in items]
    return {"nav": items, "can_confirm_ids": has_perm(user, ID_CONFIRM)}
