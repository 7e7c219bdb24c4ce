"""The message schemas (data minimisation), canonical signing, deadlines and the 20th cut-off."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.exchange import messages, signing

ENQ = {"id_number": "13098219900101002X", "name": "李芳", "sex": 2, "birth_date": "1990-01-01",
       "asks": ["registered", "children"], "reason": "在任丘市务工，办理服务"}


def test_enquiry_valid_and_normalised():
    out = messages.validate("enquiry", {**ENQ, "id_number": ENQ["id_number"].lower()})
    assert out["id_number"] == "13098219900101002X"
    assert out["asks"] == ["registered", "children"]


@pytest.mark.parametrize("change, field, rule", [
    ({"address": "x"}, "address", "data minimisation"),
    ({"sex": 3}, "sex", "one of 1, 2"),
    ({"birth_date": "1990-13-01"}, "birth_date", "ISO date"),
    ({"asks": ["income"]}, "asks", "'income' is not one of"),
    ({"asks": []}, "asks", "non-empty"),
    ({"reason": "字" * 201}, "reason", "at most 200"),
    ({"id_number": "123"}, "id_number", "18-character"),
])
def test_enquiry_refused_names_field_and_rule(change, field, rule):
    with pytest.raises(messages.PayloadError) as exc:
        messages.validate("enquiry", {**ENQ, **change})
    assert exc.value.field == field and rule in exc.value.rule


def test_missing_field_refused():
    body = dict(ENQ)
    del body["reason"]
    with pytest.raises(messages.PayloadError, match="'reason': missing"):
        messages.validate("enquiry", body)


def test_other_kinds():
    assert messages.validate("match", {"found": True, "registered_area": "130984"}) == \
        {"found": True, "registered_area": "130984"}
    with pytest.raises(messages.PayloadError, match="true or false"):
        messages.validate("match", {"found": 1, "registered_area": ""})
    with pytest.raises(messages.PayloadError, match="not a fact"):
        messages.validate("check", {"facts": {"income": 1}, "checked_on": "2026-01-02", "note": ""})
    with pytest.raises(messages.PayloadError, match="served, not_found"):
        messages.validate("feedback", {"outcome": "fined", "note": ""})
    with pytest.raises(messages.PayloadError, match="one of arrival"):
        messages.validate("notification", {"event": "arrest", "id_number": ENQ["id_number"], "name": "李芳",
                                           "sex": 2, "birth_date": "1990-01-01", "date": "2026-01-01",
                                           "residence_area": "", "residence_address": "", "note": ""})
    with pytest.raises(messages.PayloadError):
        messages.validate("gossip", {})
    messages.validate_check_facts(["registered"], {"registered": True})
    with pytest.raises(messages.PayloadError, match="not asked by the enquiry: children"):
        messages.validate_check_facts(["registered"], {"registered": True, "children": 2})


def test_canonical_form_is_stable_and_signature_binds_every_field():
    env = {"uid": "6f1c", "kind": "enquiry", "sender": "a", "recipient": "b", "area_code": "130982",
           "payload": {"name": "李芳", "b": 1, "a": 2}, "reply_to": None, "urgent": False,
           "created_at": "2026-03-01T00:00:00+00:00"}
    assert messages.canonical(env) == (
        '{"area_code":"130982","created_at":"2026-03-01T00:00:00+00:00","kind":"enquiry",'
        '"payload":{"a":2,"b":1,"name":"李芳"},"recipient":"b","reply_to":null,"sender":"a",'
        '"uid":"6f1c","urgent":false}').encode()
    # fields outside the envelope do not change the canonical form
    assert messages.canonical({**env, "signature": "x"}) == messages.canonical(env)
    key = signing.new_private_key()
    pub = signing.public_text(key)
    sig = signing.sign(key, env)
    assert signing.verify(pub, env, sig)
    for name, value in [("urgent", True), ("area_code", "130983"), ("payload", {"name": "李芳"}),
                        ("recipient", "c")]:
        assert not signing.verify(pub, {**env, name: value}, sig)
    assert not signing.verify(signing.public_text(signing.new_private_key()), env, sig)
    assert not signing.verify(pub, env, "")
    assert not signing.verify(pub, env, "not base64!")


def test_deadlines_and_cut_off():
    assert messages.deadline(dt.date(2026, 3, 1), urgent=True) == dt.date(2026, 3, 16)
    assert messages.deadline(dt.date(2026, 3, 1), urgent=False) == dt.date(2026, 3, 31)
    assert messages.period_of(dt.date(2026, 3, 20)) == "2026-03"
    assert messages.period_of(dt.date(2026, 3, 21)) == "2026-04"
    assert messages.period_of(dt.date(2026, 12, 25)) == "2027-01"
    assert messages.period_bounds("2026-01") == (dt.date(2025, 12, 21), dt.date(2026, 1, 20))


def test_longest_prefix_route():
    routes = [messages.Route("13", "hebei"), messages.Route("130984", "xiong"), messages.Route("1309", "cang")]
    assert messages.route("130984100000", routes).node == "xiong"
    assert messages.route("130982", routes).node == "cang"
    assert messages.route("131000", routes).node == "hebei"
    assert messages.route("520122", routes) is None
