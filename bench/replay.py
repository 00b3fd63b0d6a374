"""Benchmark: a full year of recorded L-Town SCADA replayed through the twin, cost per stage.

    .venv/bin/python bench/replay.py                       # real 2018 flows and tank level
    .venv/bin/python bench/replay.py --scada DIR           # any folder in the BattLeDIM layout

Runs ``twin.loop.replay_twin`` (learn from the first 7 days, watch the rest, write the
outputs) under cProfile and reports the wall time of each phase and the cost per watched
step of each stage of the twin's step: reading the board, demand estimation and zone balance,
the hydraulic model, the detector. Target (issue "twin loop"): a year in under 3 minutes.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import pandas as pd

from twin.cli.replay import recorded_layout
from twin.feeds.scada_files import read_scada_folder
from twin.loop.replay_run import replay_twin
from twin.network import load, resolve_network

STAGES = {
    "readings board (receive + slots)": ("board.py", ("receive", "slot")),
    "demand estimation + zone balance": ("demand.py", ("estimate", "update_level")),
    "zone balance": ("zones.py", ("update",)),
    "hydraulic model (EPANET step)": ("twin_model.py", ("step",)),
    "detector": ("detector.py", ("update",)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scada", type=Path, default=Path("../shared/data/battledim"))
    args = parser.parse_args()
    inp = resolve_network("L-TOWN")
    wn = load(inp)
    clock = time.perf_counter()
    recording = read_scada_folder(args.scada)
    read_s = time.perf_counter() - clock
    layout = recorded_layout(recording, "L-TOWN", wn)
    readings = recording.readings
    profile = cProfile.Profile()
    with tempfile.TemporaryDirectory() as out:
        clock, cpu = time.perf_counter(), time.process_time()
        profile.enable()
        outcome = replay_twin(
            inp,
            layout,
            readings,
            pd.Timestamp(recording.origin),
            Path(out),
            calibrate_roughness=bool(layout.pressure),
        )
        profile.disable()
        total, total_cpu = time.perf_counter() - clock, time.process_time() - cpu
    steps = len(outcome.trace.times)
    print(
        f"{args.scada}: {len(readings):,} readings of {len(layout)} sensors, "
        f"{steps:,} watched steps"
    )
    print(
        f"  read files {read_s:.1f} s; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in outcome.seconds.items())
        + f"; total {total + read_s:.1f} s (target < 180 s), profiled; "
        f"CPU time of the replay {total_cpu:.1f} s (what a machine to itself would take)"
    )
    stats = pstats.Stats(profile).stats
    for stage, (module, names) in STAGES.items():
        seconds = sum(
            entry[3]
            for (file, _, name), entry in stats.items()
            if file.endswith(module) and name in names
        )
        print(f"  {stage:36s} {seconds:6.1f} s  {seconds / max(steps, 1) * 1e6:7.1f} µs/step")


if __name__ == "__main__":
    main()
