"""Benchmark: a sweep of short L-Town runs on a LocalCluster of 1 worker vs 2 workers.

    .venv/bin/python bench/sweep.py                          # 16 runs, 1 day watched, 1 of history
    .venv/bin/python bench/sweep.py --runs 4 --days 0.5      # quicker
    .venv/bin/python bench/sweep.py --scenario FILE.toml     # any scenario (seeds varied)

Each run is ``run_scenario`` on the scenario with its seed varied (``run.seed = 1..N``), so
the runs differ in drawn consumption, plant error and leaks but cost about the same. The
same sweep runs on a ``LocalCluster`` of 1 worker process, then of 2 (one thread each); the
wall time of each sweep (cluster start-up reported apart), the speed-up, whether both gave
the same figures, and the cost of one run broken down by stage (the summaries' ``seconds``)
are printed. The speed-up is bounded by the machine's free cores: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
from distributed import Client

from twin.scenario.sweep import Variation, local_cluster, plan_sweep, run_sweep

SCENARIO = """\
# bench/sweep.py: a short L-Town run with one drawn leak
[run]
network = "L-TOWN"

[leak_draw]
count = 1
"""


def timed_sweep(plan, out: Path, workers: int) -> tuple[pd.DataFrame, float, float]:
    """The sweep's table, the cluster's start-up time and the sweep's wall time (s)."""
    clock = time.perf_counter()
    with local_cluster(workers) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        started = time.perf_counter()
        table = run_sweep(plan, out, client)
        finished = time.perf_counter()
    return table, started - clock, finished - started


def stage_costs(table: pd.DataFrame) -> pd.DataFrame:
    """Per stage: median and mean seconds of one run and the share of the run's total.

    Returns
    -------
    pandas.DataFrame
        Index: stage (the summary's ``seconds_<stage>`` keys); columns ``median_s``,
        ``mean_s``, ``share_percent``.
    """
    stages = [c for c in table.columns if c.startswith("seconds_") and c != "seconds_total"]
    seconds = table[stages].rename(columns=lambda c: c.removeprefix("seconds_"))
    costs = pd.DataFrame({"median_s": seconds.median(), "mean_s": seconds.mean()})
    costs["share_percent"] = 100 * costs["mean_s"] / costs["mean_s"].sum()
    return costs.rename_axis("stage")


def _figures(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in table.columns if c.startswith("seconds")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--days", type=float, default=1.0, help="days watched per run")
    parser.add_argument("--history-days", type=float, default=1.0)
    parser.add_argument("--scenario", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scenario = args.scenario
        if scenario is None:
            scenario = Path(tmp) / "bench_sweep.toml"
            scenario.write_text(SCENARIO)
        variations = [
            Variation("run.duration_days", (args.days,)),
            Variation("run.history_days", (args.history_days,)),
            Variation("run.seed", tuple(range(1, args.runs + 1))),
        ]
        plan = plan_sweep(scenario, variations)
        print(
            f"{len(plan.runs)} runs of {scenario.name}: {args.days} d watched, "
            f"{args.history_days} d history; {os.cpu_count()} CPUs"
        )
        results = {}
        for workers in (1, 2):
            table, startup, wall = timed_sweep(plan, Path(tmp) / f"w{workers}", workers)
            failed = table[table["error"] != ""]
            results[workers] = (table, wall)
            print(
                f"{workers} worker(s): sweep {wall:.1f} s (cluster start-up {startup:.1f} s), "
                f"{wall / len(table):.1f} s per run, {len(failed)} failed"
            )
            for row in failed.itertuples():
                print(f"  run {row.run}: {row.error}")
        (one, wall1), (two, wall2) = results[1], results[2]
        same = _figures(one).equals(_figures(two))
        print(f"speed-up 2 vs 1 worker: {wall1 / wall2:.2f}x; same figures: {same}")
        costs = stage_costs(one[one["error"] == ""])  # 1 worker: no contention
        print("\ncost of one run by stage (the 1-worker sweep):")
        print(costs.to_string(float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
