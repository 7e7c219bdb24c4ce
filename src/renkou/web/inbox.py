"""The home page's task list (待办事项): what waits for the signed-in user, by role.

One plain function per role returns the items of that role's list — each a count and the page
where the work is done. Person-level rows (events, findings, duplicates, completions, sampled
households) are counted on querysets built by the one scoping function
(:func:`renkou.core.scoping.scoped`), through the same queue functions as the pages the items
link to, so a count is the length of the list its link opens.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.core.roles import (
    AGGREGATE_APPROVE,
    AGGREGATE_CAPTURE,
    AGGREGATE_VIEW,
    ASSESSMENT_MANAGE,
    AUDIT_VIEW,
    DUPLICATE_REVIEW,
    EVENT_REGISTER,
    EVENT_VERIFY,
    ID_CONFIRM,
    PERSON_CAPTURE,
    PERSON_VIEW,
    Role,
)
from renkou.core.scoping import CAPTURE, VIEW, code_in_scope, has_perm, scoped, scoped_areas

ROWS = 8  # lines shown under an item whose link opens the whole list; the count is always the whole number
FORM_ROWS = 60  # the forms have no list page: their lines are all shown, up to this many
AUDIT_DAYS = 30  # "recent" in the auditor's list


@dataclass
class Row:
    """One line of an item's list (a form to report, a run in progress, a recent export); the first
    cell links to where the work is done."""

    cells: tuple[str, ...]
    url: str = ""
    late: bool = False


@dataclass
class Item:
    key: str
    label: str
    count: int
    url: str = ""
    hint: str = ""
    rows: list[Row] = field(default_factory=list)
    columns: tuple[str, ...] = ()


@dataclass
class Inbox:
    role: str
    items: list[Item]
    intro: str = ""
    can_do: list[tuple[str, str]] = field(default_factory=list)  # (label, url) of pages open to the role

    def by_key(self) -> dict[str, Item]:
        return {i.key: i for i in self.items}


def _url(name: str, **query) -> str:
    base = reverse(name)
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


# ------------------------------------------------------------------------------------- register


def register_items(user, *, action: str = CAPTURE) -> list[Item]:
    """Events, findings, duplicates and ID numbers waiting in the user's capture areas."""
    from renkou.registry import services as registry

    items = []
    if has_perm(user, EVENT_VERIFY):
        items.append(Item("events_to_verify", _("Declared events to verify"),
                          registry.event_queue(user, "declared", action).count(),
                          _url("registry:event-queue", state="declared", scope=action)))
    if has_perm(user, EVENT_REGISTER):
        items.append(Item("events_to_register", _("Verified events to register"),
                          registry.event_queue(user, "verified", action).count(),
                          _url("registry:event-queue", state="verified", scope=action)))
    if has_perm(user, PERSON_CAPTURE):
        items.append(Item("events_returned", _("Events returned for correction"),
                          registry.event_queue(user, "returned", action).count(),
                          _url("registry:event-queue", state="returned", scope=action),
                          _("Rejected or a correction requested: declare a corrected version.")))
    if has_perm(user, PERSON_VIEW):
        items.append(Item("findings", _("Logic-check findings to resolve"),
                          registry.finding_queue(user, action).count(),
                          _url("registry:check-queue", scope=action)))
        may_decide = has_perm(user, DUPLICATE_REVIEW)
        items.append(Item("duplicates", _("Probable duplicates to review") if may_decide
                          else _("Probable duplicates in your areas"),
                          registry.duplicate_queue(user, action).count(),
                          _url("registry:duplicate-queue", scope=action),
                          "" if may_decide else _("The county office decides; check the records you know.")))
    if has_perm(user, ID_CONFIRM):
        items.append(Item("ids_to_confirm", _("ID numbers to confirm"),
                          registry.finding_queue(user, action, "id_check_digit").count(),
                          _url("registry:check-queue", scope=action, rule="id_check_digit"),
                          _("The check character disagrees: confirm a number only against the ID card.")))
    return items


# ------------------------------------------------------------------------------------ aggregates


def _month_end(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _entry(dataset, area, period: str) -> str:
    return _url("indicators:entry", dataset=dataset.code, area=area.code, period=period)


def _lang() -> str:
    from django.utils.translation import get_language

    return "en" if (get_language() or "").startswith("en") else "zh"


def _form_name(dataset) -> str:
    return dataset.name_en if _lang() == "en" else dataset.name_zh


def _scheme_name(scheme) -> str:
    return scheme.name_en if _lang() == "en" else scheme.name_zh


def forms_due(user, today: dt.date | None = None) -> list[Row] | None:
    """Forms due by the end of this month (or overdue) not yet reported for an area the user reports for.

    The period of a form is the latest one that has ended (November's monthly form in December);
    it is due ``due_days`` after its end. Areas are those of the form's capture level in the user's
    capture areas. ``None`` when the user reports no form at all (a village officer: forms are
    reported by townships).
    """
    from renkou.core.periods import Period
    from renkou.indicators.models import Completion, DataSet

    if not has_perm(user, AGGREGATE_CAPTURE):
        return None
    today = _today(today)
    out, applicable = [], False
    for ds in DataSet.objects.order_by("code"):
        period = Period.containing(ds.period_type, today).previous()
        due = period.end + dt.timedelta(days=ds.due_days)
        areas = list(scoped_areas(user, action=CAPTURE).filter(level=ds.capture_level, valid_to__isnull=True)
                     .order_by("code"))
        applicable = applicable or bool(areas)
        if not areas or due > _month_end(today):
            continue
        done = set(scoped(user, Completion, CAPTURE).filter(dataset=ds, period=period.code)
                   .values_list("area_id", flat=True))
        for a in areas:
            if a.code not in done:
                out.append(Row((_form_name(ds), a.name, period.label(_lang()), due.isoformat()),
                               _entry(ds, a, period.code), late=due < today))
    out.sort(key=lambda r: not r.late)  # overdue first, each group in the order of the forms and areas
    return out if applicable else None


def approvals_waiting(user) -> list[Row]:
    """Reported forms whose next approval is the user's: the levels below have approved, theirs has not."""
    from renkou.core import areacodes
    from renkou.core.periods import Period
    from renkou.indicators.aggregate import user_at_level
    from renkou.indicators.models import Approval, Completion

    if not has_perm(user, AGGREGATE_APPROVE):
        return []
    have: dict[tuple[int, str, str], set[int]] = {}
    for ds, area, period, level in scoped(user, Approval, CAPTURE).values_list("dataset_id", "area_id", "period",
                                                                                "level"):
        have.setdefault((ds, area, period), set()).add(level)
    out = []
    for c in scoped(user, Completion, CAPTURE).select_related("dataset", "area").order_by("period", "area_id"):
        chain = sorted((lv for lv in (c.dataset.approval_levels or []) if lv <= c.area.level), reverse=True)
        done = have.get((c.dataset_id, c.area_id, c.period), set())
        waiting = next((lv for lv in chain if lv not in done), None)
        if waiting is None or not user_at_level(user, waiting):
            continue
        ancestor = areacodes.full_code(c.area_id[: areacodes.LEVEL_DIGITS[waiting]])
        if code_in_scope(user, ancestor, CAPTURE):
            out.append(Row((_form_name(c.dataset), c.area.name, Period.parse(c.period).label(_lang()),
                            timezone.localtime(c.completed_at).date().isoformat()), _entry(c.dataset, c.area, c.period)))
    return out


def aggregate_items(user, today: dt.date | None = None) -> list[Item]:
    items = []
    rows = forms_due(user, today)
    if rows is not None:
        items.append(Item("forms_due", _("Aggregate forms due this month"), len(rows),
                          "", _("Not yet reported; overdue ones are marked."), rows[:FORM_ROWS],
                          (_("Form"), _("Area"), _("Period"), _("Due"))))
    if has_perm(user, AGGREGATE_APPROVE):
        rows = approvals_waiting(user)
        items.append(Item("forms_to_approve", _("Aggregate forms to approve"), len(rows), "",
                          "", rows[:FORM_ROWS], (_("Form"), _("Area"), _("Period"), _("Reported"))))
    return items


# ------------------------------------------------------------------------------------ the roles


def capture_actions(user) -> list[tuple[str, str]]:
    """The everyday starting points of an officer who enters data."""
    actions = []
    if has_perm(user, PERSON_CAPTURE):
        actions.append((_("Declare an event"), reverse("registry:declare")))
    if has_perm(user, PERSON_VIEW):
        actions += [(_("Search the register"), reverse("registry:search")),
                    (_("Check report of your area"), reverse("registry:check-report"))]
    return actions


def village_officer(user, today: dt.date | None = None) -> Inbox:
    return Inbox(Role.VILLAGE_OFFICER, register_items(user) + aggregate_items(user, today),
                 can_do=capture_actions(user))


def township_officer(user, today: dt.date | None = None) -> Inbox:
    return Inbox(Role.TOWNSHIP_OFFICER, register_items(user) + aggregate_items(user, today),
                 can_do=capture_actions(user))


def county_officer(user, today: dt.date | None = None) -> Inbox:
    return Inbox(Role.COUNTY_OFFICER, register_items(user) + aggregate_items(user, today),
                 can_do=capture_actions(user))


def evaluator(user, today: dt.date | None = None) -> Inbox:
    """Draft runs, verification samples with households still to visit, open appeals — of schemes
    whose units lie in the user's areas."""
    from django.db.models import Count

    from renkou.evaluation.models import Appeal, Run, SampledHousehold, VerificationSample

    areas = scoped_areas(user)
    runs = Run.objects.filter(status=Run.Status.DRAFT, scheme__parent__in=areas).select_related("scheme") \
        .order_by("-created_at", "-pk")
    items = [Item("runs_in_progress", _("Assessment runs in progress"), runs.count(), _url("evaluation:home"),
                  _("Drafts: check, then publish (published results are frozen)."),
                  [Row((_scheme_name(r.scheme), f"v{r.version}", r.period_code, timezone.localdate(r.created_at).isoformat()),
                       reverse("evaluation:run", args=[r.pk])) for r in runs[:ROWS]],
                  (_("Scheme"), _("Version"), _("Period"), _("Computed")))]
    # counts only, no person: an evaluator reads a sample's households through the sample itself
    todo = dict(SampledHousehold.objects.filter(visited=False, sample__scheme__parent__in=areas).order_by()
                .values_list("sample").annotate(n=Count("pk")))
    samples = VerificationSample.objects.filter(pk__in=list(todo), scheme__parent__in=areas) \
        .select_related("scheme").order_by("-created_at", "-pk")
    items.append(Item("samples_in_progress", _("Verification samples in progress"), samples.count(),
                      _url("evaluation:home"), _("Households drawn but not yet visited."),
                      [Row((_scheme_name(s.scheme), s.period_code, f"{todo[s.pk]:,}"),
                           reverse("evaluation:sample", args=[s.pk])) for s in samples[:ROWS]],
                      (_("Scheme"), _("Period checked"), _("Households to visit"))))
    if has_perm(user, ASSESSMENT_MANAGE):
        appeals = Appeal.objects.filter(status=Appeal.Status.OPEN, run__scheme__parent__in=areas) \
            .select_related("run__scheme", "unit").order_by("filed_at")
        items.append(Item("appeals_open", _("Appeals to decide"), appeals.count(), _url("evaluation:home"), "",
                          [Row((a.unit.name, a.item_code, _scheme_name(a.run.scheme), a.filed_at.date().isoformat()),
                               reverse("evaluation:run", args=[a.run_id])) for a in appeals[:ROWS]],
                          (_("Unit"), _("Item"), _("Scheme"), _("Filed"))))
    return Inbox(Role.EVALUATOR, items)


def _recorded(user, event) -> str:
    """The record an audit entry concerns, as the audit log lists it: its kind in words and its name as
    recorded, personal data masked."""
    from renkou.core.audit_query import shown
    from renkou.core.templatetags.audit_display import audit_object, audit_repr

    view = shown(user, event, entitled=False)
    return " ".join(t for t in (audit_object(event.object_type), audit_repr(view)) if t)


def auditor(user, today: dt.date | None = None) -> Inbox:
    """Exports and views of full person records of the last 30 days (and failed sign-ins), in the auditor's areas."""
    from renkou.core.audit_query import filtered_events

    if not has_perm(user, AUDIT_VIEW):
        return Inbox(Role.AUDITOR, [])
    since = _today(today) - dt.timedelta(days=AUDIT_DAYS)
    items = []
    for key, action, label in (("exports", "export", _("Exports, last 30 days")),
                               ("record_views", "view", _("Views of full records, last 30 days")),
                               ("failed_logins", "login_failed", _("Failed sign-ins, last 30 days"))):
        events = filtered_events(user, action=action, since=since)
        rows = [Row((timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"), e.actor_username or "—", _recorded(user, e)),
                    reverse("audit-detail", args=[e.pk])) for e in events[:5]] if key != "failed_logins" else []
        items.append(Item(key, label, events.count(), _url("audit", action=action, since=since.isoformat()), "",
                          rows, (_("Time"), _("User"), _("Record"))))
    return Inbox(Role.AUDITOR, items)


def loan_officer(user, today: dt.date | None = None) -> Inbox:
    """The project office's steps: applications to visit, agreements to sign, money to hand over, and
    the loans being repaid with an instalment late (through the loans module's own queue)."""
    from renkou.loans import services as loans
    from renkou.loans.models import Loan

    today = today or timezone.localdate()
    mine = loans.visible_loans(user)
    items = []
    for key, state, label in (("loans_to_visit", Loan.State.REVIEWED, _("Applications to visit at home")),
                              ("loans_to_sign", Loan.State.APPROVED, _("Agreements to sign")),
                              ("loans_to_disburse", Loan.State.SIGNED, _("Loans to hand over in person"))):
        qs = mine.filter(state=state)
        items.append(Item(key, label, qs.count(), reverse("loans:inbox")))
    late = [loan for loan in mine.filter(state=Loan.State.DISBURSED).prefetch_related("collections", "losses",
                                                                                       "evaluations")
            .select_related("round", "fund") if (f := loans.loan_facts(loan, today)) and f.days_late > 0]
    items.append(Item("loans_late", _("Loans with an instalment late"), len(late), reverse("loans:sheet")))
    can_do = [(_("Fund dashboard"), reverse("loans:home")), (_("Collection sheets"), reverse("loans:sheet"))]
    if has_perm(user, AGGREGATE_VIEW):
        can_do.append((_("Indicators of your areas"), reverse("indicators:home")))
    return Inbox(Role.LOAN_OFFICER, items, "", can_do)


ROLES = {Role.VILLAGE_OFFICER: village_officer, Role.TOWNSHIP_OFFICER: township_officer,
         Role.COUNTY_OFFICER: county_officer, Role.EVALUATOR: evaluator, Role.AUDITOR: auditor,
         Role.LOAN_OFFICER: loan_officer}


def for_user(user, today: dt.date | None = None) -> Inbox | None:
    """The task list of the user's role. A system administrator sees the register's queues everywhere,
    not the aggregate forms of every township of the country (reporting them is the officers' work)."""
    if user.is_superuser:
        return Inbox("superuser", register_items(user), can_do=capture_actions(user))
    try:
        fn = ROLES.get(Role(user.role))
    except ValueError:
        return None
    return fn(user, today) if fn else None


__all__ = ["Inbox", "Item", "Row", "for_user", "VIEW", "CAPTURE"]
