"""``renkou export KIND FILE --user NAME``: scoped, audited, masked export (CSV or XLSX)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from renkou.core.actor import acting_as
from renkou.registry.exporter import EXPORTS, export


class Command(BaseCommand):
    help = "导出登记数据 / export register data (ID numbers masked unless --unmasked)"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(EXPORTS))
        parser.add_argument("file")
        parser.add_argument("--user", required=True)
        parser.add_argument("--area", help="area code to export (within the user's scope)")
        parser.add_argument("--unmasked", action="store_true")
        parser.add_argument("--layout", choices=("people", "machine"), default="people",
                            help="people: headers and code names in --lang (default); machine: the import format")
        parser.add_argument("--lang", choices=("zh-hans", "en"), default="zh-hans",
                            help="language of the headers and code names of the people layout")

    def handle(self, *args, kind, file, user, area, unmasked, layout, lang, **options):
        from renkou.core.models import User

        account = User.objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"用户 {user} 不存在 / no such user")
        with acting_as(account, via="cli"):
            n = export(user=account, kind=kind, path=file, area_code=area, unmasked=unmasked, layout=layout,
                       lang=lang)
        self.stdout.write(f"{n} rows → {file}")
