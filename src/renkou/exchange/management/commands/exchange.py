"""``renkou exchange init|identity|directory|send|deliver|worker|receive|export-batch|import-batch|status``.

``renkou exchange init --code renqiu --name 任丘市 --prefix 130982`` creates this node's key pair
(the private key in ``$RENKOU_HOME/exchange/<code>.key``); ``identity`` prints the public key;
``directory FILE`` imports the peers (YAML or CSV, all or nothing); ``send KIND --area CODE
--payload JSON [--reply-to UID] [--urgent]`` writes a message to the outbox; ``deliver`` delivers the
due messages once; ``worker [--workers N]`` runs the background worker that delivers them (a huey
consumer, until SIGINT/SIGTERM); ``receive FILE`` applies one signed message file (JSON); ``export-batch FILE`` /
``import-batch FILE`` carry the outbox offline; ``status [--format json]`` counts the outbox and inbox.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from renkou.exchange import messages, services


class Command(BaseCommand):
    help = "节点间信息交换 / exchange between Renkou nodes"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        i = sub.add_parser("init", help="create this node's identity (Ed25519 key pair)")
        i.add_argument("--code", required=True)
        i.add_argument("--name", required=True)
        i.add_argument("--prefix", action="append", default=[], help="an area-code prefix this node serves")
        sub.add_parser("identity", help="this node's code and public key")
        d = sub.add_parser("directory", help="import the peer directory (YAML or CSV), all or nothing")
        d.add_argument("file")
        s = sub.add_parser("send", help="write a message to the outbox")
        s.add_argument("kind", choices=messages.KINDS)
        s.add_argument("--area", required=True)
        s.add_argument("--payload", required=True, help="the payload as JSON")
        s.add_argument("--reply-to", default=None)
        s.add_argument("--urgent", action="store_true")
        dl = sub.add_parser("deliver", help="deliver the due outbox messages once")
        dl.add_argument("--force", action="store_true", help="also the messages waiting for their back-off")
        w = sub.add_parser("worker", help="deliver the outbox in the background (huey consumer) until stopped")
        w.add_argument("--workers", type=int, default=1, help="worker threads (default 1)")
        r = sub.add_parser("receive", help="apply one signed message file (JSON)")
        r.add_argument("file")
        e = sub.add_parser("export-batch", help="the pending outbox as one signed zip file")
        e.add_argument("file")
        m = sub.add_parser("import-batch", help="apply a batch file, all or nothing")
        m.add_argument("file")
        t = sub.add_parser("status", help="outbox and inbox counts, last errors, refused messages")
        t.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args, **o):
        try:
            getattr(self, "do_" + o["action"].replace("-", "_"))(o)
        except (ValueError, services.NotInitialised, OSError) as exc:
            raise CommandError(str(exc)) from exc

    def _json(self, data):
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))

    def do_init(self, o):
        node = services.init_node(o["code"], o["name"], prefixes=o["prefix"] or None)
        self.stdout.write(f"{node.code} {node.public_key}")

    def do_identity(self, o):
        self._json(services.identity())

    def do_directory(self, o):
        self.stdout.write(f"{services.import_directory(Path(o['file']))} peers")

    def do_send(self, o):
        with transaction.atomic():
            msg = services.send(o["kind"], area_code=o["area"], payload=json.loads(o["payload"]),
                                reply_to=o["reply_to"], urgent=o["urgent"])
        self.stdout.write(f"{msg.uid} → {msg.recipient}")

    def do_deliver(self, o):
        self._json(services.deliver(force=o["force"]))

    def do_worker(self, o):
        import logging

        from renkou.exchange import worker

        if o["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        services.this_node()
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        for name in ("huey", "renkou.exchange.worker"):
            logging.getLogger(name).addHandler(handler)
            logging.getLogger(name).setLevel(logging.INFO)
            logging.getLogger(name).propagate = False
        self.stderr.write(f"exchange worker of {services.this_node().code}: {o['workers']} thread(s), "
                          f"queue {worker.queue_path()}")
        try:
            worker.consume(workers=o["workers"])
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc

    def do_receive(self, o):
        msg, outcome = services.receive(json.loads(Path(o["file"]).read_text(encoding="utf-8")))
        self.stdout.write(f"{msg.uid} {outcome} {msg.reason}".rstrip())
        if outcome == "refused":
            raise CommandError(f"refused: {msg.reason}")

    def do_export_batch(self, o):
        self._json(services.export_batch(Path(o["file"])))

    def do_import_batch(self, o):
        self._json(services.import_batch(Path(o["file"])))

    def do_status(self, o):
        data = services.status()
        if o["format"] == "json":
            self._json(data)
            return
        self.stdout.write(f"node {data['node']}")
        for k, v in data["counts"].items():
            if v:
                self.stdout.write(f"  {k:16} {v}")
        for row in data["last_errors"]:
            self.stdout.write(f"  error {row['uid']} → {row['recipient']} ({row['attempts']}): {row['last_error']}")
        for row in data["refused"]:
            self.stdout.write(f"  refused {row['uid']} from {row['sender']}: {row['reason']}")
