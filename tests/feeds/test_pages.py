"""The feeds pages and API: upload with its row-numbered report, the side-by-side record, decisions,
the machine peer's file by API, completeness with its charts."""

from __future__ import annotations

import io
import json

import pytest

from .conftest import BIRTH_HEADER, VILLAGE_A, VILLAGE_B


def _csv(rows) -> bytes:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(BIRTH_HEADER)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _upload(client, source, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(f"/feeds/sources/{source.pk}/upload/", {"file": SimpleUploadedFile(name, content)})


def test_upload_of_a_bad_file_shows_each_row_and_writes_nothing_then_the_good_file_is_linked_and_decided(
        client, officers, sources, families):
    from renkou.core.models import AuditEvent
    from renkou.feeds.models import FeedRecord

    source = sources["weisheng-birth-notice"]
    client.force_login(officers["county"])
    bad = _upload(client, source, "bn.csv", _csv([["BN9", "王小明", "男", "2005-03-32", VILLAGE_B, "李秀", "", "", ""]]))
    page = bad.content.decode()
    assert bad.status_code == 200 and "文件未被接收" in page and "2005-03-32" in page and ">2<" in page
    assert not FeedRecord.objects.exists()
    good = _upload(client, source, "bn.csv", _csv([["BN9", "王小明", "男", "2005-03-22", VILLAGE_B, "李秀", "", "", ""]]))
    assert good.status_code == 302 and "/feeds/files/" in good["Location"]
    client.post(f"/feeds/sources/{source.pk}/link/", {"period": "2005"})
    record = FeedRecord.objects.get()
    assert record.status == "queued"
    page = client.get(f"/feeds/records/{record.pk}/").content.decode()
    assert "王小明" in page and "拼音相近" not in page and "姓名相同" in page and "相差一月以内" in page
    assert families["child"].masked_id in page or "—" in page
    logged = AuditEvent.objects.filter(action="view", object_type="feeds.feedrecord").last()
    assert logged.detail["persons"] == [families["child"].pk]
    r = client.post(f"/feeds/records/{record.pk}/decide/", {"decision": "link", "person": families["child"].pk})
    assert r.status_code == 302
    record.refresh_from_db()
    assert record.status == "linked" and record.person == families["child"]


def test_mapping_editor_saves_a_new_version_and_names_the_problems_of_a_bad_one(client, officers, sources):
    source = sources["weisheng-birth-notice"]
    client.force_login(officers["county"])
    spec = dict(source.mapping().spec)
    spec["date_formats"] = ["%Y-%m-%d", "%Y%m%d"]
    r = client.post(f"/feeds/sources/{source.pk}/", {"spec": json.dumps(spec, ensure_ascii=False), "note": "日期"})
    assert r.status_code == 302 and source.mapping().version == 2
    r = client.post(f"/feeds/sources/{source.pk}/", {"spec": '{"format": "pdf"}'}, follow=True)
    page = r.content.decode()
    assert "格式 pdf 未知" in page and source.mapping().version == 2
    client.force_login(officers["village_a"])
    assert client.get(f"/feeds/sources/{source.pk}/").status_code == 403


def test_a_machine_peer_sends_a_file_by_api_once(client, officers, sources):
    from renkou.core.models import ApiToken
    from renkou.feeds.models import FeedFile, FeedRecord

    token = ApiToken.issue(officers["peer"], "hospital")[1]
    content = _csv([["BN1", "王小明", "男", "2005-03-01", VILLAGE_A, "李秀英", "", "", ""]])

    def send(body):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post("/api/feeds/sources/weisheng-birth-notice/files",
                           {"file": SimpleUploadedFile("bn.csv", body)}, HTTP_AUTHORIZATION=f"Bearer {token}")

    first = send(content)
    assert first.status_code == 200 and first.json()["created"] == 1
    again = send(content)
    assert again.status_code == 200 and again.json()["repeated"] is True
    bad = send(_csv([["BN2", "何军", "男", "2005-02-30", VILLAGE_A, "李秀英", "", "", ""]]))
    assert bad.status_code == 422 and bad.json()["errors"][0]["row"] == 2
    assert FeedFile.objects.get().via == "api" and FeedRecord.objects.count() == 1


@pytest.mark.django_db
def test_completeness_page_draws_its_charts_and_the_api_gives_the_same_figures(client, officers, sources, tmp_path):
    from renkou.feeds import services

    from .conftest import write_csv

    f = write_csv(tmp_path / "bn.csv", BIRTH_HEADER, [["BN1", "刘洋", "男", "2005-03-01", VILLAGE_A, "陈静", "", "", ""]])
    services.receive(user=officers["county"], source=sources["weisheng-birth-notice"], path=f)
    services.link_source(user=officers["county"], source=sources["weisheng-birth-notice"])
    client.force_login(officers["auditor"])
    page = client.get("/feeds/completeness/?area=520122&period=2005").content.decode()
    assert page.count("<svg") == 2 and "卫生健康出生医学证明" in page
    data = client.get("/api/feeds/completeness?area=520122&period=2005").json()
    march = next(r for r in data["rows"] if r["source"] == "weisheng-birth-notice" and r["month"] == "2005-03")
    assert (march["received"], march["not_found"], march["missing"]) == (1, 1, 1)


def test_thresholds_are_set_on_the_source_page_the_automatic_above_the_queue(client, officers, sources):
    source = sources["weisheng-birth-notice"]
    client.force_login(officers["county"])
    r = client.post(f"/feeds/sources/{source.pk}/", {"auto_weight": "15", "review_weight": "2.5"})
    source.refresh_from_db()
    assert r.status_code == 302 and (source.auto_weight, source.review_weight) == (15.0, 2.5)
    page = client.post(f"/feeds/sources/{source.pk}/", {"auto_weight": "1", "review_weight": "2"},
                       follow=True).content.decode()
    source.refresh_from_db()
    assert "自动比对下限应高于进入核对队列的下限" in page and source.auto_weight == 15.0


def test_the_source_page_shows_the_parameters_of_the_last_linkage_model(client, officers, sources, families,
                                                                        tmp_path):
    from renkou.feeds import linkage, services
    from renkou.feeds.models import LinkRun

    from .conftest import write_csv

    source = sources["weisheng-birth-notice"]
    f = write_csv(tmp_path / "bn.csv", BIRTH_HEADER, [["BN9", "王小明", "男", "2005-03-22", VILLAGE_B, "李秀", "", "", ""]])
    services.receive(user=officers["county"], source=source, path=f)
    services.link_source(user=officers["county"], source=source)
    params = linkage.parameters(LinkRun.objects.get().model)
    same_date = next(p for p in params if p["comparison"] == "birth_date" and p["level"] == 1)
    assert same_date["weight"] > 10 and same_date["m"] == 0.88 and 0 < same_date["u"] < 0.01
    client.force_login(officers["county"])
    page = client.get(f"/feeds/sources/{source.pk}/").content.decode()
    assert "最近一次比对模型的参数" in page and "日月颠倒" in page
