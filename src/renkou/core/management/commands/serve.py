"""``renkou serve [--host 127.0.0.1] [--port 8000] [--workers N] [--threads N]``: migrate, then serve.

The server is gunicorn with several worker processes, their number chosen from the cores
(``renkou.core.serving``: a worker per core, at least 2, of 4 threads each, 120 s timeout); ``--server waitress``
runs one waitress process instead (threads only).

Beside the server, a process recomputes the indicator values of the register cells changed since the last
computation every ``--recompute-every`` seconds (default 300; 0 turns it off): ``renkou indicators
recompute-dirty --every N``, ended with the server (and ending by itself when the server is killed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from renkou.core import serving


class Command(BaseCommand):
    help = "启动网页服务 / serve the web application"

    def add_arguments(self, parser):
        config = serving.defaults()
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=None,
                            help=f"worker processes (default one per core, at least 2; here {config.workers})")
        parser.add_argument("--threads", type=int, default=None,
                            help=f"threads per worker (default {config.threads}; waitress: 8)")
        parser.add_argument("--timeout", type=int, default=config.timeout,
                            help="seconds before a silent worker is restarted")
        parser.add_argument("--server", choices=("gunicorn", "waitress"), default="gunicorn")
        parser.add_argument("--no-migrate", action="store_true")
        parser.add_argument("--recompute-every", type=float, default=300, metavar="SECONDS",
                            help="recompute the indicator values of changed register cells every SECONDS "
                                 "(default 300; 0: never, run `renkou indicators recompute-dirty` yourself)")

    def handle(self, *args, **o):
        if not o["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        every = o["recompute_every"]
        if every < 0:
            raise CommandError("--recompute-every must be 0 (off) or a number of seconds")
        recompute = None
        if every > 0:
            recompute = subprocess.Popen([sys.executable, "-m", "renkou", "indicators", "recompute-dirty",
                                          "--every", f"{every:g}", "--parent", str(os.getpid())])

        def stop(signum, frame):  # SIGTERM ends the server like Ctrl+C, so that the loop is ended with it
            raise SystemExit(0)

        previous = signal.signal(signal.SIGTERM, stop) if recompute is not None else None
        try:
            self._serve(o)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            if recompute is not None:
                recompute.terminate()
                try:
                    recompute.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    recompute.kill()

    def _serve(self, o):
        base = serving.defaults()
        if o["server"] == "waitress":
            import waitress

            from renkou.wsgi import application

            self.stdout.write(f"Renkou 运行于 / serving at http://{o['host']}:{o['port']}/  "
                              f"(waitress, {o['threads'] or 8} threads; Ctrl+C 停止 / to stop)")
            self.stdout.flush()
            waitress.serve(application, host=o["host"], port=o["port"], threads=o["threads"] or 8, ident="renkou")
            return
        config = serving.ServerConfig(workers=o["workers"] or base.workers, threads=o["threads"] or base.threads,
                                      timeout=o["timeout"])
        if config.workers < 1 or config.threads < 1 or config.timeout < 1:
            raise CommandError("--workers, --threads and --timeout must be at least 1")
        self.stdout.write(f"Renkou 运行于 / serving at http://{o['host']}:{o['port']}/  "
                          f"({config.workers} workers × {config.threads} threads; Ctrl+C 停止 / to stop)")
        self.stdout.flush()
        serving.run_gunicorn(o["host"], o["port"], config)
