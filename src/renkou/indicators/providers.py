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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
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
