"""The ID-number page: explains a number, and lets only a county officer confirm a wrong check digit."""

from __future__ import annotations

import pytest

from renkou.core.models import AuditEvent, IdNumberConfirmation
from renkou.core.services import id_number_acceptable

WRONG = "110105194912310021"  # the annex example with check character 1 instead of X


@pytest.mark.django_db
def test_village_officer_sees_the_explanation_but_cannot_confirm(client, make_user):
    client.force_login(make_user("v", "village_officer"))
    page = client.get("/idnumber/", {"number": WRONG}).content.decode()
    assert "110105********0021" in page and "校验码应为 X" in page
    r = client.post("/idnumber/", {"number": WRONG, "confirm": "1", "reason": "旧身份证原件已核对"})
    assert r.status_code == 200
    assert not IdNumberConfirmation.objects.exists()
    assert id_number_acceptable(WRONG)[0] is False


@pytest.mark.django_db
def test_county_officer_confirms_with_a_reason_and_it_is_audited(client, make_user):
    officer = make_user("c", "county_officer")
    client.force_login(officer)
    r = client.post("/idnumber/", {"number": WRONG, "confirm": "1", "reason": ""})
    assert not IdNumberConfirmation.objects.exists()
    assert r.status_code == 200 and "请说明确认理由(至少4个字)" in r.content.decode()
    r = client.post("/idnumber/", {"number": WRONG, "confirm": "1", "reason": "旧身份证原件已核对"})
    assert r.status_code == 302
    conf = IdNumberConfirmation.objects.get()
    assert conf.number == WRONG and conf.confirmed_by == officer
    assert id_number_acceptable(WRONG)[0] is True
    ev = AuditEvent.objects.get(action="confirm")
    assert ev.actor == officer and ev.detail["reason"] == "旧身份证原件已核对"
    assert ev.object_repr == "110105********0021"


@pytest.mark.django_db
def test_valid_numbers_need_no_confirmation(make_user):
    from django.core.exceptions import ValidationError

    from renkou.core.services import confirm_id_number

    with pytest.raises(ValidationError, match=r"only numbers with a wrong check character need confirmation "
                                              r"\(this one: valid\)") as caught:
        confirm_id_number(user=make_user("c", "county_officer"), number="11010519491231002X", reason="无需确认")
    assert list(caught.value.message_dict) == ["number"]
    assert not IdNumberConfirmation.objects.exists()
