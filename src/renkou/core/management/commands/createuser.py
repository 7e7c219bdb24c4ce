"""``renkou createuser USERNAME --role ROLE --capture CODE … --view CODE …`` (password from prompt or env)."""

from __future__ import annotations

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from renkou.core import areacodes, services
from renkou.core.actor import acting_as
from renkou.core.models import User
from renkou.core.roles import Role


class Command(BaseCommand):
    help = "创建用户账户 / create a user account (use --superuser for the system administrator)"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=[r.value for r in Role])
        parser.add_argument("--full-name", default="")
        parser.add_argument("--capture", nargs="*", default=[], help="capture area codes")
        parser.add_argument("--view", nargs="*", default=[], help="view area codes")
        parser.add_argument("--superuser", action="store_true")
        parser.add_argument("--password-env", default="RENKOU_PASSWORD",
                            help="environment variable holding the password (else prompt)")

    def handle(self, *args, **o):
        password = os.environ.get(o["password_env"]) or getpass.getpass("密码 / password: ")
        with acting_as(None, via="cli"):
            if o["superuser"]:
                if User.objects.filter(username=o["username"]).exists():
                    raise CommandError("用户名已存在 / username exists")
                User.objects.create_superuser(o["username"], password=password, full_name=o["full_name"])
                self.stdout.write(f"系统管理员 {o['username']} 已创建 / superuser created")
                return
            if not o["role"]:
                raise CommandError("--role 必填 / --role is required")
            try:
                services.create_user(by=None, username=o["username"], password=password, role=o["role"],
                                     full_name=o["full_name"],
                                     capture_areas=[areacodes.full_code(c) for c in o["capture"]],
                                     view_areas=[areacodes.full_code(c) for c in o["view"]])
            except ValidationError as exc:
                raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stdout.write(f"用户 {o['username']} 已创建 / user created")
