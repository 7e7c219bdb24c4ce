"""The person page names codes by their national tables and records the view in the audit log."""

from __future__ import annotations

import pytest

from renkou.core.models import AuditEvent


@pytest.mark.django_db
def test_person_page_shows_the_ethnicity_name_and_is_audited(client, officers, people):
    mother = people["mother"]
    mother.ethnicity = "09"
    mother.save()
    client.force_login(officers["county"])
    page = client.get(f"/registry/persons/{mother.pk}/").content.decode()
    assert "布依族" in page and ">09<" in page
    assert AuditEvent.objects.filter(action="view", object_id=str(mother.pk),
                                     actor=officers["county"]).count() == 1
