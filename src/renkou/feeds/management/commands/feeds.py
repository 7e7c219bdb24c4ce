"""``renkou feeds sources|import|watch|link|queue|completeness|synth|evaluate``: department feeds from the shell.

``renkou feeds sources --county 520122 [--install]`` lists (or installs the shipped example) sources;
``renkou feeds import SOURCE FILE --county 520122 [--dry-run] [--report PATH]`` reads one file (all-or-nothing,
idempotent); ``renkou feeds watch DIR [--every SECONDS]`` reads every new file of ``DIR/<source code>/`` and links it
(once, or again and again);
``renkou feeds link --source SOURCE --county 520122 [--period 2005-03]`` links what is not linked yet;
``renkou feeds queue --county 520122`` lists the records waiting for a decision;
``renkou feeds completeness --area 520122 --period 2005 --format json`` prints completeness per source
and month; ``renkou feeds synth --county 520122 --year 2005 --out DIR`` writes synthetic department
files from the register, with ``ground_truth.json``; ``renkou feeds evaluate DIR/ground_truth.json``
prints precision and recall of the linkage per kind of noise.
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from renkou.core.actor import acting_as


def _fmt(parser):
    parser.add_argument("--format", choices=("table", "json"), default="table")


class Command(BaseCommand):
    help = "部门信息比对 / department feeds: sources, files, linkage, queue, completeness"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("sources", help="list the sources of a county (--install: the shipped examples)")
        p.add_argument("--county", default="")
        p.add_argument("--install", action="store_true")
        _fmt(p)
        i = sub.add_parser("import", help="read one department file with its source's mapping")
        i.add_argument("source")
        i.add_argument("file")
        i.add_argument("--county", required=True)
        i.add_argument("--dry-run", action="store_true")
        i.add_argument("--report", default="", help="write the rejected rows with their reasons to this CSV")
        _fmt(i)
        w = sub.add_parser("watch", help="read the new files of DIR/<source code>/ and link them")
        w.add_argument("directory")
        w.add_argument("--county", default="")
        w.add_argument("--every", type=float, default=0,
                       help="look again every SECONDS until interrupted (default: once)")
        _fmt(w)
        k = sub.add_parser("link", help="link a source's records not yet linked")
        k.add_argument("--source", required=True)
        k.add_argument("--county", required=True)
        k.add_argument("--period", default="")
        _fmt(k)
        q = sub.add_parser("queue", help="records waiting for a decision")
        q.add_argument("--county", required=True)
        q.add_argument("--status", default="queued", choices=("queued", "not_found"))
        _fmt(q)
        c = sub.add_parser("completeness", help="per source and month: received, linked, missing, unconfirmed")
        c.add_argument("--area", required=True)
        c.add_argument("--period", required=True)
        c.add_argument("--source", default="")
        _fmt(c)
        s = sub.add_parser("synth", help="synthetic department files from the register, with ground_truth.json")
        s.add_argument("--county", required=True)
        s.add_argument("--year", type=int, required=True)
        s.add_argument("--out", required=True)
        s.add_argument("--seed", type=int, default=2005)
        _fmt(s)
        e = sub.add_parser("evaluate", help="precision and recall of the linkage against ground_truth.json")
        e.add_argument("truth")
        _fmt(e)

    def handle(self, *args, **o):
        from renkou.feeds import services
        from renkou.feeds.importer import ImportFailed
        from renkou.feeds.mapping import MappingInvalid

        with acting_as(None, via="cli"):
            try:
                getattr(self, f"_{o['action']}")(services, o)
            except ImportFailed as exc:
                raise CommandError(str(exc)) from exc
            except (ValidationError, PermissionDenied, ValueError, MappingInvalid) as exc:
                raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc

    def _out(self, o, data, lines):
        if o["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1, default=str))
        else:
            for line in lines:
                self.stdout.write(line)

    def _source(self, services, o, code):
        from renkou.feeds.models import Source

        try:
            return Source.objects.get(code=code, county__pk__startswith=o["county"][:6])
        except Source.DoesNotExist as exc:
            raise CommandError(f"没有来源 {code}(县 {o['county']}) / no source {code} in county {o['county']}") from exc

    def _sources(self, services, o):
        if o["install"]:
            if not o["county"]:
                raise CommandError("--install 需要 --county / --install needs --county")
            services.install_shipped_sources(o["county"])
        qs = services.visible_sources(None)
        if o["county"]:
            qs = qs.filter(county__pk__startswith=o["county"][:6])
        data = [{"code": s.code, "county": s.county_id, "department": s.department, "name_zh": s.name_zh,
                 "name_en": s.name_en, "mapping_version": s.mapping().version if s.mapping() else None,
                 "auto_weight": s.auto_weight, "review_weight": s.review_weight} for s in qs]
        self._out(o, data, [f"{d['code']}\t{d['county']}\t{d['department']}\tv{d['mapping_version']}\t{d['name_zh']}"
                            for d in data])

    def _import(self, services, o):
        from renkou.core.pipeline import write_report

        source = self._source(services, o, o["source"])
        got = services.receive(user=None, source=source, path=o["file"], dry_run=o["dry_run"])
        res = got.result
        if o["report"] and res is not None and res.reported:
            write_report(res, o["report"])
        data = {"file": o["file"], "source": source.code, "repeated": got.repeated,
                "feed_file": got.file.pk if got.file else None}
        if res is not None:
            data.update({"rows": res.total, "created": res.created, "received_before": res.unchanged,
                         "rejected": res.rejected, "flagged": res.flagged, "written": res.written,
                         "errors": [{"row": r.line, "reasons": r.errors} for r in res.rows if r.errors][:200]})
        lines = [got.summary()] + [f"  第 {r.line} 行 row {r.line}: {'; '.join(r.errors)}"
                                   for r in (res.rows if res else []) if r.errors][:200]
        self._out(o, data, lines)
        if not got.ok:
            raise CommandError("文件未导入 / the file was not imported")

    def _watch(self, services, o):
        import time

        while True:
            got = services.watch_folder(o["directory"], user=None, county_code=o["county"])
            data = [{"source": g.source.code, "file": g.name, "ok": g.ok, "repeated": g.repeated,
                     "summary": g.summary()} for g in got]
            if o["every"] <= 0:
                self._out(o, data, [d["summary"] for d in data])
                return
            for d in data:  # a file seen before is not reported again
                if not d["repeated"]:
                    self.stdout.write(json.dumps(d, ensure_ascii=False) if o["format"] == "json" else d["summary"])
            self.stdout.flush()
            time.sleep(o["every"])

    def _link(self, services, o):
        source = self._source(services, o, o["source"])
        counts = services.link_source(user=None, source=source, period=o["period"])
        self._out(o, counts, [f"{k}\t{v:,}" for k, v in counts.items()])

    def _queue(self, services, o):
        from renkou.feeds.models import FeedRecord

        qs = FeedRecord.objects.filter(area__pk__startswith=o["county"][:6], status=o["status"]) \
            .select_related("source").order_by("-match_weight", "pk")
        data = [{"record": r.pk, "source": r.source.code, "record_key": r.record_key, "kind": r.kind,
                 "event_date": r.event_date, "area": r.area_id, "match_weight": r.match_weight,
                 "candidates": [{"person": c.person_id, "match_weight": round(c.match_weight, 2)}
                                for c in r.candidates.all()]} for r in qs[:1000]]
        self._out(o, data, [f"{d['record']}\t{d['source']}\t{d['record_key']}\t{d['kind']}\t{d['event_date']}\t"
                            f"{d['area']}\t{d['match_weight'] if d['match_weight'] is None else round(d['match_weight'], 1)}"
                            for d in data])

    def _completeness(self, services, o):
        rows = services.completeness_for(None, o["area"], o["period"], source_code=o["source"])
        totals = services.totals(rows)
        self._out(o, {"area": o["area"], "period": o["period"], "rows": rows, "totals": list(totals.values())},
                  [f"{t['source']}\treceived {t['received']:,}\tauto {t['auto_linked']:,}\tdecided "
                   f"{t['linked_by_decision']:,}\tqueued {t['queued']:,}\tmissing {t['missing']:,}\trejected "
                   f"{t['rejected']:,}\tregister events {t['register_events']:,}\tunconfirmed {t['unconfirmed_events']:,}"
                   for t in totals.values()])

    def _synth(self, services, o):
        from renkou.feeds import synthetic

        counts = synthetic.generate(o["county"][:6], o["year"], o["out"], seed=o["seed"])
        self._out(o, counts, [f"{k}\t{v:,}" for k, v in counts.items()])

    def _evaluate(self, services, o):
        from renkou.feeds import synthetic

        stats = synthetic.evaluate(o["truth"])
        self._out(o, stats, [f"{g}\trecords {s['records']:,}\tlinked {s['linked']:,}\tprecision {s['precision']}\t"
                             f"recall {s['recall']}\tqueued {s['queued']:,}" for g, s in stats.items()])
