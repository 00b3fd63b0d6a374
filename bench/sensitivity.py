"""Benchmark: analytic pressure sensitivities against perturbation runs, in the same run.

    .venv/bin/python bench/sensitivity.py            # L-Town, 33 sensors x 782 junctions
    .venv/bin/python bench/sensitivity.py --quick    # fewer repeats

Analytic: from an engine state already solved, linearise the network (Jacobian assembly from
the state and the project), factorise it once and solve with its transpose for the 33 sensor
rows, giving all 782 candidate columns. Best of the repeats; the first call on an engine also
reads the network's layout (once per open project), shown apart.

Perturbation: the cheapest perturbation run there is, one per candidate: the same EPANET
project re-solved in place at the same time (``runH`` again, warm-started from the base
solution) with 1 L/s more at one junction, the sensor pressures read, the demand put back.
A sample of junctions is timed and the cost extrapolated to all 782 (the output says so).
The machine is shared and noisy: only the ratio measured in this same run means anything.
"""

from __future__ import annotations

import argparse
import time
import warnings

import epanet.toolkit as tk
import numpy as np

from twin.hydraulics import HydraulicEngine
from twin.hydraulics.jacobian import head_response, linearise
from twin.hydraulics.project import ArrayView
from twin.localize.sensitivity import pressure_sensitivities
from twin.network import networks_dir, resolve_network
from twin.network.sensors import read_sensor_layout

NETWORK = "L-TOWN"
STEP_S = 300
EXTRA_M3S = 1e-3


def best(repeats: int, run) -> float:
    """Smallest wall time of ``repeats`` calls of ``run()``, s."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def analytic(repeats: int, sensors: list[str]) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """Times (ms) of the analytic matrix and its parts, the matrix (m per m³/s), the demands."""
    with HydraulicEngine(NETWORK, step_s=STEP_S) as engine:
        state = engine.step()
        start = time.perf_counter()
        matrix = pressure_sensitivities(linearise(engine, state), sensors)
        first = time.perf_counter() - start
        fresh = iter([linearise(engine, state) for _ in range(repeats)])  # none factorised yet
        observed = [engine.node_ids.index(s) for s in sensors]
        candidates = [engine.node_ids.index(j) for j in engine.junction_ids]
        times = {
            "first call on an engine (reads the layout)": first,
            "linearise (Jacobian from the state)": best(repeats, lambda: linearise(engine, state)),
            "factorise once + 33 transposed solves": best(
                repeats, lambda: head_response(next(fresh), observed, candidates)
            ),
            "total: state -> 33 x 782 matrix": best(
                repeats, lambda: pressure_sensitivities(linearise(engine, state), sensors)
            ),
        }
        base_demand = state.demand[candidates]
    return {k: v * 1e3 for k, v in times.items()}, matrix, base_demand


def perturbation(
    repeats: int, sensors: list[str], base_demand: np.ndarray, sample: np.ndarray
) -> tuple[float, np.ndarray, int]:
    """Mean time (ms) of a perturbation run over the sample (best of repeats), the sampled
    columns (m per m³/s), and the EPANET iterations the last re-solve took."""
    with HydraulicEngine(NETWORK, step_s=STEP_S, demands="arrays") as engine:
        project = engine.project
        h = project.handle
        junctions = [project.node_index(j) for j in engine.junction_ids]
        sensor_rows = [engine.node_ids.index(s) for s in sensors]
        demand = (base_demand / project.flow_correction).tolist()
        for index, value in zip(junctions, demand, strict=True):
            tk.setnodevalue(h, index, tk.BASEDEMAND, value)
        pressure = ArrayView(len(engine.node_ids))
        tk.runH(h)  # the base solution, at t = 0 like the analytic state
        tk.getnodevalues(h, tk.PRESSURE, pressure.buffer)
        base = pressure.values[sensor_rows].copy()
        extra = EXTRA_M3S / project.flow_correction
        columns = np.zeros((len(sensors), len(sample)))

        def run_sample() -> None:
            for column, j in enumerate(sample.tolist()):
                tk.setnodevalue(h, junctions[j], tk.BASEDEMAND, demand[j] + extra)
                tk.runH(h)
                tk.getnodevalues(h, tk.PRESSURE, pressure.buffer)
                columns[:, column] = (pressure.values[sensor_rows] - base) / EXTRA_M3S
                tk.setnodevalue(h, junctions[j], tk.BASEDEMAND, demand[j])

        seconds = best(repeats, run_sample)
        iterations = int(tk.getstatistic(h, tk.ITERATIONS))
    return seconds / len(sample) * 1e3, columns, iterations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--sample", type=int, default=40, help="perturbation runs timed")
    args = parser.parse_args()
    repeats = 5 if args.quick else 30
    warnings.filterwarnings("ignore")
    sensors = list(read_sensor_layout(networks_dir() / f"{NETWORK}.sensors.csv").pressure)
    times, matrix, base_demand = analytic(repeats, sensors)
    n_candidates = matrix.shape[1]
    sample = np.random.default_rng(0).choice(n_candidates, args.sample, replace=False)
    perturbation_repeats = max(3, repeats // 5)
    per_run, columns, iterations = perturbation(perturbation_repeats, sensors, base_demand, sample)
    perturbation_ms = per_run * n_candidates
    total = times["total: state -> 33 x 782 matrix"]

    def row(label: str, ms: float) -> None:
        print(f"  {label:<52} {ms:9.3f} ms")

    print(f"input: {resolve_network(NETWORK)}, state at t = 0, step {STEP_S} s")
    print(f"{len(sensors)} pressure sensors x {n_candidates} candidate junctions")
    print(f"\nanalytic (best of {repeats})")
    for name, ms in times.items():
        row(name, ms)
    print(
        f"\nperturbation runs ({EXTRA_M3S * 1e3:g} L/s each, re-solved in place, warm-started; "
        f"{iterations} EPANET iteration(s) each)"
    )
    row(f"one run (mean of {args.sample} sampled, best of {perturbation_repeats})", per_run)
    row(f"{n_candidates} runs, EXTRAPOLATED from the {args.sample} sampled", perturbation_ms)
    print(f"\nanalytic is {perturbation_ms / total:.0f}x faster than the perturbation runs")
    analytic_columns = matrix[:, sample]
    large = np.abs(analytic_columns) > 1.0  # > 1e-3 m per L/s
    gap = np.abs(columns - analytic_columns)[large] / np.abs(analytic_columns)[large]
    print(
        f"sampled columns, |S| > 1e-3 m per L/s: perturbation vs analytic differ by median "
        f"{np.median(gap):.1%}, 95th percentile {np.percentile(gap, 95):.1%}\n(a one-sided "
        "1 L/s difference carries the network's curvature; the tests use central differences)"
    )


if __name__ == "__main__":
    main()
