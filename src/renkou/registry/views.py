"""Pages of the register. Thin: every query is built with ``scoped()``, every write is a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from renkou.core import audit, idnumber
from renkou.core.roles import DUPLICATE_REVIEW, EVENT_REGISTER, EVENT_VERIFY, PERSON_CAPTURE, PERSON_VIEW
from renkou.core.scoping import CAPTURE, has_perm, require, scoped, scoped_areas

from . import duplicates, services
from .forms import BirthForm, ReasonForm, SearchForm
from .models import DuplicateCandidate, Event, Finding, Household, Person

PAGE = 50


def search_persons(user, q: str):
    """Persons matching an ID number, a name, a pinyin or a household number, within the user's scope."""
    qs = scoped(user, Person).exclude(record_state=Person.Record.MERGED)
    q = (q or "").strip()
    if not q:
        return qs.none()
    cleaned = idnumber.clean(q)
    if len(cleaned) in (15, 18) and cleaned[:17].isdigit():
        return qs.filter(id_number=idnumber.inspect(q).number)
    if q.isascii():
        key = " ".join(q.lower().split())
        return qs.filter(Q(name_pinyin__startswith=key) | Q(name_pinyin=key) |
                         Q(household__number=q) | Q(source_key=q))
    return qs.filter(Q(name__startswith=q) | Q(household__number=q))


def _page(request, qs):
    return Paginator(qs, PAGE).get_page(request.GET.get("page"))


def _fail(request, exc):
    for m in getattr(exc, "messages", [str(exc)]):
        messages.error(request, m)


@login_required
def search(request):
    require(request.user, PERSON_VIEW)
    form = SearchForm(request.GET or None)
    q = form.data.get("q", "") if form.is_bound else ""
    qs = search_persons(request.user, q).select_related("household").order_by("name", "pk")
    return render(request, "registry/search.html", {"form": form, "page": _page(request, qs), "q": q,
                                                    "query": f"q={q}" if q else "",
                                                    "can_declare": has_perm(request.user, PERSON_CAPTURE)})


@login_required
def person_detail(request, pk: int):
    person = services.view_person(request.user, pk)
    events = Event.objects.filter(Q(subject=person) | Q(mother=person) | Q(father=person) | Q(spouse=person)) \
        .select_related("area").order_by("event_date", "pk")
    return render(request, "registry/person.html", {
        "person": person, "events": events, "services": person.services.order_by("date"),
        "children": scoped(request.user, Person).filter(Q(mother=person) | Q(father=person)).order_by("birth_date"),
        "findings": person.findings.filter(status=Finding.Status.OPEN)})


@login_required
def household_detail(request, pk: int):
    require(request.user, PERSON_VIEW)
    household = get_object_or_404(scoped(request.user, Household), pk=pk)
    audit.record("view", household)
    members = scoped(request.user, Person).filter(household=household).order_by("relation_to_head", "birth_date")
    return render(request, "registry/household.html", {"household": household, "members": members})


@login_required
def event_detail(request, pk: int):
    require(request.user, PERSON_VIEW)
    event = get_object_or_404(scoped(request.user, Event).select_related("subject", "mother", "father", "area"),
                              pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step, reason = request.POST.get("step"), form.cleaned_data["reason"]
        actions = {"verify": services.verify_event, "register": services.register_event}
        try:
            if step in actions:
                actions[step](user=request.user, event=event, reason=reason)
            elif step == "reject":
                services.reject_event(user=request.user, event=event, reason=reason)
            elif step == "correction":
                services.request_correction(user=request.user, event=event, reason=reason)
            messages.success(request, _("Saved."))
            return redirect("registry:event", pk=event.pk)
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
    findings = event.findings.order_by("status", "rule")
    u = request.user
    can_act = scoped(u, Event, CAPTURE).filter(pk=event.pk).exists()
    return render(request, "registry/event.html", {
        "event": event, "findings": findings, "form": form,
        "can_verify": can_act and has_perm(u, EVENT_VERIFY) and event.state == "declared",
        "can_register": can_act and has_perm(u, EVENT_REGISTER) and event.state == "verified",
        "can_reject": can_act and has_perm(u, EVENT_VERIFY) and event.state != "registered",
        "can_correct": can_act and has_perm(u, PERSON_CAPTURE)})


@login_required
def declare_birth(request):
    require(request.user, PERSON_CAPTURE)
    areas = scoped_areas(request.user, action=CAPTURE).filter(level__gte=5).order_by("code")[:500]
    persons = scoped(request.user, Person, CAPTURE).filter(status=Person.Status.LIVING,
                                                          record_state=Person.Record.ACTIVE)
    form = BirthForm(request.POST or None, persons=persons, areas=areas)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            event = services.declare_event(
                user=request.user, kind="birth", event_date=d["event_date"],
                registration_date=d["registration_date"], area=d["area"], mother=d["mother"], father=d["father"],
                birth_order=d["birth_order"], plurality=d["plurality"], delivery_place=d["delivery_place"] or "",
                child={"name": d["name"], "sex": d["sex"]})
            messages.success(request, _("The birth was declared and waits for verification."))
            return redirect("registry:event", pk=event.pk)
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
    return render(request, "registry/birth_form.html", {"form": form})


@login_required
def event_queue(request):
    require(request.user, PERSON_VIEW)
    state = request.GET.get("state", "declared")
    qs = scoped(request.user, Event).filter(is_current=True, state=state, flag_rejected=False) \
        .select_related("subject", "area").order_by("registration_date", "pk")
    return render(request, "registry/event_queue.html", {"page": _page(request, qs), "state": state,
                                                         "query": f"state={state}"})


@login_required
def check_queue(request):
    require(request.user, PERSON_VIEW)
    if request.method == "POST":
        finding = get_object_or_404(scoped(request.user, Finding, CAPTURE), pk=request.POST.get("finding"))
        try:
            services.pass_finding(user=request.user, finding=finding, reason=request.POST.get("reason", ""))
            messages.success(request, _("The warning passed with your reason."))
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
        return redirect(reverse("registry:check-queue"))
    qs = scoped(request.user, Finding).filter(status=Finding.Status.OPEN) \
        .select_related("person", "event").order_by("severity", "rule", "pk")
    return render(request, "registry/check_queue.html", {"page": _page(request, qs),
                                                         "can_pass": has_perm(request.user, EVENT_VERIFY)})


@login_required
def duplicate_queue(request):
    require(request.user, PERSON_VIEW)
    qs = scoped(request.user, DuplicateCandidate).filter(status=DuplicateCandidate.Status.OPEN) \
        .select_related("person_a", "person_b").order_by("-score", "pk")
    return render(request, "registry/duplicate_queue.html", {"page": _page(request, qs)})


@login_required
def duplicate_detail(request, pk: int):
    require(request.user, PERSON_VIEW)
    cand = get_object_or_404(scoped(request.user, DuplicateCandidate).select_related("person_a", "person_b"), pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "merge":
                keep = cand.person_a if request.POST.get("keep") == "a" else cand.person_b
                services.merge_persons(user=request.user, candidate=cand, keep=keep, note=request.POST.get("note", ""))
                messages.success(request, _("The records were merged."))
                return redirect("registry:person", pk=keep.pk)
            services.dismiss_duplicate(user=request.user, candidate=cand, note=request.POST.get("note", ""))
            messages.success(request, _("Marked as two different people."))
            return redirect("registry:duplicate-queue")
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
    for p in (cand.person_a, cand.person_b):
        audit.record("view", p, object_repr=f"{p.name} {p.masked_id}", detail={"duplicate_review": cand.pk})
    reasons = [duplicates.REASON_LABELS.get(r, (r, r)) for r in cand.reasons]
    return render(request, "registry/duplicate.html", {"cand": cand, "reasons": reasons,
                                                       "can_decide": has_perm(request.user, DUPLICATE_REVIEW)})
