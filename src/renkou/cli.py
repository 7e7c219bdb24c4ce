"""The ``renkou`` command: Django's management commands with Renkou's settings preset.

``renkou migrate``, ``renkou serve``, ``renkou demo``, ``renkou createuser``, ``renkou areas import DIR``…
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        args = ["help"]
    execute_from_command_line(["renkou", *args])
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
