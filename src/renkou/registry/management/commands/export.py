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
        from django.core.exceptions import PermissionDenied

        from renkou.core.models import Area, User
        from renkou.core.roles import PERSON_EXPORT
        from renkou.core.scoping import has_perm

        account = User.objects.filter(username=user).first()
        if account is None or not account.is_active:
            raise CommandError(f"用户 {user} 不存在或已停用 / no such user, or the account is disabled: {user}")
        if not has_perm(account, PERSON_EXPORT):
            raise CommandError(f"用户 {user}({account.get_role_display()})无导出登记数据的权限 / user {user} ({account.role}) "
                               "may not export register data; ask a county officer")
        if area and not Area.objects.filter(code=area).exists():
            raise CommandError(f"区划代码 {area} 不存在 / unknown area code {area}")
        try:
            with acting_as(account, via="cli"):
                n = export(user=account, kind=kind, path=file, area_code=area, unmasked=unmasked, layout=layout,
                           lang=lang)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{n} rows → {file}")
