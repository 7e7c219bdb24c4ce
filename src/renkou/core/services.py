"""Business actions of the core: areas import and listing, accounts, ID-number confirmation.

Plain functions, one transaction each, called by views, the API, the command line and tests alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from . import areacodes, audit, idnumber, pipeline
from .models import Area, AreaChange, IdNumberConfirmation, User
from .roles import ID_CONFIRM, USER_MANAGE, Role
from .scoping import code_in_scope, require

# ---------------------------------------------------------------------------------------------
# Areas


class AreaImportError(Exception):
    """The file is rejected as a whole; ``problems`` names every bad row, field and rule."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        head = "\n".join(problems[:50])
        more = f"\n… 另有 {len(problems) - 50} 处错误 / {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"区划导入被拒绝，数据库未作任何改动 / area import rejected, nothing was changed:\n{head}{more}")


@dataclass
class AreaImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[int, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


@dataclass(frozen=True)
class AreaRow:
    source: str  # file name and row number, for messages
    code: str  # full 12/15-digit code
    name: str
    level: int
    parent_code: str | None
    urban_rural: str = ""
    valid_from: dt.date | None = None


# The NBS division files (as published with the 2023 codes): file → (level, code digits, parent column).
NBS_FILES = {
    "provinces.csv": (1, 2, None),
    "cities.csv": (2, 4, "provinceCode"),
    "areas.csv": (3, 6, "cityCode"),
    "streets.csv": (4, 9, "areaCode"),
    "villages.csv": (5, 12, "streetCode"),
}


# The columns of each kind of area file (``pipeline.Spec``): the NBS files by their parent column, and
# Renkou's own area file, which is also the area tree that ``renkou synth --out`` writes
# (``areas.csv``: code, name, level, urban_rural, parent_code; docs/formats.md).
def _nbs_spec(name: str, parent_col: str | None) -> pipeline.Spec:
    cols = [pipeline.Col("code", "code", True), pipeline.Col("name", "name", True)]
    if parent_col:
        cols.append(pipeline.Col(parent_col, parent_col, True))
    return pipeline.Spec(name, tuple(cols))


AREA_FILE = pipeline.Spec("areas", (
    pipeline.Col("code", "代码", True), pipeline.Col("name", "名称", True), pipeline.Col("level", "层级"),
    pipeline.Col("parent_code", "上级代码"), pipeline.Col("urban_rural", "城乡分类代码"),
    pipeline.Col("valid_from", "启用日期"),
))
LEVEL_WORDS = {"province": 1, "prefecture": 2, "county": 3, "township": 4, "village": 5, "group": 6,
               **{str(n): n for n in range(1, 7)}, **{zh: n for n, (zh, _en) in areacodes.LEVEL_NAMES.items()}}


def _area_rows(path: Path, spec: pipeline.Spec, problems: list[str]):
    """The rows of one area file as ``(where, cells by column)``, read by the file pipeline
    (encoding, size limit, one row at a time); a missing column, extra cells or a NUL byte is a problem."""
    try:
        table = pipeline.read_table(pipeline.open_source(path))
    except pipeline.ImportFailed as exc:
        problems.append(f"{path.name}: {exc.zh} / {exc.en}")
        return
    try:
        mapping = spec.map_header(table.header, path.name)
    except pipeline.ImportFailed:
        have = {h.lower() for h in table.header} | set(table.header)
        missing = [c.name for c in spec.columns if c.required and c.name.lower() not in have and c.zh not in have]
        problems.append(f"{path.name}: 缺少列 {', '.join(missing)}(表头为 {table.header[:10]}) / missing column(s) "
                        f"{', '.join(missing)}")
        table.close()
        return
    for line, cells in table.rows:
        r = mapping.row(line, cells)
        where = f"{path.name} 第{line}行 / row {line}"
        if r.errors:
            problems.extend(f"{where}: {e}" for e in r.errors)
            continue
        yield where, r.raw


def _is_area_tree(path: Path) -> bool:
    """Whether a file named like an NBS file is in fact Renkou's own area file (the area tree of
    ``renkou synth``): its header has ``parent_code`` or ``level`` rather than the NBS parent column."""
    try:
        table = pipeline.read_table(pipeline.open_source(path))
    except pipeline.ImportFailed:
        return False
    header = table.header
    table.close()
    names = {h.strip().lower() for h in header}
    return bool(names & {"parent_code", "level", "上级代码", "层级"})


def _rows_of_nbs_file(path: Path, level: int, digits: int, parent_col: str | None, problems: list[str]):
    for where, rec in _area_rows(path, _nbs_spec(path.name, parent_col), problems):
        code = rec.get("code", "")
        name = rec.get("name", "")
        if not code.isdigit() or len(code) != digits:
            problems.append(f"{where}: 字段 code 的值 {code!r} 应为 {digits} 位数字 / field code must be {digits} digits")
            continue
        if not name:
            problems.append(f"{where}: 字段 name 为空 / field name is empty")
            continue
        if level > 1 and not code[areacodes.LEVEL_DIGITS[level - 1]:digits].strip("0"):
            # A placeholder whose own part is zeros is the same unit as its parent: the county row of a
            # prefecture-level city without counties (东莞市 441900), the township row of 金门县 (350527000).
            # Its children hang directly under the parent.
            continue
        parent = None
        if parent_col:
            pcode = rec.get(parent_col, "")
            pdigits = areacodes.LEVEL_DIGITS[level - 1]
            if not pcode.isdigit() or len(pcode) != pdigits or not code.startswith(pcode):
                problems.append(f"{where}: 字段 {parent_col} 的值 {pcode!r} 不是代码 {code} 的上级 / "
                                f"field {parent_col} is not the parent of {code}")
                continue
            parent = areacodes.full_code(pcode)
        full = areacodes.full_code(code)
        bad = areacodes.problem(full) if level > 1 else (None if code != "00" else "00")
        if bad and level > 2:
            problems.append(f"{where}: {bad}")
            continue
        yield AreaRow(where, full, name, level, parent)


def _rows_of_generic_file(path: Path, problems: list[str]):
    """Renkou's own area file: code (significant digits, or 12 or 15 digits), name, optional level,
    parent_code, urban_rural, valid_from — also the area tree ``renkou synth --out`` writes."""
    for where, rec in _area_rows(path, AREA_FILE, problems):
        code = rec.get("code", "")
        name = rec.get("name", "")
        if len(code) in (2, 4, 6, 9) and code.isdigit():
            code = areacodes.full_code(code)
        bad = areacodes.problem(code)
        if bad:
            problems.append(f"{where}: 字段 code: {bad}")
            continue
        if not name:
            problems.append(f"{where}: 字段 name 为空 / field name is empty")
            continue
        level = areacodes.level_of(code)
        given_level = rec.get("level", "")
        if given_level and LEVEL_WORDS.get(given_level.lower()) != level:
            problems.append(f"{where}: 字段 level 的值 {given_level!r} 与代码 {code} 的层级"
                            f"({areacodes.LEVEL_NAMES[level][0]})不符 / level does not match the code "
                            f"({areacodes.LEVEL_NAMES[level][1]})")
            continue
        parent = areacodes.parent_code(code, level)
        given_parent = rec.get("parent_code", "")
        if given_parent and areacodes.full_code(given_parent) != parent:
            problems.append(f"{where}: 字段 parent_code {given_parent} 与代码 {code} 的结构不符 / parent_code does not match the code")
            continue
        ur = rec.get("urban_rural", "")
        if ur and ur not in areacodes.URBAN_RURAL:
            problems.append(f"{where}: 字段 urban_rural 的值 {ur!r} 不是城乡分类代码(111…220) / not an urban–rural class code")
            continue
        vf = rec.get("valid_from", "")
        try:
            valid_from = dt.date.fromisoformat(vf) if vf else None
        except ValueError:
            problems.append(f"{where}: 字段 valid_from 的值 {vf!r} 不是日期(YYYY-MM-DD) / not a date")
            continue
        yield AreaRow(where, code, name, level, parent, ur, valid_from)


def _rows_of(path: Path, problems: list[str]):
    if path.name in NBS_FILES and not _is_area_tree(path):
        return _rows_of_nbs_file(path, *NBS_FILES[path.name], problems)
    return _rows_of_generic_file(path, problems)


def read_area_rows(source: str | Path) -> list[AreaRow]:
    """Read a directory of NBS files (or holding the area tree ``areas.csv`` of ``renkou synth``), one
    NBS file, or one area file of Renkou's own format; raise naming every bad row."""
    path = Path(source)
    problems: list[str] = []
    rows: list[AreaRow] = []
    if path.is_dir():
        files = [path / name for name in NBS_FILES if (path / name).exists()]
        if not files:
            raise AreaImportError([f"{path}: 目录中没有 provinces.csv / cities.csv / areas.csv / streets.csv / "
                                   "no division files in the directory"])
        for file in files:
            rows.extend(_rows_of(file, problems))
    elif path.is_file():
        rows.extend(_rows_of(path, problems))
    else:
        raise AreaImportError([f"{path}: 文件或目录不存在 / no such file or directory"])
    seen: dict[str, str] = {}
    for r in rows:
        if r.code in seen:
            problems.append(f"{r.source}: 代码 {r.code} 重复(已见于 {seen[r.code]}) / duplicate code")
        seen[r.code] = r.source
    if problems:
        raise AreaImportError(problems)
    return rows


def _peer_group(code: str, level: int) -> str:
    return areacodes.township_kind(code) if level == 4 else ""


def import_areas(source: str | Path, progress: Callable[[int, int], None] | None = None) -> AreaImportResult:
    """Load division codes, all or nothing; importing the same data twice changes nothing.

    Orphans (a parent neither in the file nor in the database) reject the whole file with the
    row named. Names and urban–rural classes that changed are updated (with an audit record and a
    rename entry in the crosswalk); nothing is ever deleted by an import.
    """
    rows = read_area_rows(source)
    rows.sort(key=lambda r: (r.level, r.code))
    existing = {a.code: a for a in Area.objects.all()}
    in_file = {r.code for r in rows}
    orphans = [f"{r.source}: 上级代码 {r.parent_code} 在文件和数据库中都不存在 / parent {r.parent_code} of {r.code} "
               "exists neither in the file nor in the database"
               for r in rows if r.parent_code and r.parent_code not in in_file and r.parent_code not in existing]
    if orphans:
        raise AreaImportError(orphans)
    result = AreaImportResult()
    to_create: list[AreaRow] = []
    to_update: list[tuple[Area, AreaRow]] = []
    for r in rows:
        result.by_level[r.level] = result.by_level.get(r.level, 0) + 1
        cur = existing.get(r.code)
        if cur is None:
            to_create.append(r)
        elif cur.name != r.name or (r.urban_rural and cur.urban_rural != r.urban_rural) or cur.level != r.level:
            to_update.append((cur, r))
        else:
            result.unchanged += 1
    total = len(to_create) + len(to_update)
    table = Area._meta.db_table
    # A plain parameterised executemany (portable across SQLite and PostgreSQL): the ORM's per-object
    # bulk_create costs 20× more for the 44,000 rows of the national file (see docs/benchmarks.md).
    sql = (f"INSERT INTO {table} (code, name, level, parent_id, urban_rural, valid_from, valid_to, peer_group) "
           "VALUES (%s, %s, %s, %s, %s, %s, NULL, %s)")
    with transaction.atomic():
        done = 0
        with connection.cursor() as cursor:
            for i in range(0, len(to_create), 5000):
                batch = to_create[i:i + 5000]  # rows are sorted by level: parents go in first
                cursor.executemany(sql, [(r.code, r.name, r.level, r.parent_code, r.urban_rural, r.valid_from,
                                          _peer_group(r.code, r.level)) for r in batch])
                done += len(batch)
                if progress:
                    progress(done, total)
        for cur, r in to_update:
            if cur.level != r.level:
                raise AreaImportError([f"{r.source}: 代码 {r.code} 已存在，但层级不同 / code exists with another level"])
            if cur.name != r.name:
                AreaChange.objects.get_or_create(old_code=r.code, new_code=r.code, effective=dt.date.today(),
                                                 defaults={"kind": AreaChange.Kind.RENAME, "old_name": cur.name,
                                                           "new_name": r.name})
            before = audit.serialise_instance(cur)
            cur.name = r.name
            cur.urban_rural = r.urban_rural or cur.urban_rural
            cur.save(update_fields=["name", "urban_rural"])
            audit.record("update", cur, before=before, after=audit.serialise_instance(cur), area_code=cur.code)
            done += 1
            if progress:
                progress(done, total)
        result.created = len(to_create)
        result.updated = len(to_update)
        if result.changed:
            audit.record("import", object_type="core.area", object_repr=str(source)[:200],
                         detail={"created": result.created, "updated": result.updated,
                                 "unchanged": result.unchanged})
    return result


def area_subtree(code: str, levels: Iterable[int] | None = None):
    area = Area.objects.get(code=code)
    qs = Area.objects.filter(code__startswith=area.prefix)
    if levels:
        qs = qs.filter(level__in=list(levels))
    return qs.order_by("code")


def record_area_change(*, user, old_code: str, new_code: str, kind: str, effective: dt.date, note: str = "") -> AreaChange:
    """Record a merge / rename / recode: the old area is closed at ``effective``, history is kept."""
    from .roles import AREA_MANAGE

    require(user, AREA_MANAGE)
    with transaction.atomic():
        old = Area.objects.select_for_update().get(code=old_code)
        new = Area.objects.get(code=new_code) if new_code else None
        change = AreaChange.objects.create(old_code=old_code, new_code=new_code, kind=kind, effective=effective,
                                           old_name=old.name, new_name=new.name if new else "", note=note)
        if kind in (AreaChange.Kind.MERGE, AreaChange.Kind.RECODE, AreaChange.Kind.ABOLISH):
            before = audit.serialise_instance(old)
            old.valid_to = effective - dt.timedelta(days=1)
            old.save(update_fields=["valid_to"])
            audit.record("update", old, before=before, after=audit.serialise_instance(old), area_code=old.code,
                         detail={"area_change": change.pk})
    return change


def current_code(code: str, on: dt.date) -> str:
    """Follow the crosswalk from an old code to the code in force on ``on``."""
    seen = set()
    while code not in seen:
        seen.add(code)
        step = (AreaChange.objects.filter(old_code=code, effective__lte=on)
                .exclude(new_code="").exclude(new_code=code).order_by("-effective").first())
        if step is None:
            return code
        code = step.new_code
    return code


# ---------------------------------------------------------------------------------------------
# Accounts


def create_user(*, by, username: str, password: str, role: str, full_name: str = "",
                capture_areas: Iterable[str] = (), view_areas: Iterable[str] = (), check_password: bool = True) -> User:
    """Create an account. ``by`` is None only for the command line run by the system administrator."""
    try:
        Role(role)
    except ValueError as exc:
        raise ValidationError({"role": f"未知角色 {role!r} / unknown role; one of {[r.value for r in Role]}"}) from exc
    capture = list(Area.objects.filter(code__in=list(capture_areas)))
    view = list(Area.objects.filter(code__in=list(view_areas)))
    missing = (set(capture_areas) | set(view_areas)) - {a.code for a in capture + view}
    if missing:
        raise ValidationError({"areas": f"区划不存在: {', '.join(sorted(missing))} / unknown area codes"})
    if by is not None:
        require(by, USER_MANAGE)
        for a in capture + view:
            if not code_in_scope(by, a.code, "capture"):
                raise PermissionDenied(f"不能授予您管辖范围以外的区划 {a.code} / cannot grant an area outside your own")
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"用户名 {username} 已存在 / username already exists"})
    user = User(username=username, role=role, full_name=full_name)
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    with transaction.atomic():
        user.save()
        user.capture_areas.set(capture)
        user.view_areas.set(view)
        audit.record("create", user, user=by, area_code=(capture or view or [None])[0].code if (capture or view) else "",
                     after={"username": username, "role": role, "capture_areas": [a.code for a in capture],
                            "view_areas": [a.code for a in view]})
    return user


# ---------------------------------------------------------------------------------------------
# Identity numbers


def confirm_id_number(*, user, number: str, reason: str) -> IdNumberConfirmation:
    """Accept a well-formed number whose check character is wrong, with the reason, audited."""
    require(user, ID_CONFIRM)
    info = idnumber.inspect(number)
    if info.state is not idnumber.IdState.CHECK_DIGIT_MISMATCH:
        raise ValidationError({"number": "只有校验码不符的号码需要确认 / only numbers with a wrong check character "
                                         f"need confirmation (this one: {info.state.value})"})
    if len((reason or "").strip()) < 4:
        raise ValidationError({"reason": "请说明确认理由(至少4个字) / give a reason (at least 4 characters)"})
    with transaction.atomic():
        conf, created = IdNumberConfirmation.objects.get_or_create(
            number=info.number, defaults={"reason": reason.strip(), "confirmed_by": user})
        if created:
            audit.record("confirm", conf, object_repr=idnumber.mask(info.number),
                         detail={"reason": reason.strip(), "expected_check": info.expected_check})
    return conf


def id_number_acceptable(number: str) -> tuple[bool, idnumber.IdNumberInfo]:
    """Whether the register may store the number now: valid, converted, or flagged and confirmed."""
    info = idnumber.inspect(number)
    if info.state in (idnumber.IdState.VALID, idnumber.IdState.CONVERTED):
        return True, info
    if info.state is idnumber.IdState.CHECK_DIGIT_MISMATCH:
        return IdNumberConfirmation.objects.filter(number=info.number).exists(), info
    return False, info
