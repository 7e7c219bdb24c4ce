"""``renkou import KIND FILE``: import persons, households, events or services (see docs/registry.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from renkou.core.actor import acting_as
from renkou.core.progress import progress_bar
from renkou.registry.importer import KINDS, ImportFailed, import_file, write_report


class Command(BaseCommand):
    help = "导入人员、户、事件或服务记录 / import persons, households, events or services (CSV or XLSX)"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
        parser.add_argument("--mode", choices=["all-or-nothing", "valid-rows"], default="all-or-nothing")
        parser.add_argument("--report", help="write rejected and flagged rows with the reason (.csv or .xlsx)")
        parser.add_argument("--user", help="import as this user (capture areas apply); default: the administrator")

    def handle(self, *args, kind, file, dry_run, mode, report, user, **options):
        account = None
        if user:
            from renkou.core.models import User

            account = User.objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"用户 {user} 不存在 / no such user")
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
