"""``renkou schema --check | --write``: the shipped SQLite schema (``renkou/core/data/schema/sqlite.sql``).

``--check`` migrates a scratch SQLite database step by step and exits with an error when its dump differs from
the shipped file; ``--write`` replaces the file with it. Run ``--write`` after adding a migration; until then
``renkou migrate`` applies the migrations one by one, so a stale file is slow, never wrong.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from renkou.core import schema


class Command(BaseCommand):
    help = "检查或重写内置的 SQLite 数据库结构 / check or rewrite the shipped SQLite schema"

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--check", action="store_true")
        group.add_argument("--write", action="store_true")

    def handle(self, *args, **o):
        text = schema.generate()
        if o["write"]:
            schema.DUMP_PATH.parent.mkdir(parents=True, exist_ok=True)
            schema.DUMP_PATH.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {schema.DUMP_PATH} ({len(schema.keys_of(text))} migrations).")
            return
        if text != schema.shipped():
            raise CommandError(f"{schema.DUMP_PATH} differs from the migrations; run `renkou schema --write`.")
        self.stdout.write(f"{schema.DUMP_PATH} matches the {len(schema.keys_of(text))} migrations.")
