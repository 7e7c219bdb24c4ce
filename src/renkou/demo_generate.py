"""The demo's second process: it generates the counties and prepares their load while the building
process writes the previous county (``renkou.demo.build_counties``).

Imported by a freshly spawned interpreter before Django is set up, so nothing here imports Django at
module level.
"""

from __future__ import annotations


def generate_counties(jobs, seed: int, taken: set[str], out) -> None:
    """Generate each county of ``jobs`` (preset name, county code, parameters) and prepare its load
    (no database needed), putting ``(county, result, prepared)`` on ``out`` in order; an error is put
    as ``(None, traceback text, None)`` for the building process to raise."""
    import traceback

    try:
        import django

        django.setup()
        from renkou.registry import loader
        from renkou.synth.generator import generate

        for _name, county, params in jobs:
            result = generate(params, seed)
            out.put((county, result, loader.prepare(result, taken)))
    except BaseException:  # noqa: BLE001 — reported to the building process, which raises it
        out.put((None, traceback.format_exc(), None))
