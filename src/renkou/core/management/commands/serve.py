"""``renkou serve [--host 127.0.0.1] [--port 8000]``: migrate, then serve with waitress (a production WSGI server)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动网页服务 / serve the web application"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args, **o):
        if not o["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        import waitress

        from renkou.wsgi import application

        self.stdout.write(f"Renkou 运行于 / serving at http://{o['host']}:{o['port']}/  (Ctrl+C 停止 / to stop)")
        self.stdout.flush()
        waitress.serve(application, host=o["host"], port=o["port"], threads=o["threads"], ident="renkou")
