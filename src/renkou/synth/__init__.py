"""Synthetic population microsimulation (合成人口微观模拟) for development, tests, demos and benchmarks.

No real person's data is ever used: every module of Renkou runs on synthetic
counties made here.  Pure NumPy, no Django; deterministic by seed.

    from renkou.synth import generate, preset, write_result
    result = generate(preset("gaize"), seed=1)
    write_result(result, "out/gaize", formats=("csv", "xlsx"))
"""

from __future__ import annotations

from .generator import generate
from .model import COLUMNS, SynthResult
from .params import PRESETS, CountyParams, preset
from .writers import write_result

__all__ = ["COLUMNS", "PRESETS", "CountyParams", "SynthResult", "generate", "preset", "write_result"]
