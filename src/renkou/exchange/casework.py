"""The officer's writes of the exchange, called by the pages: a new enquiry about a local person and
the answers to a case. Each checks who may act, builds the payload with only the fields the kind
carries and writes the message with :func:`renkou.exchange.services.send` in one transaction (the
outbox row and the case's change commit together)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from renkou.core.roles import EXCHANGE_VIEW
from renkou.core.scoping import CAPTURE, VIEW, code_in_scope, require, scoped

from . import messages, queries, services
from .models import Enquiry, EnquiryState, Message


class CaseworkError(ValueError):
    """A write refused; ``field`` names the form field it concerns."""

    def __init__(self, field: str, zh: str, en: str):
        self.field, self.zh, self.en = field, zh, en
        super().__init__(f"{zh} / {en}")


def person_for_enquiry(user, pk: int):
    """A person of the register the user may see and whose residence is in the user's areas."""
    from renkou.registry.models import Person

    require(user, EXCHANGE_VIEW)
    person = scoped(user, Person).filter(pk=pk).select_related("resident_area").first()
    if person is None:
        raise PermissionDenied("该人员不在您的查看范围内 / this person is outside your view areas")
    return person


def enquiry_payload(person, *, asks: list[str], reason: str) -> dict:
    """An enquiry's payload: exactly the fields of its schema, from the register."""
    return {"id_number": person.id_number or "", "name": person.name, "sex": person.sex,
            "birth_date": person.birth_date.isoformat(), "asks": [a for a in messages.ASKS if a in asks],
            "reason": reason}


def send_enquiry(user, person, *, area_code: str, asks: list[str], reason: str, urgent: bool) -> Message:
    require(user, EXCHANGE_VIEW)
    if not person.id_number:
        raise CaseworkError("person", "该人员没有公民身份号码，不能发出协查", "the person has no ID number: an enquiry "
                            "carries one")
    residence = person.resident_area_id or ""
    if not residence or not code_in_scope(user, residence, CAPTURE):
        raise CaseworkError("person", "该人员的居住地不在您的录入范围内", "the person's place of residence is outside "
                            "your capture areas")
    payload = enquiry_payload(person, asks=asks, reason=reason)
    try:
        with transaction.atomic():
            return services.send("enquiry", area_code=area_code, payload=payload, person=person, urgent=urgent,
                                 user=user)
    except messages.PayloadError as exc:
        raise CaseworkError(exc.field, f"字段 {exc.field}：{exc.rule}", f"field {exc.field}: {exc.rule}") from None
    except services.NoRoute:
        raise CaseworkError("area_code", f"目录中没有服务区划 {area_code} 的节点",
                            f"no peer node of the directory serves area {area_code}") from None


ALLOWED = {"match": Enquiry.Role.REGISTRATION, "check": Enquiry.Role.REGISTRATION,
           "feedback": Enquiry.Role.ENQUIRING}


def can_answer(user, case: Enquiry, kind: str) -> bool:
    return (ALLOWED.get(kind) == case.role and case.state != EnquiryState.CLOSED
            and code_in_scope(user, case.local_area, CAPTURE)
            and queries.visible_enquiries(user).filter(pk=case.pk).exists())


def answer(user, case: Enquiry, kind: str, payload: dict) -> Message:
    """Send a match result, check result or feedback of the case."""
    require(user, EXCHANGE_VIEW)
    if not queries.visible_enquiries(user).filter(pk=case.pk).exists() or not code_in_scope(user, case.local_area,
                                                                                              VIEW):
        raise PermissionDenied("该协查不在您的范围内 / this enquiry is outside your areas")
    if not code_in_scope(user, case.local_area, CAPTURE):
        raise PermissionDenied("该协查不在您的录入范围内 / this enquiry is outside your capture areas")
    if ALLOWED.get(kind) != case.role:
        raise CaseworkError("kind", "本节点不能对此协查发送这种消息", "this node does not send that kind of message in "
                            "this enquiry")
    if case.state == EnquiryState.CLOSED:
        raise CaseworkError("kind", "协查已结案", "the enquiry is closed")
    try:
        with transaction.atomic():
            return services.send(kind, area_code=case.area_code, payload=payload, reply_to=case.uid, user=user)
    except messages.PayloadError as exc:
        raise CaseworkError(exc.field, f"字段 {exc.field}：{exc.rule}", f"field {exc.field}: {exc.rule}") from None
