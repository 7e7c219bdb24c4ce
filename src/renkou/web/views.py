"""Pages of the core: sign-in, overview, areas, ID-number check, users, audit log. Thin: logic is in services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from renkou.core import areacodes, idnumber, services
from renkou.core.audit_query import filtered_events, shown
from renkou.core.models import Area, AuditEvent, User
from renkou.core.roles import AUDIT_VIEW, ID_CONFIRM, ROLE_LABELS, USER_MANAGE, Role
from renkou.core.scoping import area_prefixes, assigned_prefixes, has_perm, require, scoped_areas

from . import forms, inbox
from .dashboard import overview


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    form_class = forms.ThrottledLoginForm
    redirect_authenticated_user = True


@login_required
def home(request):
    return render(request, "web/home.html", {"overview": overview(request.user), "inbox": inbox.for_user(request.user)})


@login_required
def areas(request):
    prefixes = assigned_prefixes(request.user)
    if prefixes is None:
        roots = Area.objects.filter(level=1)
    else:
        roots = Area.objects.filter(code__in=[areacodes.full_code(p) for p in prefixes])
    q = request.GET.get("q", "").strip()
    found = None
    if q:
        found = scoped_areas(request.user).filter(name__contains=q)[:50] if not q.isdigit() else \
            scoped_areas(request.user).filter(code__startswith=q)[:50]
    return render(request, "web/areas.html", {"roots": roots.order_by("code"), "q": q, "found": found})


@login_required
def area_detail(request, code: str):
    area = get_object_or_404(Area, code=areacodes.full_code(code))
    if not scoped_areas(request.user).filter(code=area.code).exists():
        # An area above the user's scope is shown only as a path element, never with its subtree.
        raise Http404
    children = area.children.order_by("code")
    page = Paginator(children, 100).get_page(request.GET.get("page"))
    i = 0 if (get_language() or "zh").startswith("zh") else 1  # (Chinese, English) labels
    kinds = {c.code: areacodes.TOWNSHIP_KIND_LABELS[areacodes.township_kind(c.code)][i]
             for c in page if c.level == 4}
    return render(request, "web/area.html", {"area": area, "ancestors": area.ancestors(), "page": page,
                                             "kinds": kinds,
                                             "urban_rural": areacodes.URBAN_RURAL.get(area.urban_rural, ("", ""))[i]})


@login_required
def idnumber_check(request):
    number = (request.POST.get("number") or request.GET.get("number") or "").strip()
    info = idnumber.inspect(number) if number else None
    if request.method == "POST" and request.POST.get("confirm"):
        try:
            services.confirm_id_number(user=request.user, number=number, reason=request.POST.get("reason", ""))
            messages.success(request, _("The number was confirmed and may now be registered."))
            return redirect(f"{request.path}?number={number}")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
    confirmed = None
    if info and info.needs_confirmation:
        from renkou.core.models import IdNumberConfirmation

        confirmed = IdNumberConfirmation.objects.filter(number=info.number).select_related("confirmed_by").first()
    return render(request, "web/idnumber.html", {
        "number": number, "info": info, "masked": idnumber.mask(info.number) if info else "",
        "confirmed": confirmed, "can_confirm": has_perm(request.user, ID_CONFIRM)})


@login_required
def users(request):
    require(request.user, USER_MANAGE)
    form = forms.UserForm(request.POST or None, by=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_user(by=request.user, **form.service_kwargs())
            messages.success(request, _("Account %(name)s created.") % {"name": user.username})
            return redirect("users")
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, "; ".join(getattr(exc, "messages", [str(exc)])))
    prefixes = area_prefixes(request.user, "capture")
    qs = User.objects.prefetch_related("capture_areas", "view_areas").order_by("username")
    if prefixes is not None:
        from django.db.models import Q

        q = Q(pk__in=[])
        for p in prefixes:
            q |= Q(capture_areas__code__startswith=p) | Q(view_areas__code__startswith=p)
        qs = qs.filter(q).distinct()
    return render(request, "web/users.html", {"form": form, "page": Paginator(qs, 50).get_page(request.GET.get("page")),
                                              "roles": {r.value: ROLE_LABELS[r] for r in Role}})


@login_required
def audit_log(request):
    require(request.user, AUDIT_VIEW)
    f = forms.AuditFilterForm(request.GET or None)
    filters = f.cleaned_data if f.is_valid() else {}
    qs = filtered_events(request.user, **{k: v for k, v in filters.items() if v})
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    events = [shown(request.user, e, entitled=False) for e in page]  # personal data masked in the list
    return render(request, "web/audit.html", {"form": f, "page": page, "events": events, "query": query.urlencode(),
                                              "actions": AuditEvent.Action.choices})


@login_required
def audit_detail(request, pk: int):
    """One event; personal data masked, in full (``?full=1``, itself audited) for a reader entitled to it."""
    require(request.user, AUDIT_VIEW)
    event = get_object_or_404(filtered_events(request.user), pk=pk)
    view = shown(request.user, event, full=request.GET.get("full") == "1")
    keys = sorted(set(event.before or {}) | set(event.after or {}))
    before, after = view.before or {}, view.after or {}
    rows = [{"field": k, "before": before.get(k), "after": after.get(k),
             "changed": (event.before or {}).get(k) != (event.after or {}).get(k)} for k in keys]
    return render(request, "web/audit_detail.html", {"event": view, "rows": rows})


@require_GET
def healthz(request):
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor, "time": dt.datetime.now().isoformat()})
