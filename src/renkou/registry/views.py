"""Pages of the register. Thin: every query is built with ``scoped()``, every write is a service."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.core import audit
from renkou.core.models import Area
from renkou.core.roles import (
    DUPLICATE_REVIEW,
    EVENT_REGISTER,
    EVENT_VERIFY,
    PERSON_CAPTURE,
    PERSON_EXPORT,
    PERSON_VIEW,
)
from renkou.core.scoping import CAPTURE, VIEW, code_in_scope, has_perm, require, scoped, scoped_areas

from . import duplicates, exporter, services
from .forms import (
    KIND_FIELDS,
    BirthForm,
    CorrectionForm,
    EventForm,
    ExportForm,
    ReasonForm,
    SearchForm,
    ServiceForm,
)
from .models import DuplicateCandidate, Event, Finding, Household, Person
from .search import search_persons
from .templatetags.register_words import rule_label

PAGE = 50


def _page(request, qs):
    return Paginator(qs, PAGE).get_page(request.GET.get("page"))


def _fail(request, exc):
    for m in getattr(exc, "messages", [str(exc)]):
        messages.error(request, m)


def _capture_areas(user):
    """Villages (and village groups) where the user enters data: the area pickers of the forms."""
    return scoped_areas(user, action=CAPTURE).filter(level__gte=5, valid_to__isnull=True).order_by("code")[:500]


def _capture_persons(user):
    """Persons a form may name (by ID number or record key): the user's capture scope, merged records excluded."""
    return scoped(user, Person, CAPTURE).exclude(record_state=Person.Record.MERGED)


def _can_capture_person(user, person: Person) -> bool:
    return has_perm(user, PERSON_CAPTURE) and _capture_persons(user).filter(pk=person.pk).exists()


def can_export(user) -> bool:
    """Exports of person-level data need ``person.export`` (``exporter.export`` checks it too)."""
    return has_perm(user, PERSON_EXPORT)


def can_export_unmasked(user) -> bool:
    """Full ID numbers in an export: ``exporter.export`` asks for ``person.export`` as for masked ones;
    the roles table has no narrower permission (yet), so this is the one place to narrow it."""
    return has_perm(user, PERSON_EXPORT)


def _download(path: Path, filename: str) -> FileResponse:
    """Stream a written file and remove it from the disk (the open handle keeps it readable)."""
    fh = open(path, "rb")  # noqa: SIM115 — FileResponse closes it
    os.unlink(path)
    os.rmdir(path.parent)
    return FileResponse(fh, as_attachment=True, filename=filename)


def _tmp_file(suffix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix="renkou-")) / f"export{suffix}"


@login_required
def search(request):
    require(request.user, PERSON_VIEW)
    form = SearchForm(request.GET or None)
    q = form.data.get("q", "") if form.is_bound else ""
    qs = search_persons(request.user, q).select_related("household").order_by("name", "pk")
    page = _page(request, qs)
    audit.record_persons_shown("registry.search", [p.pk for p in page], user=request.user,
                               detail={"q": q, "page_number": page.number})
    return render(request, "registry/search.html", {"form": form, "page": page, "q": q,
                                                    "query": f"q={q}" if q else "",
                                                    "can_declare": has_perm(request.user, PERSON_CAPTURE)})


@login_required
def person_detail(request, pk: int):
    person = services.view_person(request.user, pk)
    events = Event.objects.filter(Q(subject=person) | Q(mother=person) | Q(father=person) | Q(spouse=person)) \
        .select_related("area").order_by("event_date", "pk")
    can_capture = _can_capture_person(request.user, person) and person.record_state != Person.Record.MERGED
    actions = []
    if can_capture:
        if person.status == Person.Status.LIVING:
            kinds = ["death", "marriage", "divorce", "move_out", "residence_change", "migrant_departure"]
            if person.migrant_status not in (Person.Migrant.INFLOW,):
                kinds.append("migrant_arrival")
        else:
            kinds = ["move_in", "migrant_arrival"] if person.status == Person.Status.MOVED_OUT else []
        actions = [(k, Event.Kind(k).label) for k in kinds]
    events = list(events)
    children = list(scoped(request.user, Person).filter(Q(mother=person) | Q(father=person)).order_by("birth_date"))
    # the record itself is audited by view_person; the others the page names (parents, children, the
    # parties of its events) in one more event
    others = {person.mother_id, person.father_id, *(c.pk for c in children),
              *(i for e in events for i in (e.subject_id, e.mother_id, e.father_id, e.spouse_id))} - {person.pk}
    audit.record_persons_shown("registry.person.related", others, user=request.user,
                               area_code=person.audit_area(), detail={"person": person.pk})
    return render(request, "registry/person.html", {
        "person": person, "events": events, "services": person.services.order_by("date"),
        "children": children,
        "findings": person.findings.filter(status=Finding.Status.OPEN).order_by("severity", "rule"),
        "actions": actions, "can_capture": can_capture})


@login_required
def household_detail(request, pk: int):
    require(request.user, PERSON_VIEW)
    household = get_object_or_404(scoped(request.user, Household), pk=pk)
    members = list(scoped(request.user, Person).filter(household=household)
                   .order_by("relation_to_head", "birth_date"))
    audit.record("view", household, detail={"page": "registry.household", "persons": sorted(m.pk for m in members)})
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
    newer = Event.objects.filter(supersedes=event).first()
    audit.record_persons_shown("registry.event", _parties(event), event, user=u)
    return render(request, "registry/event.html", {
        "event": event, "findings": findings, "form": form, "newer": newer,
        "can_verify": can_act and has_perm(u, EVENT_VERIFY) and event.state == "declared",
        "can_register": can_act and has_perm(u, EVENT_REGISTER) and event.state == "verified",
        "can_reject": can_act and has_perm(u, EVENT_VERIFY) and event.state != "registered",
        "can_correct": can_act and has_perm(u, PERSON_CAPTURE),
        "can_submit_correction": can_act and has_perm(u, PERSON_CAPTURE) and event.is_current
        and (event.flag_correction or event.flag_rejected)})


def _parties(event) -> list[int | None]:
    """The persons an event names (its subject, the parents of a birth, the spouse)."""
    return [event.subject_id, event.mother_id, event.father_id, event.spouse_id]


@login_required
def declare_birth(request):
    require(request.user, PERSON_CAPTURE)
    areas = _capture_areas(request.user)
    persons = _capture_persons(request.user)
    initial = {"registration_date": timezone.localdate(), "plurality": 1}
    mother, lookup_error = None, None

    def with_mother(found: Person, ref: str, given: dict) -> None:
        """Fill in what the mother tells: her record, her area, her husband, the next birth order."""
        given.update({"mother": ref, "birth_order": services.next_birth_order(found)})
        given.setdefault("area", found.resident_area_id)
        if found.spouse_id and persons.filter(pk=found.spouse_id).exists():
            given.setdefault("father", f"#{found.spouse_id}")

    parent = request.GET.get("mother") or request.GET.get("person")
    if request.method == "GET" and parent and parent.isdigit():
        mother = get_object_or_404(persons, pk=parent)
        with_mother(mother, f"#{mother.pk}", initial)
    if request.method == "POST" and request.POST.get("lookup"):
        # "Look up the mother": show her name and suggest the birth order; nothing is declared yet.
        given = {k: v for k, v in request.POST.items() if k in BirthForm.base_fields and v}
        given.pop("birth_order", None)
        form = BirthForm(persons=persons, areas=areas, initial={**initial, **given})
        try:
            mother = form.look_up_mother(request.POST.get("mother", ""))
            with_mother(mother, request.POST["mother"].strip(), given)
            form = BirthForm(persons=persons, areas=areas, initial={**initial, **given})
        except ValidationError as exc:
            lookup_error = exc.messages
        return render(request, "registry/birth_form.html", {
            "form": form, "kind_label": Event.Kind.BIRTH.label, "mother": mother, "lookup_error": lookup_error,
            "children": services.next_birth_order(mother) - 1 if mother else None})
    form = BirthForm(request.POST or None, persons=persons, areas=areas, initial=initial)
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
    if isinstance(getattr(form, "cleaned_data", {}).get("mother"), Person):
        mother = form.cleaned_data["mother"]
    return render(request, "registry/birth_form.html", {
        "form": form, "kind_label": Event.Kind.BIRTH.label, "mother": mother,
        "children": services.next_birth_order(mother) - 1 if mother else None})


@login_required
def event_queue(request):
    require(request.user, PERSON_VIEW)
    state = request.GET.get("state", "declared")
    if state not in services.QUEUE_STATES:
        state = "declared"
    scope = _queue_scope(request)
    qs = services.event_queue(request.user, state, scope).select_related("subject", "area") \
        .order_by("registration_date", "pk")
    page = _page(request, qs)
    audit.record_persons_shown("registry.event_queue", [e.subject_id for e in page], user=request.user,
                               detail={"state": state, "page_number": page.number, "events": [e.pk for e in page]})
    return render(request, "registry/event_queue.html", {"page": page, "state": state,
                                                         "query": f"state={state}&scope={scope}"})


def _queue_scope(request) -> str:
    """``?scope=capture``: the queue of the user's capture areas (their own work), else every viewable row."""
    return CAPTURE if request.GET.get("scope") == CAPTURE else VIEW


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
        return redirect(request.get_full_path())
    scope, rule = _queue_scope(request), request.GET.get("rule", "").strip()
    qs = services.finding_queue(request.user, scope, rule).select_related("person", "event") \
        .order_by("severity", "rule", "pk")
    query = f"scope={scope}" + (f"&rule={rule}" if rule else "")
    page = _page(request, qs)
    audit.record_persons_shown("registry.check_queue", [f.person_id for f in page], user=request.user,
                               detail={"page_number": page.number, "findings": [f.pk for f in page]})
    return render(request, "registry/check_queue.html", {"page": page, "query": query, "rule": rule,
                                                         "can_pass": has_perm(request.user, EVENT_VERIFY)})


# ----------------------------------------------------------------------------------- declarations


@login_required
def declare_index(request):
    """The kinds of event a capture user may declare, each with its form."""
    require(request.user, PERSON_CAPTURE)
    kinds = [("birth", Event.Kind.BIRTH.label, reverse("registry:declare-birth"))]
    kinds += [(k, Event.Kind(k).label, reverse("registry:declare-event", args=[k])) for k in KIND_FIELDS]
    return render(request, "registry/declare_index.html", {"kinds": kinds})


@login_required
def declare_event(request, kind: str):
    """Declaration of any event other than a birth; the person named by ID number, record key or ``?person=``."""
    if kind not in KIND_FIELDS:
        raise Http404(kind)
    require(request.user, PERSON_CAPTURE)
    persons = _capture_persons(request.user)
    subject = None
    initial = {"registration_date": timezone.localdate()}
    if (request.GET.get("person") or "").isdigit():
        subject = get_object_or_404(persons, pk=request.GET["person"])
        initial.update({"subject": f"#{subject.pk}", "area": subject.resident_area_id})
        if kind in ("death", "divorce") and subject.spouse_id and persons.filter(pk=subject.spouse_id).exists():
            initial["spouse"] = f"#{subject.spouse_id}"
        if kind in ("move_out", "migrant_departure"):
            initial["area"] = subject.resident_area_id
    form = EventForm(request.POST or None, kind=kind, persons=persons, areas=_capture_areas(request.user),
                     initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        fields = {"kind": kind, "event_date": d["event_date"], "registration_date": d["registration_date"],
                  "area": d["area"], "note": d.get("note") or "", "subject": d.get("subject")}
        if d.get("spouse") is not None:
            fields["spouse"] = d["spouse"]
        for k in ("from_code", "to_code"):
            if k in form.fields:
                fields[k] = (d.get(k) or "").strip()
        if kind == "residence_change" and d.get("subject") is not None:
            fields["from_code"], fields["to_code"] = d["subject"].resident_area_id or "", d["area"]
        try:
            event = services.declare_event(user=request.user, newcomer=form.newcomer(), **fields)
            messages.success(request, _("The %(kind)s was declared and waits for verification.")
                             % {"kind": event.get_kind_display()})
            return redirect("registry:event", pk=event.pk)
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
    if subject is not None:
        audit.record_persons_shown("registry.declare_event", [subject.pk], subject, user=request.user,
                                   detail={"kind": kind})
    return render(request, "registry/event_form.html", {
        "form": form, "kind": kind, "kind_label": Event.Kind(kind).label, "subject": subject})


@login_required
def correct_event(request, pk: int):
    """A corrected version of an event whose correction was requested (or that was rejected)."""
    require(request.user, PERSON_CAPTURE)
    event = get_object_or_404(scoped(request.user, Event, CAPTURE)
                              .select_related("subject", "mother", "father", "spouse", "area"), pk=pk)
    if not event.is_current:
        messages.error(request, _("Only the current version of an event can be corrected."))
        return redirect("registry:event", pk=event.pk)
    form = CorrectionForm(request.POST or None, event=event, persons=_capture_persons(request.user),
                          areas=_capture_areas(request.user))
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        changes["area"] = get_object_or_404(Area, pk=changes.pop("area_id"))
        try:
            new = services.correct_event(user=request.user, event=event, **changes)
            messages.success(request, _("The corrected version was declared and waits for verification."))
            return redirect("registry:event", pk=new.pk)
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
    audit.record_persons_shown("registry.correct_event", _parties(event), event, user=request.user)
    return render(request, "registry/correction_form.html", {"form": form, "event": event})


@login_required
def record_service(request, pk: int):
    """A voluntary service received by a person (服务记录), with the person's consent noted."""
    require(request.user, PERSON_CAPTURE)
    person = get_object_or_404(_capture_persons(request.user), pk=pk)
    form = ServiceForm(request.POST or None, areas=_capture_areas(request.user),
                       initial={"date": timezone.localdate(), "area": person.resident_area_id})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.record_service(user=request.user, person=person, type=d["type"], date=d["date"],
                                    provider=d["provider"], area=d["area"], outcome=d["outcome"] or "",
                                    method=d["method"] or "", consent_noted=d["consent_noted"])
            messages.success(request, _("The service was recorded."))
            return redirect("registry:person", pk=person.pk)
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
    audit.record_persons_shown("registry.record_service", [person.pk], person, user=request.user)
    return render(request, "registry/service_form.html", {"form": form, "person": person})


# ----------------------------------------------------------------------------------- check report


def _default_area(user) -> str | None:
    for rel in (user.capture_areas, user.view_areas):
        code = rel.order_by("level", "code").values_list("code", flat=True).first()
        if code:
            return code
    return scoped_areas(user).filter(level=Area.Level.COUNTY).order_by("code").values_list("code", flat=True).first()


@login_required
def check_report(request):
    """Batch check report of an area (逻辑校验报告): run the checks, counts by rule, open findings, download."""
    from renkou.web import charts

    require(request.user, PERSON_VIEW)
    user = request.user
    code = request.POST.get("area") or request.GET.get("area") or _default_area(user)
    area = get_object_or_404(scoped_areas(user), code=code) if code else None
    if area is None:
        raise Http404("no area")
    url = f"{reverse('registry:check-report')}?area={area.code}"
    if request.method == "POST":
        try:
            counts = services.batch_check(user=user, area_code=area.code)
            messages.success(request, _("Checked %(persons)s persons and %(events)s events: %(errors)s errors, "
                                        "%(warnings)s warnings open.") % counts)
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
        return redirect(url)
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "csv"):
        if not can_export(user):
            raise PermissionDenied(_("Your role may not export person-level data."))
        path = _tmp_file(f".{fmt}")
        services.write_findings_report(user=user, area_code=area.code, path=path)
        return _download(path, f"checks-{area.code}-{timezone.localdate():%Y%m%d}.{fmt}")
    findings = services.open_findings(user, area.code)
    counts = services.finding_counts(findings)
    labels = dict(Finding.Severity.choices)
    for r in counts:
        r["severity_label"] = str(labels.get(r["severity"], r["severity"]))
    chart = None
    if counts:
        chart = charts.bar([{"rule": rule_label(r["rule"]), "n": r["n"], "severity": r["severity_label"]}
                            for r in counts],
                           x="rule", y="n", color="severity", sort=None, horizontal=True,
                           title=_("Open findings by rule · %(area)s") % {"area": area.name},
                           x_title=_("Rule"), y_title=_("Findings"))
        enc = chart["layer"][0]["encoding"]
        enc.pop("yOffset", None)  # errors and warnings of one rule stacked in one bar
        top = max(r["n"] for r in counts)
        enc["x"]["axis"] = {"format": "d", **({"values": list(range(top + 1))} if top <= 10 else {"tickMinStep": 1})}
        enc["color"]["scale"] = {"domain": [str(labels["error"]), str(labels["warning"])],
                                 "range": ["#b3261e", "#e08a00"]}
    qs = findings.select_related("person", "event", "event__subject").order_by("severity", "rule", "pk")
    page = _page(request, qs)
    audit.record_persons_shown("registry.check_report", [i for f in page for i in (f.person_id, f.event and
                                                                                  f.event.subject_id)],
                               user=user, area_code=area.code,
                               detail={"page_number": page.number, "findings": [f.pk for f in page]})
    areas = scoped_areas(user).filter(level__in=(Area.Level.COUNTY, Area.Level.TOWNSHIP, Area.Level.VILLAGE)) \
        .order_by("code")[:1000]
    return render(request, "registry/check_report.html", {
        "area": area, "areas": areas, "counts": counts, "total": sum(r["n"] for r in counts), "chart": chart,
        "page": page, "query": f"area={area.code}",
        "can_run": has_perm(user, PERSON_CAPTURE) and code_in_scope(user, area.code, CAPTURE),
        "can_download": can_export(user)})


# ------------------------------------------------------------------------------------------ export


@login_required
def export_page(request):
    """Download persons, households, events or services of an area (scoped, masked by default, audited)."""
    require(request.user, PERSON_VIEW)
    user = request.user
    allowed = can_export(user)
    areas = scoped_areas(user).filter(level__in=(Area.Level.COUNTY, Area.Level.TOWNSHIP, Area.Level.VILLAGE)) \
        .order_by("code")[:1000]
    form = ExportForm(request.POST or None, areas=areas, allow_unmasked=can_export_unmasked(user),
                      initial={"area": _default_area(user)})
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied(_("Your role may not export person-level data."))
        if form.is_valid():
            d = form.cleaned_data
            path = _tmp_file(f".{d['format']}")
            try:
                exporter.export(user=user, kind=d["kind"], path=path, area_code=d["area"], unmasked=d["unmasked"],
                                layout=d["layout"])
            except PermissionDenied:
                os.unlink(path) if path.exists() else None
                os.rmdir(path.parent)
                raise
            name = f"{d['kind']}-{d['area']}-{timezone.localdate():%Y%m%d}{'' if not d['unmasked'] else '-unmasked'}"
            return _download(path, f"{name}.{d['format']}")
    return render(request, "registry/export.html", {"form": form, "allowed": allowed})


@login_required
def duplicate_queue(request):
    require(request.user, PERSON_VIEW)
    scope = _queue_scope(request)
    qs = services.duplicate_queue(request.user, scope).select_related("person_a", "person_b").order_by("-score", "pk")
    page = _page(request, qs)
    audit.record_persons_shown("registry.duplicate_queue", [i for c in page for i in (c.person_a_id, c.person_b_id)],
                               user=request.user, detail={"page_number": page.number, "candidates": [c.pk for c in page]})
    return render(request, "registry/duplicate_queue.html", {"page": page, "query": f"scope={scope}"})


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
