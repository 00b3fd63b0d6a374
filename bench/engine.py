"""Benchmark: the stepwise engine against WNTR's simulators, measured in the same run.

    .venv/bin/python bench/engine.py            # L-Town and BWSN_Network_2, plus the size table
    .venv/bin/python bench/engine.py --quick    # fewer repeats

Prints per-step costs and ratios. The machine is shared and noisy: each figure is the best of
a few repeats, and only ratios measured in this same run are comparable.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import wntr

from twin.hydraulics import HydraulicEngine
from twin.network import load, resolve_network

STEP_S = 300
DAY = 86400


def best(repeats: int, run) -> float:
    """Smallest wall time of ``repeats`` calls of ``run()``, s."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def engine_week(name: str, days: float, demands: bool = False) -> None:
    """Step ``days`` at 5 minutes reading all node pressures (and setting demands if asked)."""
    n_steps = int(days * DAY / STEP_S)
    with HydraulicEngine(
        name,
        step_s=STEP_S,
        duration_s=n_steps * STEP_S,
        demands="arrays" if demands else "patterns",
    ) as engine:
        base = np.full(len(engine.junction_ids), 1e-4)
        total = 0.0
        for _ in range(n_steps):
            state = engine.step(base) if demands else engine.step()
            total += state.pressure[0]


def wntr_model(name: str, days: float) -> wntr.network.WaterNetworkModel:
    wn = load(name)
    wn.options.time.duration = int(days * DAY)
    wn.options.time.hydraulic_timestep = STEP_S
    wn.options.time.report_timestep = STEP_S
    return wn


def epanet_simulator(name: str, days: float, tmp: Path) -> None:
    wntr.sim.EpanetSimulator(wntr_model(name, days)).run_sim(file_prefix=str(tmp / "bench"))


def wntr_simulator(name: str, days: float) -> None:
    wntr.sim.WNTRSimulator(wntr_model(name, days)).run_sim()


def compare(name: str, week_days: float, wntr_days: float, repeats: int, tmp: Path) -> dict:
    """Per-step costs (ms) of the engine, EpanetSimulator and WNTRSimulator on one network."""
    steps_week = int(week_days * DAY / STEP_S)
    steps_wntr = int(wntr_days * DAY / STEP_S)
    engine = best(repeats, lambda: engine_week(name, week_days)) / steps_week * 1e3
    engine_demands = best(repeats, lambda: engine_week(name, week_days, True)) / steps_week * 1e3
    epanet = best(repeats, lambda: epanet_simulator(name, week_days, tmp)) / steps_week * 1e3
    pure = best(1, lambda: wntr_simulator(name, wntr_days)) / steps_wntr * 1e3
    return {
        "engine": engine,
        "engine+demands": engine_demands,
        "epanet": epanet,
        "wntr": pure,
        "week_days": week_days,
        "wntr_days": wntr_days,
    }


def report(name: str, r: dict) -> None:
    print(f"\n{name}: {r['week_days']:g} days at {STEP_S} s, per step (best of repeats)")
    print(f"  engine, all node pressures read   {r['engine']:8.3f} ms")
    print(f"  engine, + setting every demand    {r['engine+demands']:8.3f} ms")
    print(
        f"  WNTR EpanetSimulator ({r['week_days']:g} d)     {r['epanet']:8.3f} ms   "
        f"engine is {r['epanet'] / r['engine']:6.1f}x faster"
    )
    print(
        f"  WNTR WNTRSimulator ({r['wntr_days']:g} d)     {r['wntr']:8.3f} ms   "
        f"engine is {r['wntr'] / r['engine']:6.1f}x faster"
    )


def size_table(repeats: int) -> None:
    """Engine per-step cost over the catalogue, to see how it grows with network size."""
    from twin.network import catalogue

    print("\nper-step cost by network size (engine, 1 day at 300 s, all pressures read)")
    print(f"  {'network':<18} {'junctions':>9} {'ms/step':>8} {'us/junction':>11}")
    for row in catalogue().itertuples():
        cost = best(repeats, lambda n=row.name: engine_week(n, 1.0)) / (DAY / STEP_S) * 1e3
        print(
            f"  {row.name:<18} {row.junctions:>9,} {cost:>8.3f} {cost * 1e3 / row.junctions:>11.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, shorter runs")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    warnings.filterwarnings("ignore")
    print(f"inputs: {resolve_network('L-TOWN')}, {resolve_network('BWSN_Network_2')}")
    with tempfile.TemporaryDirectory() as tmp:
        report("L-TOWN", compare("L-TOWN", 7.0, 1.0, repeats, Path(tmp)))
        report("BWSN_Network_2", compare("BWSN_Network_2", 1.0, 1 / 24, repeats, Path(tmp)))
    size_table(repeats)


if __name__ == "__main__":
    main()
