"""Importing division codes: the real national files, idempotency, and corrupted copies."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from renkou.core import areacodes, services
from renkou.core.models import Area, AuditEvent
from tests.conftest import DIVISIONS, write_nbs_subset


@pytest.mark.django_db
def test_real_national_files_load_every_level_and_reimport_is_a_no_op(capsys):
    call_command("areas", "import", str(DIVISIONS))
    out = capsys.readouterr().out
    # 31 provinces, 342 prefectures; county and township placeholders (东莞 441900, 金门 350527000) fold
    # into their parents.
    assert "省级 provinces: 31" in out
    assert Area.objects.filter(level=1).count() == 31
    assert Area.objects.filter(level=2).count() == 342
    assert Area.objects.filter(level=3).count() == 2975
    assert Area.objects.filter(level=4).count() == 41351
    dongguan_town = Area.objects.get(code="441900003000")
    assert dongguan_town.parent_id == "441900000000"  # the prefecture-level city itself
    assert Area.objects.get(code="520122100000").name == "永靖镇"
    assert Area.objects.get(code="520122100000").peer_group == "town"
    events = AuditEvent.objects.count()
    result = services.import_areas(DIVISIONS)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 44699)
    assert AuditEvent.objects.count() == events  # nothing changed, nothing logged


@pytest.mark.django_db
def test_subtree_by_prefix(seed_areas):
    xifeng = Area.objects.get(code="520122000000")
    townships = services.area_subtree(xifeng.code, [4])
    assert townships.count() == 11  # in 2023: 1 subdistrict, 4 towns, 6 townships
    assert all(a.code.startswith("520122") for a in townships)
    assert xifeng.prefix == "520122"


def _corrupt(tmp_path, file, old, new):
    d = write_nbs_subset(tmp_path / "bad")
    p = d / file
    text = p.read_text(encoding="utf-8")
    assert old in text
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return d


@pytest.mark.django_db
@pytest.mark.parametrize("file, old, new, message", [
    ("streets.csv", "520122100,", "52012210X,", "第"),
    ("streets.csv", '520122100,永靖镇,520122', '520122100,永靖镇,520199', "areaCode"),
    ("streets.csv", "code,name,areaCode", "code,name,countyCode", "缺少列 areaCode"),
    ("areas.csv", '520122,息烽县', '520122,', "name 为空"),
])
def test_corrupted_copy_is_rejected_with_row_and_nothing_changes(tmp_path, file, old, new, message):
    before = Area.objects.count()
    bad = _corrupt(tmp_path, file, old, new)
    with pytest.raises(services.AreaImportError) as err:
        services.import_areas(bad)
    assert message in str(err.value)
    assert Area.objects.count() == before == 0


@pytest.mark.django_db
def test_bad_row_error_names_file_row_and_field(tmp_path):
    bad = _corrupt(tmp_path, "streets.csv", "520122100,", "52012210X,")
    with pytest.raises(services.AreaImportError) as err:
        services.import_areas(bad)
    line = next(p for p in err.value.problems if "52012210X" in p)
    rows = (bad / "streets.csv").read_text(encoding="utf-8").splitlines()
    row_no = next(i for i, r in enumerate(rows, start=1) if r.startswith("52012210X"))
    assert line.startswith(f"streets.csv 第{row_no}行")
    assert "字段 code" in line and "9 位数字" in line


@pytest.mark.django_db
def test_orphan_township_is_rejected_when_its_county_is_missing(tmp_path):
    d = write_nbs_subset(tmp_path / "orphan")
    lines = (d / "areas.csv").read_text(encoding="utf-8").splitlines()
    (d / "areas.csv").write_text("\n".join(row for row in lines if not row.startswith("520122")) + "\n", encoding="utf-8")
    with pytest.raises(services.AreaImportError) as err:
        services.import_areas(d)
    assert any("520122000000" in p and "不存在" in p for p in err.value.problems)
    assert Area.objects.count() == 0


@pytest.mark.django_db
def test_gbk_encoded_file_is_read(tmp_path, seed_areas):
    f = tmp_path / "groups.csv"
    f.write_bytes("code,name\n520122100201001,红岩村一组\n".encode("gbk"))
    result = services.import_areas(f)
    assert result.created == 1
    group = Area.objects.get(code="520122100201001")
    assert group.level == 6 and group.name == "红岩村一组" and group.parent_id == "520122100201"


@pytest.mark.django_db
def test_rename_updates_name_and_records_the_change(tmp_path, seed_areas):
    f = tmp_path / "rename.csv"
    f.write_text("code,name\n520122100201,红岩社区\n", encoding="utf-8")
    result = services.import_areas(f)
    assert (result.created, result.updated) == (0, 1)
    assert Area.objects.get(code="520122100201").name == "红岩社区"
    ev = AuditEvent.objects.filter(action="update", object_id="520122100201").get()
    assert ev.before["name"] == "红岩村" and ev.after["name"] == "红岩社区"


def test_code_rules():
    assert areacodes.problem("52012210020") is not None  # 11 digits
    assert areacodes.problem("5201221002O1") is not None  # letter O
    assert areacodes.problem("520122100201") is None
    assert areacodes.level_of("520122100201001") == 6
    assert areacodes.parent_code("441900003000", 4) == "441900000000"
    assert areacodes.township_kind("520122001000") == "subdistrict"
    assert areacodes.township_kind("520122201000") == "township"


@pytest.mark.django_db
def test_list_command_json(seed_areas, capsys):
    import json

    call_command("areas", "list", "--under", "520122", "--format", "json")
    rows = json.loads(capsys.readouterr().out)
    assert {r["code"] for r in rows} == set(
        Area.objects.filter(parent_id="520122000000").values_list("code", flat=True))
    assert all(r["level"] == 4 for r in rows)


@pytest.mark.django_db
def test_merge_keeps_history_and_crosswalk_follows(seed_areas, make_user):
    import datetime as dt

    admin = make_user("root", superuser=True)
    services.record_area_change(user=admin, old_code="520122100202", new_code="520122100201", kind="merge",
                                effective=dt.date(2020, 1, 1))
    old = Area.objects.get(code="520122100202")
    assert old.valid_to == dt.date(2019, 12, 31)
    assert old.is_valid_on(dt.date(2019, 6, 1)) and not old.is_valid_on(dt.date(2020, 6, 1))
    assert services.current_code("520122100202", dt.date(2021, 1, 1)) == "520122100201"
    assert services.current_code("520122100202", dt.date(2019, 1, 1)) == "520122100202"




@pytest.mark.django_db
def test_synth_area_tree_imports_after_the_national_table(tmp_path):
    from renkou.core import divisions
    from renkou.synth.cli import main as synth

    national = divisions.write_subset(tmp_path / "nbs", ("542526",))
    services.import_areas(national)
    townships = dict(Area.objects.filter(level=4, code__startswith="542526").values_list("code", "name"))
    out = tmp_path / "synth"
    assert synth(["--preset", "gaize", "--persons", "1500", "--seed", "3", "--out", str(out),
                  "--townships", str(national / "streets.csv")]) == 0
    tree = (out / "areas.csv").read_text(encoding="utf-8-sig").splitlines()
    assert tree[0] == "code,name,level,urban_rural,parent_code"
    villages = [row.split(",") for row in tree[1:] if ",village," in row]
    result = services.import_areas(out / "areas.csv")
    # the county and its townships were there (same names): only the villages are new
    assert (result.created, result.updated) == (len(villages), 0)
    assert result.unchanged == len(tree) - 1 - len(villages)
    code, name, _level, ur, parent = villages[0]
    v = Area.objects.get(code=code)
    assert (v.name, v.level, v.urban_rural, v.parent_id) == (name, 5, ur, parent)
    assert dict(Area.objects.filter(level=4, code__startswith="542526").values_list("code", "name")) == townships
    # the folder the generator wrote is accepted too (its areas.csv is the area tree, not the NBS county file)
    again = services.import_areas(out)
    assert (again.created, again.updated) == (0, 0)


@pytest.mark.django_db
def test_area_tree_level_must_match_the_code(tmp_path, seed_areas):
    f = tmp_path / "areas.csv"
    f.write_text("code,name,level,urban_rural,parent_code\n520122100201,红岩村,township,220,520122100\n",
                 encoding="utf-8")
    with pytest.raises(services.AreaImportError) as err:
        services.import_areas(f)
    assert err.value.problems == ["areas.csv 第2行 / row 2: 字段 level 的值 'township' 与代码 520122100201 的层级(村级)不符 / "
                                  "level does not match the code (village)"]


@pytest.mark.django_db
def test_area_file_in_utf16_with_a_nul_byte_names_the_row(tmp_path, seed_areas):
    f = tmp_path / "groups.csv"
    f.write_bytes("code,name\n520122100201001,红岩村一组\n520122100201002,红岩\x00村二组\n".encode("utf-16"))
    with pytest.raises(services.AreaImportError) as err:
        services.import_areas(f)
    assert err.value.problems == ["groups.csv 第3行 / row 3: name: 含 NUL 字节(二进制内容) / contains a NUL byte (binary content)"]
    assert not Area.objects.filter(code__startswith="520122100201001").exists()
