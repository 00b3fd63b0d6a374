"""A whole twin replay: learn from history, watch the readings, write what was found."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import simpy
import wntr

from twin.detect.baseline import HourOfWeekBaseline
from twin.detect.detector import DetectionSettings, LeakDetector
from twin.feeds.readings import Readings
from twin.feeds.replay import replay
from twin.loop.learn import Learned, learn_from_history
from twin.loop.locating import EventLocator
from twin.loop.outputs import (
    balance_json,
    balances,
    event_rows,
    gold_tables,
    inflow_frame,
    leaks_txt,
    no_candidates,
    residual_frame,
    write_atomic,
)
from twin.loop.twin_run import Trace, TwinRun
from twin.network.areas import NetworkAreas, network_areas
from twin.network.sensors import SensorLayout
from twin.report import write_report
from twin.store import RunStore
from twin.store.gold import write_gold
from twin.waterloss import WaterBalance

__all__ = ["ReplayOutcome", "replay_twin", "split_history"]

DAY_S = 86_400


@dataclass
class ReplayOutcome:
    """What a replay produced (files under ``out``) and what it could not do (``notes``)."""

    out: Path
    events: pd.DataFrame
    balance: list[WaterBalance]
    trace: Trace
    learned: Learned
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def split_history(readings: Readings, days: float) -> tuple[Readings, Readings]:
    """The first ``days`` of ``readings`` (history) and the rest, times kept."""
    cut = int(days * DAY_S)
    early = readings.event_time < cut
    return readings.take(np.flatnonzero(early)), readings.take(np.flatnonzero(~early))


def replay_twin(
    network: Path,
    layout: SensorLayout,
    readings: Readings,
    origin: pd.Timestamp,
    out: Path,
    *,
    history: Readings | None = None,
    history_origin: pd.Timestamp | None = None,
    step_s: int = 300,
    settings: DetectionSettings | None = None,
    store: RunStore | None = None,
    on_step: Callable[[int], None] | None = None,
    calibrate_roughness: bool = True,
    notes: list[str] | None = None,
) -> ReplayOutcome:
    """Run the twin over recorded readings and write its outputs into ``out``.

    Parameters
    ----------
    network : Path
        The nominal model's .inp file.
    layout : SensorLayout
        The instruments the readings come from.
    readings : Readings
        What to watch; event times in s since ``origin``.
    origin : pandas.Timestamp
    out : Path
        Folder for ``events.csv``, ``water_balance.json`` and ``report.html``.
    history, history_origin : Readings and Timestamp, optional
        Earlier readings of the same network to learn from. Without them the twin learns from
        the first seven days of ``readings`` and watches from there on.
    store : RunStore, optional
        The run's store: gold tables are written into it.
    on_step : callable, optional
        Called with each step time (progress).
    """
    notes = list(notes or [])
    seconds: dict[str, float] = {}
    wn = wntr.network.WaterNetworkModel(str(network))
    areas = network_areas(network, wn, layout.flow)
    for area in areas.areas:
        if not area.metered:
            why = (
                "has no inlet meter"
                if not area.inlets
                else f"is also fed through unmetered {', '.join(area.unmetered_links)}"
            )
            notes.append(f"zone {area.name} {why}: no inflow residual or water balance for it")
    if not layout.pressure:
        notes.append("no pressure readings: pressure residuals skipped, zone-level alarms only")
    if not layout.amr_demand:
        notes.append("no AMR readings: the consumption level is the model's (no daily level)")
    if history is None:
        history, readings = split_history(readings, 7)
        history_origin = origin
        notes.append("no --history: learned from the first 7 days, watched from day 8 on")
    clock = time.perf_counter()
    learned = learn_from_history(
        history,
        network,
        wn,
        layout,
        areas,
        history_origin or origin,
        step_s=step_s,
        calibrate_roughness=calibrate_roughness,
    )
    seconds["learn"] = time.perf_counter() - clock
    if learned.roughness is not None:
        fit = learned.roughness
        notes.append(
            "roughness groups fitted: "
            + ", ".join(f"{k} x{v:.3f}" for k, v in fit.factors.items())
            + f"; pressure residual RMS {fit.rms_before.mean():.3f} m -> "
            f"{fit.rms_after.mean():.3f} m (mean over loggers)"
        )
    learned = _rebased(learned, history_origin or origin, origin)
    start = int(readings.event_time.min()) // step_s * step_s
    duration = int(readings.event_time.max()) // step_s * step_s
    detector = _detector(areas, layout, learned, step_s, settings)
    locator = None
    if layout.pressure and learned.pressure_baseline is not None:
        locator = EventLocator(wn, areas, list(layout.pressure), learned.pressure_baseline)
    else:
        notes.append("no pressure loggers: events are found per zone and not localized")
    twin = TwinRun(
        network,
        wn,
        layout,
        areas,
        origin,
        duration,
        step_s=step_s,
        amr_profile=learned.amr_profile,
        zone_profile=learned.zone_profile,
        pipe_factors=learned.pipe_factors,
        detector=detector,
        locator=locator,
    )
    twin.on_step = on_step
    clock = time.perf_counter()
    env = simpy.Environment()
    env.process(replay(env, readings, twin.receive, period=step_s))
    env.process(_skip_to(env, twin, start))
    env.run(until=duration + 1)
    twin.close()
    seconds["watch"] = time.perf_counter() - clock
    trace = twin.trace.view()
    clock = time.perf_counter()
    if twin.model is not None and twin.model.failed_steps:
        notes.append(f"{len(twin.model.failed_steps)} steps did not converge: skipped")
    events, balance = _write(
        out, twin, trace, areas, detector, origin, step_s, duration, notes, store
    )
    seconds["write"] = time.perf_counter() - clock
    return ReplayOutcome(out, events, balance, trace, learned, notes, seconds)


def _skip_to(env: simpy.Environment, twin: TwinRun, start: int):
    """Run the twin's process from the first step of the watched readings."""
    yield env.timeout(start)
    yield from twin.process(env, first_s=start)


def _rebased(learned: Learned, history_origin: pd.Timestamp, origin: pd.Timestamp) -> Learned:
    """Baselines keyed to hours of the week are origin-free; rebuild them on ``origin``."""

    def move(base: HourOfWeekBaseline | None) -> HourOfWeekBaseline | None:
        if base is None or history_origin == origin:
            return base
        return HourOfWeekBaseline(
            base.names,
            origin,
            base.location_by_slot,
            base.scale_by_slot,
            base.samples,
            base.source,
        )

    return Learned(
        learned.amr_profile,
        learned.zone_profile,
        learned.roughness,
        move(learned.zone_baseline),
        move(learned.pressure_baseline),
        learned.mnf_history,
        learned.history_days,
    )


def _detector(
    areas: NetworkAreas,
    layout: SensorLayout,
    learned: Learned,
    step_s: int,
    settings: DetectionSettings | None,
) -> LeakDetector:
    zone_of = {}
    for k, area in enumerate(areas.areas):
        for node in (*area.junctions, *area.tanks):
            zone_of[node] = k
    measured = np.array([a.metered for a in areas.areas], dtype=bool)
    return LeakDetector(
        [a.name for a in areas.areas],
        learned.zone_baseline,
        pressure_ids=layout.pressure,
        pressure_zone=[zone_of.get(n, -1) for n in layout.pressure],
        pressure_baseline=learned.pressure_baseline,
        measured_zones=measured,
        step_s=step_s,
        settings=settings,
        mnf_history=learned.mnf_history,
    )


def _write(
    out: Path,
    twin: TwinRun,
    trace: Trace,
    areas: NetworkAreas,
    detector: LeakDetector,
    origin: pd.Timestamp,
    step_s: int,
    duration: int,
    notes: list[str],
    store: RunStore | None,
) -> ReplayOutcome:
    out.mkdir(parents=True, exist_ok=True)
    zones = [a.name for a in areas.areas]
    events = event_rows(detector.book, origin, duration)
    write_atomic(out / "events.csv", events.to_csv(index=False, lineterminator="\n"))
    write_atomic(out / "leaks.txt", leaks_txt(detector.book, origin))
    candidates = (
        twin.locator.candidate_table(origin) if twin.locator is not None else no_candidates()
    )
    write_atomic(out / "candidates.csv", candidates.to_csv(index=False, lineterminator="\n"))
    balance = balances(trace, areas, origin, step_s)
    write_atomic(out / "water_balance.json", balance_json(balance))
    if store is not None:
        write_gold(
            store.con,
            gold_tables(
                detector.book, balance, trace, list(twin.layout.pressure), origin, candidates
            ),
        )
    first = origin + pd.Timedelta(seconds=int(trace.times[0])) if len(trace.times) else origin
    write_report(
        out / "report.html",
        title=f"Twin replay: {areas.utility_name}",
        run_info={
            "network": areas.utility_name,
            "period": f"{first:%Y-%m-%d %H:%M} to "
            f"{origin + pd.Timedelta(seconds=duration):%Y-%m-%d %H:%M}",
            "steps": f"{len(trace.times):,} of {step_s} s",
            "zones": ", ".join(zones),
            "sensors": f"{len(twin.layout.pressure)} pressure, {len(twin.layout.flow)} flow, "
            f"{len(twin.layout.tank_level)} level, {len(twin.layout.amr_demand)} AMR",
        },
        inflows=inflow_frame(trace, zones, origin),
        residuals=residual_frame(trace, list(twin.layout.pressure), origin),
        events=events,
        balance=[b.to_dict() for b in balance],
        notes=notes,
    )
    return events, balance
