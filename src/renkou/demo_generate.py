"""The demo's second process: it generates the largest county and searches its probable duplicates
while the building process builds the others (``renkou.demo.build_counties``).

Imported by a freshly spawned interpreter before Django is set up, so nothing here imports Django at
module level.
"""

from __future__ import annotations


def generate_counties(jobs, seed: int, taken: set[str], out) -> None:
    """Generate each county of ``jobs`` (preset name, county code, parameters) and put
    ``("result", county, result)`` on ``out`` as soon as it is generated, then search its probable
    duplicates (no database needed) and put ``("pairs", county, pairs)``, in order: the building
    process writes the county while its pairs are searched here. ``taken`` (the ID numbers of the
    register) gains the numbers each county keeps, as ``loader.prepare`` does. An error is put as
    ``("error", None, traceback text)`` for the building process to raise."""
    import traceback

    try:
        import django

        django.setup()
        from renkou.registry import loader
        from renkou.synth.generator import generate

        for _name, county, params in jobs:
            result = generate(params, seed)
            out.put(("result", county, result))
            out.put(("pairs", county, loader.prepare(result, taken).pairs))
    except BaseException:  # noqa: BLE001 — reported to the building process, which raises it
        out.put(("error", None, traceback.format_exc()))
