"""Building the demonstration: the seed's four counties, accounts of every role, each module's part.

``renkou demo`` calls :func:`build`. Every module that has something to show adds a step to
:data:`STEPS` (a callable ``step(context, progress)``), so the demo grows with the system.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from renkou.core import areacodes, services
from renkou.core.actor import acting_as
from renkou.core.models import ApiToken, Area, User

# name, preset, in --small
COUNTIES = [
    ("gaize", "542526", True),
    ("chengguan", "540102", True),
    ("xifeng", "520122", False),
    ("renqiu", "130982", False),
]

# What the seed says of each county (DOMAIN.md §1), shown beside what the register holds.
SEED_FIGURES = {
    "542526": {"persons": 18_689, "reference": "2005-12-31", "note": "17,078 herders"},
    "540102": {"persons": 46_730, "households": 17_115, "reference": "2004-12-31"},
    "520122": {"persons": 251_900, "cbr_permille": 9.2, "reference": "2005-12-31"},
    "130982": {"persons": 778_400, "migrants_min": 40_000, "reference": "2005-12-31"},
}


@dataclass
class DemoContext:
    small: bool
    seed: int
    full: bool = False  # every period of every module, not only those the demo shows
    results: dict[str, object] = field(default_factory=dict)  # county code → SynthResult
    credentials: list[tuple[str, str, str, str]] = field(default_factory=list)  # user, password, role, areas
    notes: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)  # step name, seconds
    # where ``renkou demo`` will serve the site, and the processes a step starts to serve beside it
    host: str = "127.0.0.1"
    port: int = 8000
    companions: list[Companion] = field(default_factory=list)


Step = Callable[[DemoContext, Callable[[str], Callable[[int, int], None]]], None]
STEPS: list[tuple[str, Step]] = []


# ---------------------------------------------------------------- processes served beside the demo
# A step may start a server that runs beside the demo's own (the exchange's second node): it adds a
# Companion to ``ctx.companions``; ``renkou demo`` stops them all when its server stops (or at once
# with --no-serve). When a demo already built is served again, each of ``SERVE_HOOKS`` (a callable
# ``hook(context)``) may start its companion again.


@dataclass
class Companion:
    name: str
    url: str
    stop: Callable[[], None]


SERVE_HOOKS: list[Callable[[DemoContext], None]] = []


def start_companions(ctx: DemoContext) -> None:
    for hook in SERVE_HOOKS:
        hook(ctx)


def stop_companions(ctx: DemoContext) -> None:
    while ctx.companions:
        ctx.companions.pop().stop()


def _ensure_upper_areas(county: str) -> None:
    """Province, prefecture and county rows, named from the GB/T 2260 table when not imported."""
    from renkou.synth.areas import county_name

    for level, digits in ((1, 2), (2, 4), (3, 6)):
        code = areacodes.full_code(county[:digits])
        if Area.objects.filter(code=code).exists():
            continue
        six = county[:digits].ljust(6, "0")
        try:
            name = county_name(six)
        except ValueError:
            name = six
        parent = areacodes.parent_code(code, level)
        Area.objects.create(code=code, name=name, level=level, parent_id=parent)


def _real_townships(county: str) -> tuple[tuple[str, str], ...]:
    qs = Area.objects.filter(parent_id=areacodes.full_code(county), level=4).order_by("code")
    return tuple((a.code[:9], a.name) for a in qs)


def _save_area_tree(nodes) -> int:
    """Create the generated townships, villages and groups that are not in the database yet."""
    existing = set(Area.objects.filter(code__startswith=nodes[0].code[:6]).values_list("code", flat=True))
    new = []
    for node in nodes:
        code = areacodes.full_code(node.code)
        if code in existing:
            continue
        level = areacodes.level_of(code)
        new.append(Area(code=code, name=node.name, level=level, parent_id=areacodes.parent_code(code, level),
                        urban_rural=node.urban_rural or "",
                        peer_group=areacodes.township_kind(code) if level == 4 else ""))
        existing.add(code)
    new.sort(key=lambda a: a.level)
    Area.objects.bulk_create(new, batch_size=2000)
    return len(new)


def _county_jobs(ctx: DemoContext) -> list[tuple[str, str, object]]:
    """(preset name, county code, parameters) of the counties this build generates."""
    from renkou.synth.params import preset

    jobs = []
    for name, county, in_small in COUNTIES:
        if ctx.small and not in_small:
            continue
        params = preset(name)
        with transaction.atomic():
            _ensure_upper_areas(county)
        towns = _real_townships(county)
        if towns:
            params = params.with_changes(township_names=towns)
        jobs.append((name, county, params))
    return jobs


def build_counties(ctx: DemoContext, progress) -> None:
    """Generate the counties and load them into the register. With more than two counties (the full
    demo) a second process generates the largest (任丘, built last) while this one generates and
    writes the others, and searches its probable duplicates while this one writes it: the machine's
    second core does the largest pure parts of the work, and the register is written in the same
    order as without it (smallest first)."""
    import multiprocessing
    import queue as queues

    from renkou import demo_generate
    from renkou.registry import loader as registry_loader
    from renkou.synth.generator import generate

    jobs = _county_jobs(ctx)
    load = _registry_loader()
    worker = None
    remote: set[str] = set()
    if load is registry_loader.load_synthetic and len(jobs) > 2:
        spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited connection or thread
        results = spawn.Queue(maxsize=2)
        largest = jobs[-1:]  # the counties are built smallest first
        remote = {county for _name, county, _params in largest}
        # the second process searches the duplicates with the numbers as the register had them when it
        # started; the loader stores a number taken since (by a county built here) without it
        worker = spawn.Process(target=demo_generate.generate_counties, name="renkou-demo-generate", daemon=True,
                               args=(largest, ctx.seed, registry_loader.taken_numbers(), results))
        worker.start()

    def receive(kind: str, county: str):
        while True:
            try:
                got, code, value = results.get(timeout=5)
                break
            except queues.Empty:
                if not worker.is_alive():
                    raise RuntimeError(f"the process generating the counties stopped (exit code "
                                       f"{worker.exitcode})") from None
        if got == "error":
            raise RuntimeError(f"generating the counties failed:\n{value}")
        assert (got, code) == (kind, county), (got, code, kind, county)
        return value

    try:
        for name, county, params in jobs:
            bar = progress(f"生成 {name} / generating {name}")
            bar(0, 1)
            result = receive("result", county) if county in remote else generate(params, ctx.seed)
            bar(1, 1)
            with transaction.atomic():
                _save_area_tree(result.areas)
            ctx.results[county] = result
            if load is None:
                ctx.notes.append("registry module not installed: persons were generated but not loaded")
            elif county in remote:
                load(result, progress=progress(f"载入 {name} / loading {name}"),
                     pairs=lambda county=county: receive("pairs", county))
            else:
                load(result, progress=progress(f"载入 {name} / loading {name}"))
    finally:
        if worker is not None:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()


def _registry_loader():
    try:
        from renkou.registry import loader
    except ImportError:
        return None
    return getattr(loader, "load_synthetic", None) or getattr(loader, "load", None)


DEMO_ACCOUNTS = [
    # username, role, post, capture areas, view areas. "<county>", "<township>" and "<village>" are the
    # demo's home county (Xifeng when built, else the first county built), its first town and that
    # town's first village, so that --small has an account of every role too.
    ("county", "county_officer", "卫健局 人口家庭科", ["<county>"], []),
    ("township", "township_officer", "计生办", ["<township>"], []),
    ("village", "village_officer", "村级专干", ["<village>"], []),
    ("evaluator", "evaluator", "考核组", [], ["<county>"]),
    ("loans", "loan_officer", "城关区 幸福工程办公室", [], ["540102"]),
    ("auditor", "auditor", "审计员", [], ["<county>"]),
    ("renqiu", "county_officer", "任丘市 流动人口服务", ["130982"], []),
    ("gaize", "county_officer", "改则县 计生办", ["542526"], []),
    ("peer", "machine_peer", "省级交换节点", ["<county>"], []),
]


def _home_county() -> Area | None:
    for code in ("520122",) + tuple(c for _n, c, _s in COUNTIES):
        area = Area.objects.filter(code=areacodes.full_code(code)).first()
        if area is not None and area.children.exists():
            return area
    return None


def _resolve(code: str) -> str | None:
    home = _home_county()
    if code == "<county>":
        return home.code if home else None
    if code in ("<township>", "<village>"):
        if home is None:
            return None
        town = Area.objects.filter(parent=home, level=4).order_by("code").first()
        if town is None or code == "<township>":
            return town.code if town else None
        village = Area.objects.filter(parent=town, level=5).order_by("code").first()
        return village.code if village else None
    full = areacodes.full_code(code)
    return full if Area.objects.filter(code=full).exists() else None


def create_accounts(ctx: DemoContext, progress) -> None:
    for username, role, full_name, capture, view in DEMO_ACCOUNTS:
        cap = [c for c in (_resolve(x) for x in capture) if c]
        vis = [c for c in (_resolve(x) for x in view) if c]
        if (capture and not cap) or (view and not vis):
            continue  # county not built (--small)
        password = secrets.token_urlsafe(9)
        user = User.objects.filter(username=username).first()
        if "<" in "".join(capture + view):
            full_name = f"{Area.objects.get(code=(cap + vis)[0]).name} {full_name}"
        if user is None:
            services.create_user(by=None, username=username, password=password, role=role, full_name=full_name,
                                 capture_areas=cap, view_areas=vis, check_password=False)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        ctx.credentials.append((username, password, role, " ".join(cap + vis)))
    if not User.objects.filter(username="admin").exists():
        password = secrets.token_urlsafe(9)
        User.objects.create_superuser("admin", password=password, full_name="系统管理员")
        ctx.credentials.append(("admin", password, "superuser", "*"))
    peer = User.objects.filter(username="peer").first()
    if peer is not None:
        _obj, token = ApiToken.issue(peer, f"demo {dt.date.today()}")
        ctx.notes.append(f"API token of 'peer': {token}  (curl -H 'Authorization: Bearer …' /api/me)")


def run_checks(ctx: DemoContext, progress) -> None:
    """Batch logic checks (批量逻辑校验) of the first township of the smallest county built, so that the
    check report and queue show what the checks find in a register (the rest is one click away)."""
    from renkou.registry import services as registry

    if not ctx.results:
        return
    county = next(iter(ctx.results))  # the counties are built smallest first
    officer = User.objects.filter(role="county_officer", capture_areas__code=f"{county}000000").first()
    town = Area.objects.filter(code__startswith=county, level=Area.Level.TOWNSHIP).order_by("code").first()
    if officer is None or town is None:
        return
    counts = registry.batch_check(user=officer, area_code=town.code, progress=progress(
        f"逻辑校验 {town.name} / logic checks of {town.code}"))
    ctx.notes.append(f"logic checks of {town.name} ({town.code}): {counts['errors']} errors, "
                     f"{counts['warnings']} warnings — /registry/checks/?area={town.code}")


STEPS.extend([("counties", build_counties), ("accounts", create_accounts), ("checks", run_checks)])


def refresh_indicators(ctx: DemoContext, progress) -> None:
    from renkou.indicators.demo import refresh_indicators as refresh

    refresh(ctx, progress)


# After every module's steps, whatever order the modules were imported in: what the later steps changed
# in the register is counted again before any page is served.
FINAL_STEPS: list[tuple[str, Step]] = [("indicators-refresh", refresh_indicators)]


def build(*, small: bool, seed: int, progress, full: bool = False, host: str = "127.0.0.1",
          port: int = 8000) -> DemoContext:
    ctx = DemoContext(small=small, seed=seed, full=full, host=host, port=port)
    with acting_as(None, via="system"):
        try:
            for name, step in [*STEPS, *FINAL_STEPS]:
                started = time.monotonic()
                step(ctx, progress)
                ctx.timings.append((name, time.monotonic() - started))
        except BaseException:
            stop_companions(ctx)  # a failed or interrupted build leaves no server behind
            raise
    return ctx
# Each module's step registers itself on import. Order matters: assessment scores come from computed
# indicator values.
# isort: off
import renkou.indicators.demo  # noqa: E402,F401
import renkou.evaluation.demo  # noqa: E402,F401
import renkou.benefits.demo  # noqa: E402,F401
import renkou.loans.demo  # noqa: E402,F401
import renkou.feeds.demo  # noqa: E402,F401
import renkou.migrants.demo  # noqa: E402,F401
import renkou.bureau.demo  # noqa: E402,F401
import renkou.exchange.demo  # noqa: E402,F401
# isort: on
