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

Targets (issue "twin loop"): at least 90% of leaks detected, at most 1 false alarm per 30
days, median delay under 2 h for abrupt leaks and under 24 h for incipient ones.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HISTORY_DAYS = 7
WATCH_DAYS = 14


@dataclass(frozen=True)
class LeakSpec:
    pipe: str
    diameter_mm: float
    start_h: float
    peak_h: float | None

    @property
    def kind(self) -> str:
        return "abrupt" if self.peak_h is None else "incipient"

    def as_option(self) -> str:
        peak = "" if self.peak_h is None else f":{self.peak_h:g}"
        return f"{self.pipe}:{self.diameter_mm:g}:{self.start_h:g}{peak}"


def draw_case(seed: int, case: int, pipes: list[str]) -> tuple[str, list[LeakSpec]]:
    """A case's start date and leaks, from ``(seed, case)`` alone."""
    rng = np.random.default_rng([seed, case])
    start = pd.Timestamp("2018-01-01") + pd.Timedelta(days=int(rng.integers(0, 330)))
    leaks = []
    for pipe in rng.choice(pipes, size=int(rng.integers(1, 4)), replace=False).tolist():
        start_h = float(HISTORY_DAYS * 24 + rng.integers(0, 12 * 24))
        incipient = bool(rng.random() < 0.5)
        peak_h = start_h + float(rng.integers(24, 97)) if incipient else None
        leaks.append(LeakSpec(pipe, round(float(rng.uniform(8, 25)), 1), start_h, peak_h))
    return start.strftime("%Y-%m-%d %H:%M"), leaks


def run_case(seed: int, case: int, scratch: str) -> dict:
    """Generate one case, replay the twin over it, match its events to the truth."""
    from twin.cli.generate import generate_scenario
    from twin.cli.replay import recorded_layout
    from twin.feeds.scada_files import read_scada_folder
    from twin.loop.replay_run import replay_twin
    from twin.network import load, network_areas, resolve_network

    inp = resolve_network("L-TOWN")
    wn = load(inp)
    pipes = sorted(wn.pipe_name_list)
    start, leaks = draw_case(seed, case, pipes)
    folder = Path(scratch) / f"case{case:02d}"
    clock = time.perf_counter()
    generate_scenario(
        "L-TOWN",
        folder,
        days=HISTORY_DAYS + WATCH_DAYS,
        seed=seed * 1000 + case,
        leaks=[leak.as_option() for leak in leaks],
        start=start,
    )
    generate_s = time.perf_counter() - clock
    recording = read_scada_folder(folder)
    layout = recorded_layout(recording, "L-TOWN", wn)
    areas = network_areas(inp, wn, layout.flow)
    clock = time.perf_counter()
    outcome = replay_twin(
        inp, layout, recording.readings, pd.Timestamp(recording.origin), folder / "twin"
    )
    replay_s = time.perf_counter() - clock
    origin = pd.Timestamp(start)
    truth = [
        {
            "case": case,
            "pipe": leak.pipe,
            "area": areas.area_of(wn.get_link(leak.pipe).start_node_name).name,
            "diameter_mm": leak.diameter_mm,
            "kind": leak.kind,
            "start": origin + pd.Timedelta(hours=leak.start_h),
        }
        for leak in leaks
    ]
    matched = match_events(outcome.events, truth)
    return {
        "case": case,
        "leaks": matched,
        "false_alarms": int(matched_false(outcome.events, matched)),
        "watched_days": WATCH_DAYS,
        "generate_s": generate_s,
        "replay_s": replay_s,
    }


def match_events(events: pd.DataFrame, truth: list[dict]) -> list[dict]:
    """Give each leak the first event that detects it (see the module docstring)."""
    leaks = [dict(leak, detected_at=None, delay_h=np.nan, event_id=None) for leak in truth]
    for _, event in events.sort_values("detected_at").iterrows():
        at = pd.Timestamp(event["detected_at"])
        open_leaks = [
            leak
            for leak in leaks
            if leak["event_id"] is None
            and leak["area"] == event["area"]
            and at >= leak["start"] - pd.Timedelta(hours=1)
        ]
        if open_leaks:
            leak = min(open_leaks, key=lambda x: x["start"])
            leak.update(
                detected_at=at,
                event_id=event["event_id"],
                delay_h=(at - leak["start"]).total_seconds() / 3600,
            )
    return leaks


def matched_false(events: pd.DataFrame, leaks: list[dict]) -> int:
    """Events that detected no leak."""
    used = {leak["event_id"] for leak in leaks if leak["event_id"] is not None}
    return int((~events["event_id"].isin(used)).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="twin-detection-") as scratch:
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(
                pool.map(
                    run_case, [args.seed] * args.cases, range(args.cases), [scratch] * args.cases
                )
            )
    leaks = pd.DataFrame([leak for r in results for leak in r["leaks"]])
    leaks["detected"] = leaks["event_id"].notna()
    wrong = pd.concat([r["false_alarms"] for r in results])
    watched = sum(r["watched_days"] for r in results)
    pd.set_option("display.width", 160)
    print(leaks[["case", "pipe", "area", "diameter_mm", "kind", "start", "delay_h"]])
    print()
    print("false alarms:")
    print(wrong[["case", "event_id", "area", "detected_at", "flow_m3h", "detector"]])
    print()
    print(f"{args.cases} cases, seed {args.seed}: {len(leaks)} leaks, {watched} watched days")
    detected = f"{leaks['detected'].mean():.0%} ({leaks['detected'].sum()}/{len(leaks)})"
    per_30 = f"{len(wrong) / watched * 30:.2f} ({len(wrong)} in {watched} days)"
    rows = [("leaks detected", detected, ">= 90%"), ("false alarms per 30 days", per_30, "<= 1")]
    for kind, target in (("abrupt", 2), ("incipient", 24)):
        part = leaks[(leaks["kind"] == kind) & leaks["detected"]]
        median = part["delay_h"].median() if len(part) else float("nan")
        total = int((leaks["kind"] == kind).sum())
        label = f"median delay, {kind} ({len(part)}/{total} detected)"
        rows.append((label, f"{median:.1f} h", f"< {target} h"))
    print("| figure | measured | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    by_size = leaks.groupby(pd.cut(leaks["diameter_mm"], [8, 12, 16, 20, 25.1]), observed=False)
    print()
    print("detected by diameter (mm):", by_size["detected"].agg(["sum", "count"]).to_dict("index"))
    generate = np.mean([r["generate_s"] for r in results])
    replay = np.mean([r["replay_s"] for r in results])
    print(
        f"per case: generate {generate:.1f} s, replay {replay:.1f} s; "
        f"wall {time.perf_counter() - clock:.0f} s with {args.workers} processes"
    )


if __name__ == "__main__":
    main()
