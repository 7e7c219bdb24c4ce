"""Import of a whole folder of files (``renkou import DIR``), e.g. the output of ``renkou synth --out DIR``.

The files are taken in the order their references need: ``areas.csv`` (the area tree:
``code,name,level,urban_rural,parent_code``) → households → persons → events → services →
activity (the township monthly form). Each of ``households``, ``persons``, ``events``,
``services`` and ``activity`` may be a ``.csv`` or an ``.xlsx`` file (the ``.csv`` is used when
both are there); a file that is not in the folder is left out.

Before the area tree, the levels above its counties (province, prefecture, county) are loaded
from the national division table shipped with Renkou when the database does not have them yet,
so a synthetic county imports into an empty database.

Every file is its own import, all or nothing (:func:`renkou.registry.importer.import_file`,
:func:`renkou.core.services.import_areas`, :func:`renkou.indicators.activity.import_activity`):
the first file that is rejected stops the folder, nothing of it is written, the files after it
are not read, the files before it stay imported. Importing the folder again after fixing the
file changes nothing in the files already imported (they come back ``unchanged``).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from renkou.core import areacodes
from renkou.core.models import Area

from .importer import ImportFailed, import_file

REGISTER_KINDS = ("households", "persons", "events", "services")
ORDER = ("areas", *REGISTER_KINDS, "activity")
AREA_FILE = "areas.csv"
DIVISIONS_YEAR = 2023

Progress = Callable[[str], Callable[[int, int], None]]


@dataclass
class FileReport:
    """One line of the folder's report."""

    kind: str  # divisions (the shipped national table), areas, households, …, activity
    name: str  # file name, or a description for the shipped table
    state: str  # written, unchanged, failed, skipped, absent
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    flagged: int = 0
    messages: list[str] = field(default_factory=list)
    result: Any = None  # the underlying import result, when there is one


@dataclass
class FolderImportResult:
    directory: str
    mode: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.state == "failed" for f in self.files)

    def file(self, kind: str) -> FileReport:
        return next(f for f in self.files if f.kind == kind)

    def table(self) -> str:
        """The report: one line per file with rows, created, updated, unchanged, rejected, flagged, result."""
        states = {"written": "已写入 written", "unchanged": "未变 unchanged", "failed": "被拒绝 failed, nothing written",
                  "skipped": "未导入 not imported", "absent": "无此文件 no file"}
        head = ("文件 file", "行 rows", "新增 created", "更新 updated", "未变 unchanged", "拒绝 rejected",
                "待审 flagged", "结果 result")
        lines = [head] + [(f.name, *(("—",) * 6 if f.state in ("skipped", "absent") else
                                     (f"{n:,}" for n in (f.rows, f.created, f.updated, f.unchanged, f.rejected,
                                                         f.flagged))), states[f.state]) for f in self.files]
        widths = [max(_width(line[i]) for line in lines) for i in range(len(head))]
        out = []
        for line in lines:
            cells = [_pad(c, w, right=0 < i < 7) for i, (c, w) in enumerate(zip(line, widths, strict=True))]
            out.append("  ".join(cells).rstrip())
        return "\n".join(out)


def _width(text: str) -> int:
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def find_files(directory: Path) -> dict[str, Path]:
    """The importable files of a folder, by kind (``areas`` is ``areas.csv`` only)."""
    found: dict[str, Path] = {}
    if (directory / AREA_FILE).is_file():
        found["areas"] = directory / AREA_FILE
    for kind in (*REGISTER_KINDS, "activity"):
        for ext in (".csv", ".xlsx"):
            path = directory / f"{kind}{ext}"
            if path.is_file():
                found[kind] = path
                break
    return found


def _counties_of_tree(path: Path) -> list[str]:
    """6-digit county codes of the area tree's rows (read leniently: the area import checks the file)."""
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        return []
    counties = set()
    for rec in csv.DictReader(io.StringIO(text)):
        code = (rec.get("code") or "").strip()
        if code.isdigit() and len(code) >= 6 and code[4:6] != "00":
            counties.add(code[:6])
    return sorted(counties)


def _load_upper_levels(tree: Path) -> FileReport | None:
    """Province, prefecture and county rows of the tree's counties from the shipped table, when missing."""
    from renkou.core import divisions
    from renkou.core.services import import_areas

    shipped = divisions.shipped_divisions(DIVISIONS_YEAR)
    with open(shipped / "areas.csv", encoding="utf-8", newline="") as fh:
        known = {r["code"] for r in csv.DictReader(fh)}
    counties = _counties_of_tree(tree)
    prefectures = {areacodes.full_code(c[:4]) for c in counties}
    present = set(Area.objects.filter(code__in=prefectures).values_list("code", flat=True))
    needed = tuple(c for c in counties if areacodes.full_code(c[:4]) not in present and c in known)
    if not needed:
        return None
    with tempfile.TemporaryDirectory(prefix="renkou-divisions-") as tmp:
        subset = divisions.write_subset(Path(tmp), needed, DIVISIONS_YEAR)
        # Townships come with the folder's own area tree; only the levels above it are taken here.
        (subset / "streets.csv").unlink()
        result = import_areas(subset)
    rows = result.created + result.updated + result.unchanged
    return FileReport("divisions", f"全国区划 {DIVISIONS_YEAR} national table ({', '.join(needed)})",
                      "written" if result.changed else "unchanged", rows=rows, created=result.created,
                      updated=result.updated, unchanged=result.unchanged, result=result)


def _import_area_tree(path: Path, progress) -> FileReport:
    from renkou.core.services import AreaImportError, import_areas

    try:
        result = import_areas(path, progress=progress)
    except AreaImportError as exc:
        return FileReport("areas", path.name, "failed", rows=len(exc.problems), rejected=len(exc.problems),
                          messages=list(exc.problems))
    rows = result.created + result.updated + result.unchanged
    return FileReport("areas", path.name, "written" if result.changed else "unchanged", rows=rows,
                      created=result.created, updated=result.updated, unchanged=result.unchanged, result=result)


def _from_result(kind: str, path: Path, result, mode: str) -> FileReport:
    errors = [f"第 {r.line} 行 line {r.line}: {'；'.join(r.errors)}" for r in result.rows if r.errors]
    failed = result.rejected and mode == "all-or-nothing"
    written = not failed and (result.created or result.updated)
    return FileReport(kind, path.name, "failed" if failed else "written" if written else "unchanged",
                      rows=result.total, created=result.created, updated=result.updated, unchanged=result.unchanged,
                      rejected=result.rejected, flagged=getattr(result, "flagged", 0), messages=errors, result=result)


def import_folder(directory: str | Path, *, user=None, mode: str = "all-or-nothing",
                  progress: Progress | None = None) -> FolderImportResult:
    """Import every file of ``directory`` in dependency order; one report line per file (module text)."""
    from renkou.indicators.activity import import_activity

    folder = Path(directory)
    if not folder.is_dir():
        raise ImportFailed(f"目录 {folder} 不存在", f"no such directory {folder}")
    files = find_files(folder)
    if not files:
        raise ImportFailed(f"目录 {folder} 中没有可导入的文件(areas.csv、households、persons、events、services、activity)",
                           f"no import files in {folder} (areas.csv, households, persons, events, services, activity "
                           "as .csv or .xlsx)")
    report = FolderImportResult(str(folder), mode)
    bar = progress or (lambda label: None)
    stopped = False
    if "areas" in files:
        from renkou.core.services import AreaImportError

        try:
            upper = _load_upper_levels(files["areas"])
        except AreaImportError as exc:
            upper = FileReport("divisions", f"全国区划 {DIVISIONS_YEAR} national table", "failed",
                               messages=list(exc.problems))
        if upper is not None:
            report.files.append(upper)
            stopped = upper.state == "failed"
    for kind in ORDER:
        path = files.get(kind)
        name = path.name if path else (AREA_FILE if kind == "areas" else f"{kind}.csv")
        if path is None:
            report.files.append(FileReport(kind, name, "absent"))
            continue
        if stopped:
            report.files.append(FileReport(kind, name, "skipped"))
            continue
        try:
            if kind == "areas":
                line = _import_area_tree(path, bar(f"导入 {name} / importing {name}"))
            elif kind == "activity":
                line = _from_result(kind, path, import_activity(path, user=user, mode=mode), mode)
            else:
                result = import_file(kind, path, user=user, mode=mode, progress=bar(f"导入 {name} / importing {name}"))
                line = _from_result(kind, path, result, mode)
        except ImportFailed as exc:
            line = FileReport(kind, name, "failed", messages=[str(exc)])
        report.files.append(line)
        stopped = line.state == "failed"
    return report
