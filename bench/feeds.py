"""Benchmark: a simulated week of L-Town's feeds, ours against EPyT-Flow, in the same run.

    .venv/bin/python bench/feeds.py              # one week, all faults on, EPyT-Flow, store
    .venv/bin/python bench/feeds.py --days 1     # shorter

Ours: the plant (perturbed model, stochastic demand, one leak) stepped every 5 minutes by the
simpy clock, its 33 pressure loggers, 3 flow meters, 1 tank gauge and 82 AMR meters (every
fault kind on) delivered through the SCADA poller and the AMI head-end as Readings.

EPyT-Flow (``pip install epyt-flow``; deliberately not a project dependency): the same
network, week, step and sensors (its tank sensor reports volume, not level), one abrupt
leak on the same pipe, the same ±10% model uncertainty and Gaussian sensor noise, ending in
its ScadaData. Faults are not added on its side (it would only make it slower).

If the run store (``twin.store``) is there, the week's readings are also stored in bronze
and silver, timed separately. Each side runs ``--repeat`` times (default 3), alternating, and
the fastest run of each is compared (as ``timeit`` does: on a shared, noisy machine the
slower runs measure the neighbours). Only the ratio measured in this same run means anything.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from twin.feeds.channels import Inbox
from twin.hydraulics import Leak
from twin.network import resolve_network
from twin.network.sensors import sidecar_layout
from twin.plant import Plant, all_faults_on

DAY = 86_400
STEP_S = 300
ORIGIN = pd.Timestamp("2018-01-01 00:00")
LEAK_PIPE, LEAK_DIAMETER_M, LEAK_START_S = "p257", 0.02, 6 * 3600


def ours(days: int, seed: int, sink=None) -> tuple[float, Inbox, Plant]:
    """Generate ``days`` of L-Town's feeds; wall time (s), what arrived, the plant."""
    inbox = Inbox() if sink is None else sink
    start = time.perf_counter()
    plant = Plant(
        "L-TOWN",
        seed=seed,
        duration_s=days * DAY,
        origin=ORIGIN,
        leaks=[Leak(LEAK_PIPE, LEAK_DIAMETER_M, start_s=LEAK_START_S, leak_id="leak")],
        faults=all_faults_on(),
        step_s=STEP_S,
    )
    truth = plant.run(inbox)
    seconds = time.perf_counter() - start
    plant.close()
    assert truth.converged.all(), "the plant did not balance at every step"
    return seconds, inbox, plant


def epyt_flow(days: int, seed: int) -> float | None:
    """The same week with EPyT-Flow in a child process; its wall time (s), or None.

    EPyT-Flow's ``epanet-plus`` installs a top-level ``epanet`` extension module, which the
    OWA ``epanet`` package our engine uses shadows; the child loads EPyT-Flow's own under that
    name before importing EPyT-Flow. Only the simulation is timed, not the child's start.
    """
    if importlib.util.find_spec("epyt_flow") is None:
        return None
    child = subprocess.run(
        [sys.executable, __file__, "--epyt-flow-child", "--days", str(days), "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise RuntimeError(f"EPyT-Flow run failed:\n{child.stderr[-3000:]}")
    return float(child.stdout.strip().splitlines()[-1])


def _use_epanet_plus() -> None:
    """Make ``import epanet`` give EPyT-Flow's extension module (see :func:`epyt_flow`)."""
    site = Path(importlib.util.find_spec("epanet_plus").submodule_search_locations[0]).parent
    found = [site / f"epanet{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES]
    library = next(path for path in found if path.is_file())
    spec = importlib.util.spec_from_file_location("epanet", library)
    module = importlib.util.module_from_spec(spec)
    sys.modules["epanet"] = module
    spec.loader.exec_module(module)


def _epyt_flow_week(days: int, seed: int) -> float:
    """Run the EPyT-Flow scenario in this process; wall time (s)."""
    _use_epanet_plus()
    from epyt_flow.simulation import ScenarioSimulator
    from epyt_flow.simulation.events import AbruptLeakage
    from epyt_flow.uncertainty import (
        AbsoluteGaussianUncertainty,
        ModelUncertainty,
        RelativeUniformUncertainty,
        SensorNoise,
    )

    inp = resolve_network("L-TOWN")
    layout = sidecar_layout(inp)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ScenarioSimulator(f_inp_in=str(inp)) as sim:
            sim.set_general_parameters(
                simulation_duration=days * DAY,
                hydraulic_time_step=STEP_S,
                reporting_time_step=STEP_S,
            )
            sim.set_pressure_sensors(list(layout.pressure))
            sim.set_flow_sensors(list(layout.flow))
            sim.set_tank_sensors(list(layout.tank_level))
            sim.set_demand_sensors(list(layout.amr_demand))
            sim.add_leakage(
                AbruptLeakage(
                    LEAK_PIPE,
                    diameter=LEAK_DIAMETER_M,
                    start_time=LEAK_START_S,
                    end_time=days * DAY,
                )
            )
            ten_percent = RelativeUniformUncertainty(low=0.9, high=1.1)
            sim.set_model_uncertainty(
                ModelUncertainty(
                    global_pipe_roughness_uncertainty=ten_percent,
                    global_pipe_diameter_uncertainty=ten_percent,
                    global_base_demand_uncertainty=ten_percent,
                    seed=seed,
                )
            )
            sim.set_sensor_noise(
                SensorNoise(
                    global_uncertainty=AbsoluteGaussianUncertainty(mean=0.0, scale=0.05), seed=seed
                )
            )
            scada = sim.run_simulation()
            pressures = scada.get_data_pressures()
    seconds = time.perf_counter() - start
    expected = (days * DAY // STEP_S + 1, len(layout.pressure))
    assert pressures.shape == expected, f"EPyT-Flow gave {pressures.shape}, expected {expected}"
    return seconds


def stored_week(days: int, seed: int) -> tuple[float, float, int]:
    """The same week stored as it arrives (buffered sink) then silver; seconds, readings."""
    from twin.store import RunStore, StoreSink

    with tempfile.TemporaryDirectory(prefix="bench-feeds-") as folder:
        start = time.perf_counter()
        with RunStore.open(
            Path(folder) / "twin.duckdb",
            origin=ORIGIN.to_pydatetime(),
            step_s=STEP_S,
            network="L-TOWN",
        ) as store:
            sink = StoreSink(store)
            _, _, plant = ours(days, seed, sink)
            sink.flush()
            bronze = time.perf_counter()
            store.refresh_silver()
            silver = time.perf_counter()
    return bronze - start, silver - bronze, sink.stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7, help="simulated days (default 7)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-store", action="store_true", help="skip the store part")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--epyt-flow-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epyt_flow_child:
        print(_epyt_flow_week(args.days, args.seed))
        return

    runs = {"ours": [], "epyt": [], "bronze": [], "silver": []}
    for _ in range(args.repeat):
        seconds, inbox, plant = ours(args.days, args.seed)
        runs["ours"].append(seconds)
        theirs = epyt_flow(args.days, args.seed)
        if theirs is not None:
            runs["epyt"].append(theirs)
        if not args.no_store:
            bronze, silver, stored = stored_week(args.days, args.seed)
            runs["bronze"].append(bronze)
            runs["silver"].append(silver)
    sizes = {kind: len(bank) for kind, bank in plant.banks.items()}
    n = sum(len(b) for b in inbox.batches if b.event_time.min() <= args.days * DAY)
    print(f"L-Town, {args.days} days at {STEP_S} s, instruments {sizes}, all faults on, 1 leak")
    print(f"fastest of {args.repeat} runs each (all: {_all_runs(runs)})")
    seconds = min(runs["ours"])
    print(
        f"  ours (plant + feeds -> Readings): {seconds:7.2f} s  "
        f"({len(inbox.batches):,} batches, {n:,} readings)"
    )
    theirs = min(runs["epyt"], default=None)
    if theirs is None:
        print("  EPyT-Flow: not installed (pip install epyt-flow into the venv to compare)")
    else:
        print(f"  EPyT-Flow (ScenarioSimulator.run_simulation): {theirs:7.2f} s")
        print(f"  ratio EPyT-Flow / ours: {theirs / seconds:5.1f}x (target >= 5x)")
    if args.no_store:
        return
    totals = [b + s for b, s in zip(runs["bronze"], runs["silver"], strict=True)]
    best = int(np.argmin(totals))
    bronze, silver, total = runs["bronze"][best], runs["silver"][best], totals[best]
    print(
        f"  ours, stored as it arrives: plant + feeds + bronze {bronze:6.2f} s "
        f"({stored:,} readings), silver {silver:5.2f} s, total {total:6.2f} s"
    )
    if theirs is not None:
        print(f"  ratio EPyT-Flow / ours with the store: {theirs / total:5.1f}x (target >= 5x)")


def _all_runs(runs: dict[str, list[float]]) -> str:
    """Every timing, rounded, for the record."""
    return "; ".join(
        f"{name} " + ", ".join(f"{t:.2f}" for t in times) for name, times in runs.items() if times
    )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
