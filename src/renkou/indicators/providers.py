"""Module operands (模块指标来源): figures kept by other modules, read by indicator expressions.

A module that keeps records of its own (benefits, loans, feeds, the bureau's records) registers a
*provider*: the names of its operands and one function that gives an operand for many areas at
once. Indicator expressions read them as ``M{provider.operand}`` (``M{benefits.paid_units}``), so
the module's figures become catalog indicators — computed, stored with their inputs and provenance,
scored by assessments — like register counts. A provider may ship a catalog fragment (the
``indicators:`` list of a catalog file) that ``load_catalog`` loads after the main catalog.

The function is called with the areas' prefixes (significant digits of the codes: ``540102``,
``540102001``) and the period's first and last day; it returns one value per prefix, ``None``
where it has nothing to count. Stocks (an outstanding balance) are read as of the last day.

The engine asks for every operand of the catalog for all areas at once, one operand after another,
inside :func:`batch`: a provider may keep what several of its operands share (the loans' facts, the
bureau's summary of an area) with :func:`memo` for the length of that one computation — never
longer, so no figure is read from a cache older than the request. :func:`present` and :func:`rollup`
turn one grouped query (area code → count) into the values of every prefix.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

Compute = Callable[[str, list[str], dt.date, dt.date], Sequence[float | int | None]]


@dataclass(frozen=True)
class Provider:
    name: str
    operands: Mapping[str, tuple[str, str]]  # operand → (Chinese name, English name)
    compute: Compute
    catalog: Path | None = None


_PROVIDERS: dict[str, Provider] = {}


class UnknownOperand(ValueError):
    """``M{…}`` names a provider or an operand that is not registered."""


def register(name: str, operands: Mapping[str, tuple[str, str]], compute: Compute, *,
             catalog: Path | str | None = None) -> Provider:
    """Register (or replace, on a reload) the provider ``name``; called from an app's ``ready()``."""
    provider = Provider(name, dict(operands), compute, Path(catalog) if catalog else None)
    _PROVIDERS[name] = provider
    return provider


def providers() -> list[Provider]:
    return [_PROVIDERS[k] for k in sorted(_PROVIDERS)]


def split(code: str) -> tuple[str, str]:
    name, _dot, operand = code.partition(".")
    return name, operand


def resolve(code: str) -> tuple[Provider, str]:
    """The provider and operand of ``provider.operand``; :class:`UnknownOperand` when not registered."""
    name, operand = split(code)
    provider = _PROVIDERS.get(name)
    if provider is None:
        known = "、".join(sorted(_PROVIDERS)) or "—"
        raise UnknownOperand(f"没有名为 “{name}” 的模块来源（已有：{known}） / no module source {name!r} "
                             f"(known: {', '.join(sorted(_PROVIDERS)) or 'none'})")
    if operand not in provider.operands:
        raise UnknownOperand(f"模块来源 “{name}” 没有 “{operand}” / module source {name!r} has no operand "
                             f"{operand!r} (has: {', '.join(sorted(provider.operands))})")
    return provider, operand


def values(code: str, prefixes: list[str], start: dt.date, end: dt.date) -> list[float | None]:
    """Operand ``provider.operand`` for each prefix over [start, end]."""
    provider, operand = resolve(code)
    out = list(provider.compute(operand, list(prefixes), start, end))
    if len(out) != len(prefixes):
        raise ValueError(f"module source {provider.name} returned {len(out)} values for {len(prefixes)} areas")
    return [None if v is None else float(v) for v in out]


def names() -> dict[str, tuple[str, str]]:
    """``provider.operand`` → (Chinese, English) of every registered operand."""
    return {f"{p.name}.{op}": pair for p in providers() for op, pair in p.operands.items()}


_MEMO: contextvars.ContextVar[dict | None] = contextvars.ContextVar("renkou_provider_memo", default=None)


@contextlib.contextmanager
def batch():
    """Scope of one computation of many operands: :func:`memo` keeps values only inside it."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def memo(key, compute: Callable[[], object]):
    """``compute()``, shared by every caller with the same ``key`` inside the current :func:`batch`
    (computed afresh each time outside one)."""
    store = _MEMO.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


def common_prefix(prefixes: Sequence[str]) -> str:
    """The longest prefix shared by all ``prefixes`` (``""`` when they share none)."""
    if not prefixes:
        return ""
    low, high = min(prefixes), max(prefixes)
    n = 0
    while n < min(len(low), len(high)) and low[n] == high[n]:
        n += 1
    return low[:n]


def _owners(prefixes: Sequence[str]) -> tuple[set[int], dict[str, list[int]]]:
    lengths = {len(p) for p in prefixes}
    index: dict[str, list[int]] = {}
    for i, p in enumerate(prefixes):
        index.setdefault(p, []).append(i)
    return lengths, index


def rollup(pairs: Iterable[tuple[str, float]], prefixes: Sequence[str]) -> list[float]:
    """Sum of the values of the area codes under each prefix (``pairs``: code → value, e.g. one
    grouped ``COUNT`` per village); 0 for a prefix with no code under it."""
    lengths, index = _owners(prefixes)
    out = [0.0] * len(prefixes)
    for code, value in pairs:
        for n in lengths:
            for i in index.get(code[:n], ()):
                out[i] += value
    return out


def present(codes: Iterable[str], prefixes: Sequence[str]) -> list[bool]:
    """For each prefix, whether any of ``codes`` lies under it."""
    lengths, index = _owners(prefixes)
    out = [False] * len(prefixes)
    for code in codes:
        for n in lengths:
            for i in index.get(code[:n], ()):
                out[i] = True
    return out


def groups(items: Iterable, code_of: Callable[[object], str], prefixes: Sequence[str]) -> list[list]:
    """The items under each prefix, in their order (``code_of`` gives an item's area code)."""
    lengths, index = _owners(prefixes)
    out: list[list] = [[] for _ in prefixes]
    for item in items:
        code = code_of(item)
        for n in lengths:
            for i in index.get(code[:n], ()):
                out[i].append(item)
    return out
