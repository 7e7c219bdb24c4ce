"""Names of the catalog's operands for :mod:`renkou.indicators.wording` (read from the database)."""

from __future__ import annotations

from . import providers
from .models import Constant, DataElement, Indicator


def catalog_names() -> dict[tuple[str, str], tuple[str, str]]:
    """(kind, code) → (Chinese, English) of every data element, constant, indicator and module operand."""
    names: dict[tuple[str, str], tuple[str, str]] = {}
    for kind, model in (("element", DataElement), ("constant", Constant), ("indicator", Indicator)):
        for code, zh, en in model.objects.values_list("code", "name_zh", "name_en"):
            names[(kind, code)] = (zh, en)
    for code, pair in providers.names().items():
        names[("module", code)] = pair
    return names
