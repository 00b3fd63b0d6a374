"""Benchmark: ingest a year of 5-minute L-Town SCADA into a run's bronze and silver tables.

    .venv/bin/python bench/ingest.py             # real 2018 flows + levels, synthetic full layout
    .venv/bin/python bench/ingest.py --real-only # only the real files

Two years are loaded, each into a fresh store, timing the three stages of ``twin ingest``
(read and check the files; store them in bronze; rebuild silver):

- the real 2018 BattLeDIM flows and tank level (4 series, 420,480 readings), from
  ``tests/data/scada/year`` (gzip);
- a synthetic year in the full BattLeDIM layout, 33 pressure, 3 flow, 1 level and 82 AMR
  sensors (ids from ``tests/data/scada/sensors.csv``, 12.5 million readings), generated here
  with a fixed seed (daily demand cycle, noise, a few gaps, spikes and a stuck logger) and
  written as BattLeDIM files (``;``, decimal comma) before the clock starts.

Target: the full layout under 20 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from twin.feeds.scada_files import read_scada_folder, write_scada_folder
from twin.store import RunStore, run_path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "scada"
STEP_S = 300
YEAR = pd.date_range("2018-01-01", "2018-12-31 23:55", freq="5min")
KINDS = {
    "pressure": "Pressures",
    "flow": "Flows",
    "tank_level": "Levels",
    "amr_demand": "Demands",
}


def synthetic_year(seed: int = 2018) -> dict[str, pd.DataFrame]:
    """A year of the full L-Town sensor layout, per SCADA file kind, in the files' units.

    Pressures in m (35-75 m, daily swing), flows in m3/h (inlets 40-160, pump 0 or ~44),
    tank level in m (2.4-3.9, filling and emptying), AMR demands in L/h (>= 0, daily cycle).
    About 0.1 % of values are empty, 50 are spikes, and one pressure logger repeats its value
    for a day.
    """
    rng = np.random.default_rng(seed)
    sensors = pd.read_csv(DATA / "sensors.csv")
    hours = (YEAR.hour + YEAR.minute / 60).to_numpy()[:, None]
    daily = 0.5 - 0.5 * np.cos(2 * np.pi * (hours - 3) / 24)  # 0 at 03:00, 1 at 15:00
    tables = {}
    for kind, file_kind in KINDS.items():
        ids = sensors.loc[sensors.sensor_type == kind, "element_id"].tolist()
        shape = (len(YEAR), len(ids))
        if kind == "pressure":
            values = rng.uniform(45, 75, len(ids)) - 8 * daily + rng.normal(0, 0.1, shape)
        elif kind == "flow":
            values = 40 + 120 * daily + rng.normal(0, 3, shape)
            pump = ids.index("PUMP_1")
            values[:, pump] = np.where(np.sin(2 * np.pi * hours[:, 0] / 6) > 0, 44.0, 0.0)
        elif kind == "tank_level":
            values = 3.15 + 0.7 * np.sin(2 * np.pi * hours / 6) + rng.normal(0, 0.005, shape)
        else:
            values = rng.uniform(20, 300, len(ids)) * (0.2 + daily) + rng.gamma(2, 5, shape)
        values[rng.random(shape) < 0.001] = np.nan
        spikes = rng.integers(0, values.size, 50 // len(KINDS))
        values.flat[spikes] += 10 * np.nanstd(values)
        if kind == "pressure":
            values[1000:1288, 0] = values[1000, 0]
        tables[file_kind] = pd.DataFrame(values, index=YEAR, columns=ids)
    return tables


def time_ingest(folder: Path, store: Path) -> dict[str, float]:
    """Seconds spent reading, storing in bronze and rebuilding silver; readings stored."""
    start = time.perf_counter()
    recording = read_scada_folder(folder)
    read = time.perf_counter()
    with RunStore.open(store, origin=recording.origin, step_s=STEP_S) as run:
        readings = sum(run.ingest(r, path.name).readings for path, r in recording.files.items())
        bronze = time.perf_counter()
        run.refresh_silver()
        done = time.perf_counter()
        flags = run.con.execute(
            "SELECT flag::VARCHAR, count(*) FROM silver GROUP BY ALL ORDER BY 2 DESC"
        ).fetchall()
    print("  silver flags: " + ", ".join(f"{flag} {n:,}" for flag, n in flags))
    return {
        "readings": readings,
        "silver rows": sum(n for _, n in flags),
        "read s": read - start,
        "bronze s": bronze - read,
        "silver s": done - bronze,
        "total s": done - start,
        "readings/s": readings / (done - start),
    }


def report(name: str, figures: dict[str, float]) -> None:
    """Print one benchmark's figures on one line."""
    parts = [
        f"{key} {value:,.0f}" if value >= 1000 else f"{key} {value:.2f}"
        for key, value in figures.items()
    ]
    print(f"{name:<28} " + ", ".join(parts), flush=True)


def main() -> None:
    """Run the benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-only", action="store_true", help="skip the synthetic year")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        report("real 2018 flows + level", time_ingest(DATA / "year", run_path(runs, "real")))
        if options.real_only:
            return
        folder = Path(tmp) / "synthetic"
        start = time.perf_counter()
        write_scada_folder(folder, synthetic_year(), prefix="2018_SCADA_")
        print(
            f"(synthetic full-layout year generated and written in "
            f"{time.perf_counter() - start:.1f} s)",
            flush=True,
        )
        figures = time_ingest(folder, run_path(runs, "synthetic"))
        report("synthetic full layout", figures)
        verdict = "meets" if figures["total s"] < 20 else "MISSES"
        print(f"full layout: {figures['total s']:.1f} s, {verdict} the 20 s target")


if __name__ == "__main__":
    main()
