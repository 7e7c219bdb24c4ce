"""``renkou import KIND FILE`` and ``renkou import DIR`` (see docs/registry.md).

``KIND FILE`` imports one file of persons, households, events or services. ``DIR`` imports a whole
folder such as ``renkou synth --out DIR`` writes — area tree, households, persons, events, services,
activity, in that order — with one report (:mod:`renkou.registry.folder`).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from renkou.core.actor import acting_as
from renkou.core.progress import progress_bar, progress_board
from renkou.registry.importer import KINDS, ImportFailed, import_file, write_report

USAGE = (f"用法 usage: renkou import {{{'|'.join(KINDS)}}} FILE  或 or  renkou import DIR")


class Command(BaseCommand):
    help = ("导入人员、户、事件或服务记录，或整个目录 / import persons, households, events or services "
            "(CSV or XLSX), or a whole folder of them (DIR)")

    def add_arguments(self, parser):
        parser.add_argument("kind", metavar="KIND|DIR", help=f"{', '.join(KINDS)}, or a folder to import whole")
        parser.add_argument("file", nargs="?", help="the file to import (with KIND)")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing (KIND FILE only)")
        parser.add_argument("--mode", choices=["all-or-nothing", "valid-rows"], default="all-or-nothing")
        parser.add_argument("--report", help="write rejected and flagged rows with the reason (.csv or .xlsx); "
                                             "with DIR, a folder that gets one KIND-report.csv per file")
        parser.add_argument("--user", help="import as this user (capture areas apply); default: the administrator")

    def handle(self, *args, kind, file, dry_run, mode, report, user, **options):
        account = None
        if user:
            from renkou.core.models import User

            account = User.objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"用户 {user} 不存在 / no such user")
        if file is None:
            if not Path(kind).is_dir():
                if kind in KINDS:
                    raise CommandError(f"{kind}: 缺少文件 / the file is missing\n{USAGE}")
                raise CommandError(f"{kind}: 不是目录 / not a directory\n{USAGE}")
            if dry_run:
                raise CommandError("--dry-run 只用于单个文件(目录中后面的文件依赖前面写入的数据) / --dry-run checks one "
                                   "file: the files of a folder depend on the ones before them being written")
            return self._folder(Path(kind), account, mode, report)
        if kind not in KINDS:
            raise CommandError(f"{kind}: 未知类型，应为 {', '.join(KINDS)} / unknown kind\n{USAGE}")
        try:
            with acting_as(account, via="cli"), progress_bar(f"import {kind}") as bar:
                result = import_file(kind, file, user=account, mode=mode, dry_run=dry_run, progress=bar)
        except ImportFailed as exc:
            raise CommandError(f"{exc}\n数据库未作任何改动 / the database was not changed") from exc
        self.stdout.write(result.summary())
        shown = [r for r in result.rows if r.errors][:20]
        for r in shown:
            self.stdout.write(f"  line {r.line}: {'; '.join(r.errors)[:300]}")
        if result.rejected > len(shown):
            self.stdout.write(f"  … 另有 {result.rejected - len(shown):,} 行被拒绝 / {result.rejected - len(shown):,} more "
                              "rejected row(s)" + ("" if report else "; use --report FILE to get every reason"))
        if report:
            n = write_report(result, report)
            self.stdout.write(f"report: {report} ({n} rows)")
        if result.rejected and mode == "all-or-nothing":
            raise CommandError(f"{result.rejected} 行被拒绝，未写入任何数据 / {result.rejected} row(s) rejected, nothing "
                               "was written" + ("" if report else "; use --report FILE to get every reason"))

    def _folder(self, folder: Path, account, mode: str, report: str | None) -> None:
        from renkou.registry.folder import REGISTER_KINDS, import_folder

        try:
            with acting_as(account, via="cli"), progress_board() as board:
                result = import_folder(folder, user=account, mode=mode, progress=board)
        except ImportFailed as exc:
            raise CommandError(f"{exc}\n数据库未作任何改动 / the database was not changed") from exc
        self.stdout.write(result.table())
        for f in result.files:
            for message in f.messages[:20]:
                self.stdout.write(f"  {f.name} {message[:300]}")
            if len(f.messages) > 20:
                self.stdout.write(f"  {f.name} … 另有 {len(f.messages) - 20} 处 / {len(f.messages) - 20} more")
        if report:
            target = Path(report)
            target.mkdir(parents=True, exist_ok=True)
            for f in result.files:
                if f.kind in REGISTER_KINDS and f.result is not None and (f.rejected or f.flagged):
                    path = target / f"{f.kind}-report.csv"
                    n = write_report(f.result, path)
                    self.stdout.write(f"report: {path} ({n} rows)")
        if not result.ok:
            failed = next(f for f in result.files if f.state == "failed")
            raise CommandError(f"{failed.name} 被拒绝，该文件未写入任何数据，其后的文件未导入 / {failed.name} was rejected: "
                               "nothing of it was written and the files after it were not imported"
                               + ("" if report else "; use --report DIR to get every reason"))
