"""``renkou synth --area CODE --persons N --years 2001-2005 --seed S --out DIR``: synthetic county files."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "生成合成人口数据文件 / generate a synthetic county as import files (see docs/formats.md)"

    def add_arguments(self, parser):
        parser.add_argument("args", nargs="*", help="arguments of the generator (try --help)")

    def run_from_argv(self, argv):
        # Hand every argument to the generator's own parser so its --help and errors are shown as they are.
        from renkou.synth.cli import main

        code = main(argv[2:])
        if code:
            raise SystemExit(code)

    def handle(self, *args, **options):  # pragma: no cover - run_from_argv handles the command line
        raise CommandError("use: renkou synth --help")
