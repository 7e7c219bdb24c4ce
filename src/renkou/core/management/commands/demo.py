"""``renkou demo [--small] [--no-serve]``: build the seed's four counties and serve the web app."""

from __future__ import annotations

import contextlib
import os
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db.models import Q

from renkou import demo
from renkou.core.models import Area


class Command(BaseCommand):
    help = "构建演示数据并启动 / build the demonstration (the seed's four counties) and serve it"

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true", help="only the two smaller counties (quick look)")
        parser.add_argument("--seed", type=int, default=2005)
        parser.add_argument("--full", action="store_true",
                            help="compute every period of 2001–2005 for every county (slow)")
        parser.add_argument("--rebuild", action="store_true", help="build even if a demo is already there")
        parser.add_argument("--no-serve", action="store_true")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, **o):
        from renkou.core.progress import progress_board

        call_command("migrate", interactive=False, verbosity=0)
        built = Area.objects.filter(Q(code="520122000000") | Q(code="542526000000")).exists()
        if built and not o["rebuild"]:
            self.stdout.write("演示数据已存在(用 --rebuild 重建) / the demo is already built (use --rebuild); "
                              "passwords are reset below.")
            ctx = demo.DemoContext(small=o["small"], seed=o["seed"], host=o["host"], port=o["port"])
            demo.create_accounts(ctx, None)
            if not o["no_serve"]:
                demo.start_companions(ctx)
        else:
            started = time.monotonic()
            with progress_board() as progress:
                ctx = demo.build(small=o["small"], seed=o["seed"], progress=progress, full=o["full"],
                                 host=o["host"], port=o["port"])
            self.stdout.write(f"演示数据构建完成，用时 {time.monotonic() - started:.0f} 秒 / demo built")
            self.stdout.write("各步骤用时 / time of each step: " + ", ".join(
                f"{name} {seconds:.1f} s" for name, seconds in ctx.timings))
            if not o["no_serve"]:
                demo.start_companions(ctx)  # what runs beside the server (the exchange's workers)
        self._print_accounts(ctx)
        owner = os.getpid()
        try:
            if not o["no_serve"]:
                call_command("serve", host=o["host"], port=o["port"], no_migrate=True)
        finally:
            # the servers started beside the demo's stop with it (Ctrl+C included); gunicorn's workers,
            # forked from this process, leave through here too: only this process stops them
            if os.getpid() == owner:
                demo.stop_companions(ctx)

    def _print_accounts(self, ctx):
        lines = ["", "演示账户 / demo accounts (密码每次运行重新生成 / passwords are new on every run):"]
        for username, password, role, areas in ctx.credentials:
            lines.append(f"  {username:<10} {password:<14} {role:<17} {areas}")
        lines += [f"  {n}" for n in ctx.notes]
        text = "\n".join(lines) + "\n"
        self.stdout.write(text)
        path = os.path.join(settings.HOME, "demo-accounts.txt")
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
