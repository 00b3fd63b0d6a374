"""Benchmark: what-if sensor placement on L-Town, against BattLeDIM's 33 pressure loggers.

    .venv/bin/python bench/placement.py                 # the whole benchmark
    .venv/bin/python bench/placement.py --signatures runs/placement/signatures.npz  # reuse

Prints:

* the signature build: a leak at each of the 782 junctions x 3 sizes (8, 14, 25 mm) x 4
  times of day (03:00, 08:00, 14:00, 20:00), every junction's pressure change and both
  zones' supply change, plus the linear (sensitivity) prediction's error against it;
* scoring one layout (BattLeDIM's) over every single-leak case (782 x 3 sizes x 4 times x 3
  noise draws), target at most 10 s;
* a 33-logger greedy placement, target at most 2 minutes, then a swap search from it;
* the held-out comparison. The search sees only 8 and 25 mm leaks at 03:00 and 14:00, at
  one half of the junctions (drawn from seed 0), with noise seed 0, and of those only the
  cases a logger somewhere could see (``CaseSet.visible``). The table scores every
  layout on what it never saw: 14 mm leaks at 08:00 and 20:00, at the other half of the
  junctions, with 5 noise draws from seed 100. Random layouts: seeds 1-10.

Wall and CPU time are both shown: the machine is shared, and CPU time says what the work
costs when a core is free.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from twin.network import networks_dir
from twin.network.sensors import read_sensor_layout
from twin.placement import PlacementSettings, greedy_placement, prepare_problem, swap_search
from twin.placement.layouts import random_layouts
from twin.placement.signatures import linear_error

NETWORK = "L-TOWN"
BUDGET = 33
OPTIMISE = {"sizes": [0, 2], "times": [0, 2]}  # 8 and 25 mm; 03:00 and 14:00
HELD_OUT = {"sizes": [1], "times": [1, 3]}  # 14 mm; 08:00 and 20:00
RANDOM_SEEDS = range(1, 11)
COLUMNS = [
    "sensors",
    "expected_distance_m",
    "median_distance_m",
    "p90_distance_m",
    "within_m",
    "detection_rate",
]


class Clock:
    """Wall and CPU time of a block, s."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.1f} s wall, {self.cpu:.1f} s CPU"


def build(store: Path | None, settings: PlacementSettings):
    """Build (or reload) the signatures and print what they cost and hold."""
    with Clock() as clock:
        problem = prepare_problem(NETWORK, settings=settings, store=store)
    sig = problem.signatures
    print(
        f"\nsignature build: {sig.build_s:.1f} s wall for {sig.converged.size} leak solves "
        f"(this call, load or build: {clock}); unbalanced cases: {(~sig.converged).sum()}"
    )
    flows = (sig.leak_flow * 3600).reshape(len(sig.diameters_m), -1)
    for d, q in zip(sig.diameters_m, flows, strict=True):
        print(
            f"  {d * 1000:g} mm: leak flow median {np.median(q):.1f} m3/h "
            f"(5-95 %: {np.percentile(q, 5):.1f}-{np.percentile(q, 95):.1f})"
        )
    print("linear prediction S*q against the simulated change (median over leak cases):")
    for key, value in linear_error(sig).items():
        print(f"  {key}: {value:.4f}")
    return problem


def time_scoring(problem, battledim: list[int]) -> None:
    """Score BattLeDIM's layout over every single-leak case, timed."""
    everything = problem.cases(seed=0)
    with Clock() as clock:
        score = problem.score(everything, battledim)
    print(
        f"\nscoring BattLeDIM's layout over {len(everything)} cases (782 junctions x 3 sizes "
        f"x 4 times x {problem.settings.draws} draws): {clock}  [target <= 10 s]"
    )
    print(
        f"  expected distance {score.summary['expected_distance_m']:.0f} m, "
        f"within 300 m {score.summary['within_m']:.3f}"
    )


def optimise(problem, half: np.ndarray) -> dict[str, list[int]]:
    """Greedy 33 and a swap search on the optimisation cases, timed."""
    n = problem.signatures.n_junctions
    train = problem.cases(seed=0, leaks=half, draws=1, **OPTIMISE).visible()
    state = problem.incremental(train)
    with Clock() as clock:
        greedy = greedy_placement(state, BUDGET, range(n), seed=0)
    print(
        f"\ngreedy {BUDGET} loggers on {len(train)} optimisation cases (those a logger "
        f"somewhere could see): {clock}  "
        f"[target <= 120 s]; objective {greedy.objective_m[-1]:.0f} m"
    )
    greedy_layout = list(state.layout)
    with Clock() as clock:
        swapped = swap_search(state, range(n), seed=0, time_limit_s=120)
    print(
        f"swap search: {clock}, {len(swapped.moves)} moves in {swapped.passes} pass(es); "
        f"objective {swapped.objective_m:.0f} m"
    )
    return {"greedy (ours)": greedy_layout, "greedy + swap search (ours)": swapped.layout}


def held_out_table(problem, layouts: dict[str, list[int]], other: np.ndarray) -> None:
    """Score every layout on the held-out cases and print the comparison."""
    held_out = problem.cases(seed=100, leaks=other, draws=5, **HELD_OUT)
    named = [*layouts]
    for seed, layout in zip(
        RANDOM_SEEDS, random_layouts(BUDGET, range(782), [], RANDOM_SEEDS), strict=True
    ):
        layouts[f"random (seed {seed})"] = layout
    rows = {name: problem.score(held_out, layout).summary for name, layout in layouts.items()}
    table = pd.DataFrame.from_dict(rows, orient="index")
    randoms = table[table.index.str.startswith("random")]
    table.loc["random: mean of 10"] = randoms.mean()
    print(
        f"\nheld-out comparison: {len(held_out)} cases (14 mm leaks at 08:00 and 20:00 at the "
        f"{len(other)} junctions not used for the search, 5 noise draws, seed 100)"
    )
    shown = table.loc[[*named, "random: mean of 10"], COLUMNS]
    print(shown.to_string(float_format=lambda v: f"{v:.3f}" if v < 1 else f"{v:.0f}"))
    print(
        f"random layouts: expected distance {randoms.expected_distance_m.min():.0f}-"
        f"{randoms.expected_distance_m.max():.0f} m, within 300 m "
        f"{randoms.within_m.min():.3f}-{randoms.within_m.max():.3f}"
    )
    print("\npressure-only detection (without the zone inflow meters), same held-out cases:")
    for name in named:
        print(f"  {name}: {held_out.seen[:, layouts[name]].any(axis=1).mean():.3f}")
    by_random = [held_out.seen[:, layouts[n]].any(axis=1).mean() for n in randoms.index]
    print(f"  random: mean of 10: {np.mean(by_random):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signatures", type=Path, help="reuse (or store) signatures here")
    args = parser.parse_args()
    settings = PlacementSettings()
    print(f"settings: {settings}", flush=True)
    problem = build(args.signatures, settings)
    sensors = read_sensor_layout(networks_dir() / f"{NETWORK}.sensors.csv").pressure
    battledim = problem.positions(sensors)
    time_scoring(problem, battledim)
    order = np.random.default_rng(0).permutation(problem.signatures.n_junctions)
    half, other = np.sort(order[: len(order) // 2]), np.sort(order[len(order) // 2 :])
    layouts = optimise(problem, half)
    layouts["BattLeDIM 33 pressure sensors"] = battledim
    held_out_table(problem, layouts, other)


if __name__ == "__main__":
    main()
