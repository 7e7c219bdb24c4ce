"""``renkou migrate [--every-step]``: Django's migrate; an empty SQLite database is created from the shipped schema.

On an empty SQLite database whose code has exactly the migrations of ``renkou/core/data/schema/sqlite.sql``,
the schema is loaded in one transaction (see ``renkou.core.schema``) and the migrations are recorded as
applied; the usual ``pre_migrate``/``post_migrate`` signals are sent. Any other case — PostgreSQL, a database
with tables, a stale schema file, one app or one migration named, ``--fake``, ``--plan``, ``--check``,
``--prune``, ``--every-step``, or settings without the append-only guards (the test suite's) — is Django's
migrate unchanged.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.management.commands import migrate as django_migrate
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connections

from renkou.core import schema


class Command(django_migrate.Command):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--every-step", action="store_true",
                            help="apply every migration one by one, even to an empty SQLite database")

    def handle(self, *args, **options):
        if self._from_schema(options):
            return None
        return super().handle(*args, **options)

    def _from_schema(self, options) -> bool:
        if options.get("every_step") or options.get("app_label") or options.get("migration_name"):
            return False
        if any(options.get(k) for k in ("fake", "fake_initial", "plan", "check_unapplied", "prune")):
            return False
        connection = connections[options["database"]]
        text = schema.shipped()
        why = schema.usable(schema.keys_of(text), schema.migration_keys(), connection.vendor,
                            connection.introspection.table_names(),
                            guards=getattr(settings, "RENKOU_AUDIT_DB_GUARD", True))
        verbosity, interactive = options["verbosity"], options["interactive"]
        if why is not None:
            if verbosity >= 2:
                self.stdout.write(f"Applying the migrations step by step: {why}.")
            return False
        if not options.get("skip_checks"):
            self.check(databases=[connection.alias])
        emit_pre_migrate_signal(verbosity, interactive, connection.alias, stdout=self.stdout, apps=apps, plan=[])
        count = schema.load(connection, text)
        emit_post_migrate_signal(verbosity, interactive, connection.alias, stdout=self.stdout, apps=apps, plan=[])
        if verbosity >= 1:
            self.stdout.write(f"Created the database from the shipped schema: {count} migrations recorded as "
                              "applied (renkou migrate --every-step applies them one by one).")
        return True
