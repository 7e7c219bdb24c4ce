"""``renkou audit verify [--format json]``: walk the audit log's hash chain and report the first break."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from renkou.core import audit


class Command(BaseCommand):
    help = "审计日志 / audit log: verify the hash chain"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ver = sub.add_parser("verify", help="walk the hash chain of the audit log; exit 1 at the first broken link")
        ver.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        verdict = audit.verify_chain()
        missing = audit.missing_guard()
        if opts["format"] == "json":
            self.stdout.write(json.dumps({**verdict.as_dict(), "missing_triggers": missing}, ensure_ascii=False))
        else:
            self._text(verdict, missing)
        if not verdict.ok:
            b = verdict.broken
            raise CommandError(f"审计链在第 {b.row_id} 条断开 / the audit chain is broken at row {b.row_id}",
                               returncode=1)

    def _text(self, verdict, missing):
        w = self.stdout.write
        if verdict.ok:
            w(f"审计链完整 / audit chain intact: {verdict.rows:,} rows, head #{verdict.head_id or '—'} "
              f"{verdict.head_hash}")
        else:
            b = verdict.broken
            what = ("记录内容被改动 / the row's content was changed" if b.kind == "content"
                    else "前一条记录被删除或插入 / a row before it was removed or slipped in")
            w(f"审计链断开 / audit chain broken at row #{b.row_id} ({what})")
            w(f"  checked rows: {verdict.rows:,}; last good row: #{b.previous_id or '—'}")
            field = "row_hash" if b.kind == "content" else "prev_hash"
            w(f"  {field} expected: {b.expected}")
            w(f"  {field} found:    {b.found or '—'}")
        if missing:
            w(f"警告 warning: append-only triggers missing: {', '.join(missing)}")
