"""Benchmark: how well the twin detects leaks on generated L-Town cases.

    .venv/bin/python bench/detection.py                 # 20 cases, seed 1, 2 processes
    .venv/bin/python bench/detection.py --cases 4 --workers 1

Each case is drawn from the seed: ``twin generate`` with BattLeDIM's instruments (33
pressure loggers, 3 flow meters, 1 tank level, 82 AMR meters) and the plant's uncertainty on
(roughness, diameters, base demands, stochastic consumption), 7 days of history followed by
14 days with 1 to 3 leaks of 8-25 mm on random pipes, abrupt or incipient (growing to full
size over 1-4 days), starting at random times in the first 12 days of the watch. The twin
learns from the history and watches the rest (``twin.loop.replay_twin``) without seeing the
truth; its confirmed events are then matched to the true leaks:

* an event *detects* a leak when it is in the leak's metering zone and was raised between
  one hour before the leak started and the end of the data; each leak is detected at most
  once (the earliest-starting undetected leak of the zone takes the event);
* every other event is a *false alarm*;
* the *delay* is the time from the leak's start (for an incipient leak, the start of its
  growth) to the event.

Drawing, running and matching are ``twin.evaluate`` 's (``draw_cases``, ``run_cases``,
``match_events``), as ``twin evaluate L-TOWN`` uses them; leaks go on pipes inside a metering
zone (``leak_pipes``). ``twin evaluate`` also prints the localization figures.

Targets (issue "twin loop"): at least 90% of leaks detected, at most 1 false alarm per 30
days, median delay under 2 h for abrupt leaks and under 24 h for incipient ones.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from twin.evaluate.cases import draw_cases, run_cases
from twin.evaluate.metrics import summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    clock = time.perf_counter()
    specs = draw_cases("L-TOWN", args.cases, args.seed)
    with tempfile.TemporaryDirectory(prefix="twin-detection-") as scratch:
        results = run_cases(specs, Path(scratch), args.workers)
    leaks = pd.concat([r.leaks for r in results], ignore_index=True)
    leaks["detected"] = leaks["event_id"].notna()
    wrong = pd.concat([r.false_alarms for r in results], ignore_index=True)
    watched = sum(r.watched_days for r in results)
    figures = summary(leaks, len(wrong), watched)["value"]
    pd.set_option("display.width", 160)
    print(leaks[["case", "pipe", "zone", "diameter_mm", "kind", "start", "delay_h"]])
    print()
    print("false alarms:")
    print(wrong[["case", "event_id", "area", "detected_at", "flow_m3h", "detector"]])
    print()
    print(f"{args.cases} cases, seed {args.seed}: {len(leaks)} leaks, {watched:g} watched days")
    detected = f"{figures['detected']:.0%} ({leaks['detected'].sum()}/{len(leaks)})"
    per_30 = f"{figures['false_alarms_per_30d']:.2f} ({len(wrong)} in {watched:g} days)"
    rows = [("leaks detected", detected, ">= 90%"), ("false alarms per 30 days", per_30, "<= 1")]
    for kind, target in (("abrupt", 2), ("incipient", 24)):
        found = int((leaks["detected"] & (leaks["kind"] == kind)).sum())
        total = int((leaks["kind"] == kind).sum())
        label = f"median delay, {kind} ({found}/{total} detected)"
        rows.append((label, f"{figures[f'delay_{kind}_h']:.1f} h", f"< {target} h"))
    print("| figure | measured | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    by_size = leaks.groupby(pd.cut(leaks["diameter_mm"], [8, 12, 16, 20, 25.1]), observed=False)
    print()
    print("detected by diameter (mm):", by_size["detected"].agg(["sum", "count"]).to_dict("index"))
    generate = np.mean([r.seconds["generate"] for r in results])
    replay = np.mean([r.seconds["replay"] for r in results])
    print(
        f"per case: generate {generate:.1f} s, replay {replay:.1f} s; "
        f"wall {time.perf_counter() - clock:.0f} s with {args.workers} processes"
    )


if __name__ == "__main__":
    main()
