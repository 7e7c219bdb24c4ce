"""The feeds part of ``renkou demo``: each county's 2005 department files linked into its register.

For every county the demo built (Gaize 542526 and Chengguan 540102 in the small demo, Xifeng 520122
and Renqiu 130982 too in the full one): the shipped example sources (公安 hukou changes, 民政
marriages, 卫生 birth notices) are installed, the year's synthetic department files are written from
the county's register with their noise and their truth (``renkou.feeds.synthetic``), read through the
watched-folder path and linked; what the linkage could not decide waits in the reconciliation queue,
and the births the hospitals know and the register does not are the under-registration the feeds
reveal (``/feeds/completeness/``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from renkou.core import areacodes
from renkou.core.models import Area
from renkou.demo import STEPS

from . import services

COUNTIES = ("542526", "540102", "520122", "130982")


def run_county(code: str, seed: int, result=None) -> dict:
    """The year's department files of county ``code`` written, received and linked. With the county's
    synthetic ``result``, the hospitals' notices of births the register lacks are the births the
    synthetic register really left out (its ground truth), so the feeds and the assessment's sampled
    verification look at the same under-registration."""
    from renkou.registry.models import Event

    from . import services, synthetic

    services.install_shipped_sources(code)
    years = Event.objects.filter(kind="birth", area__pk__startswith=code).dates("event_date", "year")
    year = 2005 if any(d.year == 2005 for d in years) else (max(years).year if years else None)
    if year is None:
        return {}
    with tempfile.TemporaryDirectory(prefix="renkou-feeds-demo-") as tmp:
        missing = synthetic.missing_births_of(result) if result is not None else None
        counts = synthetic.generate(code, year, tmp, seed=seed, unregistered=missing)
        received = services.watch_folder(Path(tmp), county_code=code)
        stats = synthetic.evaluate(Path(tmp) / "ground_truth.json")
    totals = services.totals(services.completeness_for(None, code, str(year)))
    return {"year": year, "files": len(received), "records": sum(counts.values()), "totals": totals,
            "precision": stats.get("all", {}).get("precision"), "recall": stats.get("all", {}).get("recall")}


def demo_step(ctx, progress) -> None:
    for code in COUNTIES:
        if not Area.objects.filter(code=areacodes.full_code(code), children__isnull=False).exists():
            continue
        bar = progress(f"部门信息比对 {code} / department feeds of {code}")
        bar(0, 1)
        t = run_county(code, ctx.seed, ctx.results.get(code))
        bar(1, 1)
        if not t:
            continue
        births = t["totals"].get("weisheng-birth-notice", {})
        queued = sum(v["queued"] for v in t["totals"].values())
        ctx.notes.append(f"feeds {code} {t['year']}: {t['records']:,} department records in {t['files']} files, "
                         f"precision {t['precision']}, recall {t['recall']}; {queued:,} in the queue; "
                         f"{births.get('missing', 0):,} births missing from the register — "
                         f"/feeds/completeness/?area={code}&period={t['year']}")
        cmp = services.verification_comparison(code)
        if cmp is not None:
            v = cmp["verification"]
            ctx.notes.append(
                f"feeds {code} against the sampled verification of {cmp['period']}: the birth notices find "
                f"{cmp['feeds_missing']} of {cmp['feeds_births']} births missing ({cmp['feeds_rate']:.2%}), the "
                f"door-to-door sample estimates {v.rate:.2%} (95 % interval {v.lower:.2%}–{v.upper:.2%}): "
                f"{'consistent' if cmp['consistent'] else 'NOT consistent'}")


STEPS.append(("feeds", demo_step))
