"""``renkou checkreport --area CODE --user NAME [--report FILE.xlsx|FILE.csv]``: batch logic checks.

Runs every logic check over the persons and events of an area (批量逻辑校验, the same service as the
"run the checks" button of the check report page), refreshes the check queue and prints the open
findings per rule and severity. Named ``checkreport`` because ``check`` is Django's own system check.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from renkou.core.actor import acting_as
from renkou.core.progress import progress_bar


class Command(BaseCommand):
    help = "批量逻辑校验 / run the logic checks of an area, print the open findings per rule, write a report"

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="area code (the whole subtree is checked)")
        parser.add_argument("--user", required=True, help="account whose capture areas bound the run")
        parser.add_argument("--report", help="write the open findings to FILE.xlsx or FILE.csv (needs export)")

    def handle(self, *args, area, user, report, **options):
        from renkou.core.models import Area, User
        from renkou.registry import services

        account = User.objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"用户 {user} 不存在 / no such user")
        if not Area.objects.filter(code=area).exists():
            raise CommandError(f"区划 {area} 不存在 / no such area")
        if report and not report.lower().endswith((".xlsx", ".csv")):
            raise CommandError("报告须为 .xlsx 或 .csv / the report must be .xlsx or .csv")
        try:
            with acting_as(account, via="cli"):
                with progress_bar(f"逻辑校验 checks {area}") as progress:
                    counts = services.batch_check(user=account, area_code=area, progress=progress)
                rows = services.finding_counts(services.open_findings(account, area))
                written = services.write_findings_report(user=account, area_code=area, path=report) \
                    if report else None
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        out = self.stdout
        out.write(f"persons {counts['persons']} · events {counts['events']} · "
                  f"errors {counts['errors']} · warnings {counts['warnings']}")
        width = max([len(r["rule"]) for r in rows] + [4])
        out.write(f"{'rule':<{width}}  {'severity':<8}  {'count':>7}")
        for r in rows:
            out.write(f"{r['rule']:<{width}}  {r['severity']:<8}  {r['n']:>7}")
        out.write(f"{'total':<{width}}  {'':<8}  {sum(r['n'] for r in rows):>7}")
        if report:
            out.write(f"{written} findings → {report}")
