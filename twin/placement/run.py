"""A whole placement run, as ``twin place`` and the dashboard's what-if page start it.

Simulate (or reload) the leak signatures, place ``budget`` loggers greedily, improve them by
swaps, then score the layouts side by side on fresh noise draws (the search never saw them)
and write the layout, the table and the error curve.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from twin.network import load, resolve_network
from twin.network.sensors import sidecar_layout
from twin.placement.greedy import greedy_placement
from twin.placement.layouts import (
    ExistingLayout,
    random_layouts,
    read_candidates,
    read_existing,
    write_layout,
)
from twin.placement.problem import SIGNATURES_FILE, PlacementProblem, prepare_problem
from twin.placement.report import layouts_table, write_error_curve
from twin.placement.search import swap_search
from twin.placement.settings import PlacementSettings
from twin.placement.signatures import ProgressCallback, linear_error

__all__ = ["EVALUATION_SEED_OFFSET", "run_placement"]

EVALUATION_SEED_OFFSET = 1000
"""The table is scored on noise drawn from ``seed + 1000``: draws the search never saw."""

RANDOM_BASELINES = 5
"""Random layouts of the same size in the table (seeds ``seed + 1`` ...)."""

CURVE_POINTS = 10
"""Sizes on the loggers-vs-error curve (greedy prefixes and random layouts)."""


def run_placement(
    network: str,
    budget: int,
    out_dir: Path,
    *,
    existing: Path | None = None,
    candidates: Path | None = None,
    seed: int = 0,
    on_progress: ProgressCallback | None = None,
    settings: PlacementSettings | None = None,
    swap_time_limit_s: float | None = 60.0,
) -> dict:
    """Place ``budget`` pressure loggers on ``network`` and write what was found to ``out_dir``.

    Parameters
    ----------
    network : str
        A catalogue name or an .inp path.
    budget : int
        New loggers to place (on top of the existing ones, which stay).
    out_dir : Path
        Output folder: ``sensors.csv`` (the layout, readable by
        :func:`twin.network.sensors.read_sensor_layout`), ``greedy.sensors.csv``,
        ``layouts.csv``, ``cases.csv`` (every leak case of the chosen layout),
        ``sensors_vs_error.html`` / ``.png``, ``summary.json`` and ``signatures.npz``
        (reused by the next run on the same network and settings).
    existing : Path, optional
        Layout CSV of the instruments already there (its flow meters cut the zones).
    candidates : Path, optional
        Where loggers may go (layout CSV or one junction id a line). Default: every junction.
    seed : int
        Seed of the noise draws, the search's screening sample and the random baselines.
    on_progress : callable, optional
        ``on_progress(fraction, message)``, fraction in [0, 1].
    settings : PlacementSettings, optional
    swap_time_limit_s : float, optional
        Time the swap search may take, s (None: until no swap helps, at most 2 passes).

    Returns
    -------
    dict
        ``layout`` (junction ids of the chosen layout), ``table`` (layouts.csv as records),
        ``files`` (paths written), ``timings_s`` and ``linear_error``.
    """
    report = _never_backwards(on_progress or (lambda fraction, message: None))
    timings: dict[str, float] = {}
    out_dir = Path(out_dir)
    inp = resolve_network(network)
    junctions = load(inp).junction_name_list
    present = read_existing(existing, junctions, inp.stem) if existing else _nothing(inp)
    allowed = read_candidates(candidates, junctions, inp.stem) if candidates else None
    out_dir.mkdir(parents=True, exist_ok=True)  # only once the input files are good
    started = time.perf_counter()
    problem = prepare_problem(
        inp,
        flow_meters=present.flow_meters,
        settings=settings,
        store=out_dir / SIGNATURES_FILE,
        on_progress=lambda f, m: report(0.35 * f, m),
    )
    timings["signatures"] = time.perf_counter() - started
    fixed = problem.positions([junctions[i] for i in present.pressure])
    allowed = (
        list(range(len(junctions)))
        if allowed is None
        else problem.positions([junctions[i] for i in allowed])
    )
    layouts, greedy_order = _optimise(
        problem, budget, allowed, fixed, seed, report, timings, swap_time_limit_s
    )
    report(0.85, "scoring the layouts on fresh noise draws")
    started = time.perf_counter()
    evaluation = problem.cases(seed + EVALUATION_SEED_OFFSET)
    size = len(fixed) + budget
    seeds = [seed + 1 + i for i in range(RANDOM_BASELINES)]
    for i, layout in enumerate(random_layouts(size, allowed, fixed, seeds)):
        layouts[f"random (seed {seeds[i]})"] = layout
    scores = {name: problem.score(evaluation, layout) for name, layout in layouts.items()}
    timings["table"] = time.perf_counter() - started
    report(0.92, "drawing the loggers-vs-error curve")
    curve = _curve(problem, fixed, greedy_order, allowed, seed, layouts["search"])
    files = _write(out_dir, problem, present, layouts, scores, curve, fixed, greedy_order)
    summary = _summary(problem, budget, seed, layouts["search"], scores, timings)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    summary["files"] = [str(p) for p in [*files, out_dir / "summary.json"]]
    report(1.0, "done")
    return summary


def _summary(
    problem: PlacementProblem,
    budget: int,
    seed: int,
    chosen: list[int],
    scores: dict,
    timings: dict[str, float],
) -> dict:
    """What ``summary.json`` holds (and :func:`run_placement` returns, with the files)."""
    table = layouts_table({n: s.summary for n, s in scores.items()}, problem.settings.near_m)
    return {
        "network": problem.signatures.network,
        "budget": budget,
        "seed": seed,
        "layout": [problem.junction_ids[j] for j in chosen],
        "table": table.reset_index().to_dict(orient="records"),
        "timings_s": timings,
        "linear_error": linear_error(problem.signatures),
        "signature_build_s": problem.signatures.build_s,
    }


def _never_backwards(on_progress: ProgressCallback) -> ProgressCallback:
    """The progress callback, with a fraction that never drops (a second swap pass restarts)."""
    done = [0.0]

    def report(fraction: float, message: str) -> None:
        done[0] = max(done[0], fraction)
        on_progress(done[0], message)

    return report


def _nothing(inp: Path) -> ExistingLayout:
    """No logger yet; the flow meters of the layout beside the network, if any."""
    beside = sidecar_layout(inp)
    return ExistingLayout([], [("flow", f) for f in beside.flow] if beside else [])


def _optimise(
    problem: PlacementProblem,
    budget: int,
    allowed: list[int],
    fixed: list[int],
    seed: int,
    report: ProgressCallback,
    timings: dict[str, float],
    swap_time_limit_s: float | None,
) -> tuple[dict[str, list[int]], list[int]]:
    """Greedy, then swap search, on one noise draw per leak case (seed ``seed``).

    The search sees only the cases some logger could see
    (:meth:`~twin.placement.cases.CaseSet.visible`): on L-Town that kept the objective from
    chasing the noise of hopeless cases and lowered the held-out expected distance by 6 %
    (``bench/placement.py``).
    """
    cases = problem.cases(seed, draws=1)
    cases = cases.visible() if cases.seen.any() else cases
    state = problem.incremental(cases, fixed)
    greedy = greedy_placement(
        state,
        budget,
        allowed,
        seed=seed,
        on_step=lambda k, n, v: report(0.35 + 0.3 * k / n, f"greedy: {k} of {n} loggers"),
    )
    timings["greedy"] = greedy.seconds
    layouts = {"greedy": [*fixed, *greedy.added]}
    swapped = swap_search(
        state,
        allowed,
        fixed=fixed,
        seed=seed,
        time_limit_s=swap_time_limit_s,
        on_move=lambda k, n, v: report(0.65 + 0.19 * k / max(n, 1), f"swap search: {k} of {n}"),
    )
    timings["swap search"] = swapped.seconds
    layouts["search"] = swapped.layout
    if fixed:
        layouts["existing"] = list(fixed)
    return layouts, greedy.added


def _curve(
    problem: PlacementProblem,
    fixed: list[int],
    order: list[int],
    allowed: list[int],
    seed: int,
    searched: list[int],
) -> pd.DataFrame:
    """Expected error of greedy prefixes, random layouts at a few sizes, and the swap
    search's layout (one noise draw per leak case)."""
    cases = problem.cases(seed + EVALUATION_SEED_OFFSET, draws=1)
    sizes = np.unique(np.linspace(0, len(order), min(CURVE_POINTS, len(order)) + 1).round())
    rows = []
    for extra in sizes.astype(int):
        n = len(fixed) + extra
        if n == 0:
            continue
        prefix = [*fixed, *order[:extra]]
        rows.append(("greedy", n, problem.score(cases, prefix).summary["expected_distance_m"]))
        for layout in random_layouts(n, allowed, fixed, [seed + 1, seed + 2, seed + 3]):
            rows.append(("random", n, problem.score(cases, layout).summary["expected_distance_m"]))
    found = problem.score(cases, searched).summary["expected_distance_m"]
    rows.append(("greedy + swap search", len(searched), found))
    return pd.DataFrame(rows, columns=["layout", "sensors", "expected_distance_m"])


def _write(
    out_dir: Path,
    problem: PlacementProblem,
    present: ExistingLayout,
    layouts: dict[str, Sequence[int]],
    scores: dict,
    curve: pd.DataFrame,
    fixed: list[int],
    greedy_order: list[int],
) -> list[Path]:
    ids = problem.junction_ids
    files = []
    rank = {j: k + 1 for k, j in enumerate(greedy_order)}
    for name, file in (("search", "sensors.csv"), ("greedy", "greedy.sensors.csv")):
        layout = layouts[name]
        how = [
            "existing" if j in fixed else f"greedy {rank[j]}" if j in rank else "swap search"
            for j in layout
        ]
        files.append(write_layout(out_dir / file, [ids[j] for j in layout], how, present.other))
    table = layouts_table({n: s.summary for n, s in scores.items()}, problem.settings.near_m)
    table.to_csv(out_dir / "layouts.csv", float_format="%.4g")
    scores["search"].cases.to_csv(out_dir / "cases.csv", index=False, float_format="%.4g")
    title = f"{problem.signatures.network}: pressure loggers vs. expected localization error"
    files += [out_dir / "layouts.csv", out_dir / "cases.csv"]
    return files + write_error_curve(curve, title, out_dir)
