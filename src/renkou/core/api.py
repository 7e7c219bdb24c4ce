"""API of the core: who am I, areas, identity-number check, audit log (auditors)."""
# No "from __future__ import annotations" here: django-ninja reads the annotations at run time.


import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from . import areacodes, idnumber
from .models import Area
from .roles import AUDIT_VIEW
from .scoping import area_prefixes, require, scoped_areas

router = Router(tags=["core"])


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    is_superuser: bool
    capture_prefixes: list[str] | None
    view_prefixes: list[str] | None


@router.get("/me", response=MeOut, summary="当前用户 / the current user and scopes")
def me(request):
    u = request.user
    return MeOut(username=u.username, full_name=u.full_name, role=u.role or "", is_superuser=u.is_superuser,
                 capture_prefixes=area_prefixes(u, "capture"), view_prefixes=area_prefixes(u, "view"))


class AreaOut(Schema):
    code: str
    name: str
    level: int
    parent: str | None = Field(None, alias="parent_id")
    urban_rural: str
    valid_from: dt.date | None
    valid_to: dt.date | None


@router.get("/areas", response=list[AreaOut], summary="区划列表 / areas under a code")
@paginate
def list_areas(request, under: str | None = None, level: int | None = None):
    qs = scoped_areas(request.user) if not request.user.is_superuser else Area.objects.all()
    if under:
        root = get_object_or_404(Area, code=areacodes.full_code(under))
        qs = qs.filter(code__startswith=root.prefix).exclude(code=root.code)
        if level is None:
            qs = qs.filter(level=root.level + 1)
    if level is not None:
        qs = qs.filter(level=level)
    return qs.order_by("code")


@router.get("/areas/{code}", response=AreaOut, summary="一个区划 / one area")
def get_area(request, code: str):
    return get_object_or_404(scoped_areas(request.user), code=areacodes.full_code(code))


class IdCheckOut(Schema):
    number: str
    masked: str
    state: str
    birth_date: dt.date | None
    sex: int | None
    birthplace: str | None
    expected_check: str | None
    problems: list[dict]


@router.get("/idnumber/check", response=IdCheckOut, summary="身份证号码校验 / check an identity number")
def check_id(request, number: str):
    info = idnumber.inspect(number)
    return IdCheckOut(number=info.number if info.state is not idnumber.IdState.INVALID else "",
                      masked=idnumber.mask(info.number), state=info.state.value, birth_date=info.birth_date,
                      sex=info.sex, birthplace=info.birthplace_name, expected_check=info.expected_check,
                      problems=[{"code": p.code, "zh": p.zh, "en": p.en} for p in info.problems])


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor_username: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    area_code: str
    before: dict | None
    after: dict | None
    detail: dict | None
    address: str | None


class _Shown:
    """The page of events the paginator slices, each shown masked (or in full, audited, when entitled)."""

    def __init__(self, user, qs, full: bool):
        self.user, self.qs, self.full = user, qs, full

    def __len__(self) -> int:
        return self.qs.count()

    def __getitem__(self, window: slice):
        from .audit_query import shown

        return [shown(self.user, e, full=self.full, entitled=None if self.full else False) for e in self.qs[window]]


@router.get("/audit", response=list[AuditOut], summary="审计日志 / audit log (auditors); personal data masked")
@paginate
def audit_log(request, action: str | None = None, user: str | None = None, object_type: str | None = None,
              area: str | None = None, since: dt.date | None = None, until: dt.date | None = None,
              full: bool = False):
    """Personal data in the events is masked (ID number, name, birth year only). ``full=true`` shows the
    full values of the events whose person the caller's scope grants, and records that in the audit log."""
    require(request.user, AUDIT_VIEW)
    from .audit_query import filtered_events

    return _Shown(request.user, filtered_events(request.user, action=action, username=user, object_type=object_type,
                                                area=area, since=since, until=until), full)
