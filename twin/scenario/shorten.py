"""A scenario cut short: its first days, for a preview run or a test that it still runs.

The cut keeps everything about the run (network, sensors, plant, feeds, twin settings) and
only shortens time: the watch to ``days`` and the history to ``history_days`` before the same
start. Leaks drawn from the seed are drawn from the whole scenario first and written out as
placed leaks, so the cut shows the same leaks as the full run, only fewer of them: a leak,
fault or lost upload that starts outside the shorter run is left out, a repair or fault end
after the new end is dropped (still open when the run ends), and an incipient leak may still
be growing.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from twin.hydraulics.leaks import Leak
from twin.scenario.plan import plan_run
from twin.scenario.schema import LeakDraw, LeakEntry, Scenario
from twin.scenario.times import time_seconds

__all__ = ["cut_short"]

_STAMP = "%Y-%m-%d %H:%M:%S"


def cut_short(scenario: Scenario, days: float, history_days: float = 1.0) -> Scenario:
    """The first ``days`` of ``scenario``'s watch, learning from ``history_days`` before it.

    Parameters
    ----------
    scenario : Scenario
    days : float
        Days to watch (at least one step).
    history_days : float
        Days of history (the twin needs at least 1).

    Returns
    -------
    Scenario
        Checked against the network like a loaded file; ``leak_draw.count`` is 0 and its
        leaks are among ``leaks``.

    Examples
    --------
    >>> from twin.scenario import load_scenario, scenarios_dir
    >>> full = load_scenario(scenarios_dir() / "night-burst-area-c.toml")
    >>> short = cut_short(full, 1.0)
    >>> short.run.duration_days, len(full.leaks), len(short.leaks)
    (1.0, 1, 0)
    """
    plan = plan_run(scenario)
    start = pd.Timestamp(scenario.run.start)
    first, last = start - pd.Timedelta(days=history_days), start + pd.Timedelta(days=days)

    def stamp(seconds: int | None) -> pd.Timestamp | None:
        return None if seconds is None else plan.origin + pd.Timedelta(seconds=seconds)

    def inside(moment: pd.Timestamp) -> bool:
        return first <= moment <= last

    def kept_end(moment: pd.Timestamp | None) -> str:
        return "" if moment is None or moment > last else moment.strftime(_STAMP)

    leaks = tuple(
        _entry(leak, stamp, kept_end) for leak in plan.setup.leaks if inside(stamp(leak.start_s))
    )
    faults = []
    for fault in scenario.faults:
        began = stamp(time_seconds(fault.start, plan.origin, plan.watch_start_s))
        ended = (
            stamp(time_seconds(fault.end, plan.origin, plan.watch_start_s)) if fault.end else None
        )
        if inside(began):
            faults.append(
                dataclasses.replace(fault, start=began.strftime(_STAMP), end=kept_end(ended))
            )
    lost = [
        stamp(time_seconds(t, plan.origin, plan.watch_start_s))
        for t in scenario.feeds.amr_batch_lost
    ]
    cut = dataclasses.replace(
        scenario,
        run=dataclasses.replace(scenario.run, duration_days=days, history_days=history_days),
        leaks=leaks,
        leak_draw=LeakDraw(),
        faults=tuple(faults),
        feeds=dataclasses.replace(
            scenario.feeds,
            amr_batch_lost=tuple(t.strftime(_STAMP) for t in lost if inside(t)),
        ),
    )
    plan_run(cut)
    return cut


def _entry(leak: Leak, stamp, kept_end) -> LeakEntry:
    """A placed leak entry of a plant leak, with absolute times."""
    site = {"pipe": leak.site} if leak.on == "pipe" else {"junction": leak.site}
    peak = stamp(leak.peak_s)
    return LeakEntry(
        diameter_mm=round(leak.diameter_m * 1000, 6),
        start=stamp(leak.start_s).strftime(_STAMP),
        kind=leak.kind,
        peak="" if peak is None else peak.strftime(_STAMP),
        end=kept_end(stamp(leak.end_s)),
        position=leak.position,
        **site,
    )
