"""``renkou demography rates|lifetable|project …``: demographic computations from CSV tables."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "人口学计算 / demographic rates, life tables and projections (see docs/demography.md)"

    def add_arguments(self, parser):
        parser.add_argument("args", nargs="*")

    def run_from_argv(self, argv):
        from renkou.demography.cli import main

        code = main(argv[2:])
        if code:
            raise SystemExit(code)

    def handle(self, *args, **options):  # pragma: no cover
        raise CommandError("use: renkou demography --help")
