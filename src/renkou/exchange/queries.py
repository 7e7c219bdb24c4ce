"""What the officer's pages of the exchange read: the enquiry cases and messages a user may see, the
fields a message carried, deadlines in days, counts of a period. Read-only; writes are in
:mod:`renkou.exchange.casework` (through :func:`renkou.exchange.services.send`).

Who sees a case: an officer with ``exchange.view`` whose view areas hold the case's end here
(``Enquiry.local_area``: the residence area of an enquiry sent, the registration area of one
received). The area prefixes are the scoping function's own (:func:`renkou.core.scoping.area_prefixes`);
``Enquiry.local_area`` is a code, not a key to an area, so the prefix test is written here on it.

Data minimisation on the pages: the person of a case is shown only through the fields its messages
carried. The register is read for a received enquiry only when the match found a local person, and
then only through :func:`renkou.core.scoping.scoped`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from renkou.core.roles import EXCHANGE_VIEW, Role
from renkou.core.scoping import VIEW, area_prefixes, has_perm, scoped

from . import messages, services
from .models import Direction, Enquiry, EnquiryState, Message, Node, State

THREAD_ORDER = {"enquiry": 0, "match": 1, "check": 2, "feedback": 3}


def _prefix_q(field: str, prefixes: list[str]) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(**{f"{field}__startswith": p})
    return q


def visible_enquiries(user) -> QuerySet:
    """The enquiry cases the user may see (none without ``exchange.view``)."""
    qs = Enquiry.objects.all()
    if not has_perm(user, EXCHANGE_VIEW):
        return qs.none()
    prefixes = area_prefixes(user, VIEW)
    if prefixes is None:
        return qs
    if not prefixes:
        return qs.none()
    return qs.filter(_prefix_q("local_area", prefixes))


def node_or_none() -> Node | None:
    return Node.objects.first()


def is_node_officer(user) -> bool:
    """An officer whose view areas hold the whole of an area this node serves (the county officer of
    the node's county): reads the node's outbox and inbox whole, refusals included."""
    if not has_perm(user, EXCHANGE_VIEW):
        return False
    prefixes = area_prefixes(user, VIEW)
    if prefixes is None:
        return True
    node = node_or_none()
    if node is None:
        return False
    return any(np.startswith(p) for np in node.prefixes for p in prefixes)


def can_import_directory(user) -> bool:
    """The peer directory is imported by the county officers of the node (or a system administrator)."""
    return is_node_officer(user) and (user.is_superuser or user.role == Role.COUNTY_OFFICER)


def visible_messages(user, direction: str) -> QuerySet:
    """Messages of the outbox or inbox the user may see: the node's officers all of them; another officer
    those of the cases it sees."""
    qs = Message.objects.filter(direction=direction)
    if is_node_officer(user):
        return qs
    if not has_perm(user, EXCHANGE_VIEW):
        return qs.none()
    uids = visible_enquiries(user).values("uid")
    return qs.filter(Q(uid__in=uids) | Q(reply_to__in=uids)).exclude(state=State.REFUSED)


def enquiry_message(case: Enquiry) -> Message | None:
    """The enquiry message of a case: sent (outbox) at the enquiring end, received at the other."""
    direction = Direction.OUT if case.role == Enquiry.Role.ENQUIRING else Direction.IN
    return Message.objects.filter(uid=case.uid, kind="enquiry", direction=direction).first()


def enquiry_payloads(cases) -> dict:
    """uid → the payload the enquiry message carried, for several cases at once."""
    wanted = {c.uid: (Direction.OUT if c.role == Enquiry.Role.ENQUIRING else Direction.IN) for c in cases}
    out = {}
    for m in Message.objects.filter(uid__in=list(wanted), kind="enquiry").exclude(state=State.REFUSED):
        if m.direction == wanted[m.uid]:
            out[m.uid] = m.payload
    return out


def thread(case: Enquiry) -> list[Message]:
    """The messages of the case in order: enquiry → match → check → feedback (each as sent or received
    here; a refused copy is left out)."""
    rows = list(Message.objects.filter(Q(uid=case.uid, kind="enquiry") | Q(reply_to=case.uid))
                .exclude(state=State.REFUSED))
    return sorted(rows, key=lambda m: (m.created_at, THREAD_ORDER.get(m.kind, 9), m.pk))


@dataclass(frozen=True)
class Deadline:
    deadline: dt.date
    days_left: int | None  # open and not overdue: days until the deadline (0: due today)
    days_over: int | None  # overdue: days past the deadline (answered late or still unanswered)
    answered_on: dt.date | None


def deadline_of(case: Enquiry, today: dt.date | None = None) -> Deadline:
    today = today or timezone.localdate()
    if case.answered_on is not None:
        late = (case.answered_on - case.deadline).days
        return Deadline(case.deadline, None, late if late > 0 else None, case.answered_on)
    if case.state == EnquiryState.CLOSED:
        return Deadline(case.deadline, None, None, None)
    if today > case.deadline:
        return Deadline(case.deadline, None, (today - case.deadline).days, None)
    return Deadline(case.deadline, (case.deadline - today).days, None, None)


def user_prefixes(user) -> list[str]:
    """The prefixes the counts of the home page add up: the user's view areas, or the node's own
    areas for a system administrator."""
    prefixes = area_prefixes(user, VIEW)
    if prefixes is None:
        node = node_or_none()
        return list(node.prefixes) if node else [""]
    return prefixes


def counts(user, period: str, as_of: dt.date | None = None) -> dict:
    """``services.enquiry_counts`` of the period, added up over the user's areas."""
    total = {"sent": 0, "received": 0, "answered": 0, "overdue": 0, "open": 0}
    if not has_perm(user, EXCHANGE_VIEW):
        return total
    for p in user_prefixes(user):
        for key, value in services.enquiry_counts(p, period, as_of=as_of).items():
            total[key] += value
    return total


def overdue_cases(user, as_of: dt.date) -> list[Enquiry]:
    """``services.overdue`` over the user's areas (each case once)."""
    if not has_perm(user, EXCHANGE_VIEW):
        return []
    seen, out = set(), []
    for p in user_prefixes(user):
        for case in services.overdue(p, as_of).order_by("deadline", "id"):
            if case.pk not in seen:
                seen.add(case.pk)
                out.append(case)
    return sorted(out, key=lambda c: (c.deadline, c.pk))


def township_of(code: str) -> str:
    """The township (9 digits, padded to 12) of an area code, or '' for a shorter one."""
    return code[:9] + "000" if code and len(code) >= 9 else ""


def area_names(codes) -> dict[str, str]:
    """Names of area codes (a prefix is named by its padded 12-digit code): those in this node's table."""
    from renkou.core.models import Area

    wanted = {c: (c + "0" * 12)[:12] if len(c) < 12 else c for c in codes if c}
    found = dict(Area.objects.filter(code__in=set(wanted.values())).values_list("code", "name"))
    return {c: found[full] for c, full in wanted.items() if full in found}


def local_person(user, case: Enquiry):
    """The local person a received enquiry matched, when the user may see that person through the
    scoping function; else None (the register is not read for anyone else)."""
    if case.role != Enquiry.Role.REGISTRATION or not case.person_id:
        return None
    from renkou.registry.models import Person

    return scoped(user, Person).filter(pk=case.person_id).first()


def asks_facts(asks) -> list[str]:
    return [a for a in messages.ASKS if a in asks]
