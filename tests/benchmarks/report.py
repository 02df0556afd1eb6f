"""Timing helpers and the results every benchmark adds to (written by conftest at the end)."""

from __future__ import annotations

import cProfile
import gc
import io
import json
import os
import pstats
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

RESULTS_PATH = Path(__file__).resolve().parents[2] / "bench-results.json"
WARMUP = int(os.environ.get("BENCH_WARMUP", "3"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "25"))
# Targets are checked strictly in the report; the assertions allow this much for noise.
SLACK = 1.2


@dataclass
class Result:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    target_ratio: float | None = None  # value / baseline must stay at or below this
    target_value: float | None = None  # for counts: value must equal this
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        if self.target_ratio is not None and self.ratio is not None:
            return self.ratio <= self.target_ratio
        if self.target_value is not None:
            return self.value == self.target_value
        return None

    def as_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "name": self.name,
            "value": round(self.value, 3),
            "unit": self.unit,
            "baseline": None if self.baseline is None else round(self.baseline, 3),
            "ratio": None if ratio is None else round(ratio, 2),
        }


RESULTS: list[Result] = []
PROFILES: list[str] = []


def record(result: Result) -> Result:
    RESULTS[:] = [r for r in RESULTS if r.name != result.name]
    RESULTS.append(result)
    return result


def median_ms(
    run: Callable[[int], object], *, warmup: int = WARMUP, repeat: int = REPEAT
) -> tuple[float, list[float]]:
    """Median wall time of ``run(i)`` in ms over ``repeat`` runs after ``warmup`` runs.

    ``i`` counts every call (warm-up included), so a run can take the i-th of a list.
    """
    for i in range(warmup):
        run(i)
    gc.collect()
    samples = []
    for i in range(warmup, warmup + repeat):
        started = perf_counter()
        run(i)
        samples.append((perf_counter() - started) * 1000)
    return statistics.median(samples), samples


def paired_median_ms(
    run: Callable[[], object],
    baseline: Callable[[], object],
    *,
    warmup: int = WARMUP,
    repeat: int = REPEAT,
) -> tuple[float, float]:
    """Medians of ``run`` and ``baseline`` timed turn about, so a noisy spell on this shared
    machine slows both alike and their ratio stays meaningful."""
    for _ in range(warmup):
        run()
        baseline()
    gc.collect()
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        for call, samples in ((run, ours), (baseline, theirs)):
            started = perf_counter()
            call()
            samples.append((perf_counter() - started) * 1000)
    return statistics.median(ours), statistics.median(theirs)


def profile(label: str, run: Callable[[], object], *, times: int = 10, top: int = 25) -> None:
    """With BENCH_PROFILE=1, keep cProfile's top functions (cumulative) for the summary."""
    if os.environ.get("BENCH_PROFILE") != "1":
        return
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(times):
        run()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"/(booking|portal)/", top)  # the portal's code
    stats.sort_stats("cumulative").print_stats(int(os.environ.get("BENCH_PROFILE_TOP", top)))
    stats.sort_stats("tottime").print_stats(top)  # where the time is actually spent
    PROFILES.append(f"--- profile: {label} ({times} runs) ---\n{out.getvalue()}")


def table() -> list[str]:
    lines = [
        f"{'benchmark':<52} {'value':>10} {'unit':<6} {'baseline':>9} {'ratio':>7}  target",
        "-" * 100,
    ]
    for r in RESULTS:
        base = "" if r.baseline is None else f"{r.baseline:9.2f}"
        ratio = "" if r.ratio is None else f"{r.ratio:6.2f}x"
        if r.target_ratio is not None:
            target = f"<= {r.target_ratio:g}x"
        elif r.target_value is not None:
            target = f"== {r.target_value:g}"
        else:
            target = ""
        verdict = {True: "met", False: "MISSED", None: ""}[r.met]
        value = f"{r.value:10.2f}" if r.unit == "ms" else f"{r.value:10g}"
        lines.append(
            f"{r.name:<52} {value} {r.unit:<6} {base:>9} {ratio:>7}  {target} {verdict}".rstrip()
        )
        if r.note:
            lines.append(f"    {r.note}")
    return lines


def write_json() -> Path:
    RESULTS_PATH.write_text(json.dumps([r.as_json() for r in RESULTS], indent=2) + "\n")
    return RESULTS_PATH
