"""A whole twin replay: learn from history, watch the readings, write what was found."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import simpy
import wntr

from twin.detect.baseline import HourOfWeekBaseline
from twin.detect.detector import DetectionSettings, LeakDetector
from twin.feeds.readings import Readings
from twin.feeds.replay import replay
from twin.localize.localizer import LocalizationSettings
from twin.loop.learn import Learned, learn_from_history
from twin.loop.locating import EventLocator
from twin.loop.outputs import (
    balance_json,
    balances,
    daily_balances,
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

__all__ = [
    "ReplayOutcome",
    "WatchingTwin",
    "prepare_twin",
    "replay_twin",
    "split_history",
    "write_outputs",
]

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


@dataclass
class WatchingTwin:
    """A twin that has learned from history and is ready to watch (:func:`prepare_twin`).

    Attributes
    ----------
    twin : TwinRun
        Steps from ``start_s`` to ``duration_s`` (s since ``origin``) every ``step_s``.
    detector : LeakDetector
    areas : NetworkAreas
    learned : Learned
    origin : pandas.Timestamp
    start_s, duration_s, step_s : int
        First and last step of the watch and the step, s.
    notes : list of str
        What the twin could not do.
    seconds : dict of str to float
        Wall time per stage, s.
    """

    twin: TwinRun
    detector: LeakDetector
    areas: NetworkAreas
    learned: Learned
    origin: pd.Timestamp
    start_s: int
    duration_s: int
    step_s: int
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


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
    localization: LocalizationSettings | None = None,
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
    settings, localization : DetectionSettings and LocalizationSettings, optional
        The detector's and the localizer's tuning (defaults when None).
    store : RunStore, optional
        The run's store: gold tables are written into it.
    on_step : callable, optional
        Called with each step time (progress).
    """
    watching, readings = prepare_twin(
        network,
        layout,
        readings,
        origin,
        history=history,
        history_origin=history_origin,
        step_s=step_s,
        settings=settings,
        localization=localization,
        calibrate_roughness=calibrate_roughness,
        notes=notes,
    )
    twin = watching.twin
    twin.on_step = on_step
    clock = time.perf_counter()
    env = simpy.Environment()
    env.process(replay(env, readings, twin.receive, period=step_s))
    env.process(_skip_to(env, twin, watching.start_s))
    env.run(until=watching.duration_s + 1)
    twin.close()
    watching.seconds["watch"] = time.perf_counter() - clock
    clock = time.perf_counter()
    if twin.model is not None and twin.model.failed_steps:
        watching.notes.append(f"{len(twin.model.failed_steps)} steps did not converge: skipped")
    events, balance = write_outputs(
        out, watching, watching.duration_s, None if store is None else store.con
    )
    watching.seconds["write"] = time.perf_counter() - clock
    return ReplayOutcome(
        out,
        events,
        balance,
        twin.trace.view(),
        watching.learned,
        watching.notes,
        watching.seconds,
    )


def prepare_twin(
    network: Path,
    layout: SensorLayout,
    readings: Readings,
    origin: pd.Timestamp,
    *,
    history: Readings | None = None,
    history_origin: pd.Timestamp | None = None,
    step_s: int = 300,
    settings: DetectionSettings | None = None,
    localization: LocalizationSettings | None = None,
    calibrate_roughness: bool = True,
    notes: list[str] | None = None,
) -> tuple[WatchingTwin, Readings]:
    """Learn from the history and build the twin that watches ``readings``.

    Parameters are those of :func:`replay_twin`. Returns the twin and the readings it is to
    watch (without ``history``: all but the first seven days of ``readings``).
    """
    notes = list(notes or [])
    seconds: dict[str, float] = {}
    wn = wntr.network.WaterNetworkModel(str(network))
    areas = network_areas(network, wn, layout.flow)
    notes.extend(_missing_notes(areas, layout))
    if history is None:
        history, readings = split_history(readings, 7)
        if not len(readings):
            raise ValueError(
                "the SCADA folder holds 7 days or less and no --history was given: the twin "
                "learns from the first 7 days and watches the rest, so give more days or a "
                "--history folder of earlier data"
            )
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
        locator = EventLocator(
            wn, areas, list(layout.pressure), learned.pressure_baseline, settings=localization
        )
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
    watching = WatchingTwin(
        twin, detector, areas, learned, origin, start, duration, step_s, notes, seconds
    )
    return watching, readings


def _missing_notes(areas: NetworkAreas, layout: SensorLayout) -> list[str]:
    """What the twin cannot do with these zones and instruments."""
    notes = []
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
    return notes


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


def write_outputs(
    out: Path,
    watching: WatchingTwin,
    end_s: int,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    report: bool = True,
) -> tuple[pd.DataFrame, list[WaterBalance]]:
    """Write what the twin has found up to ``end_s`` (s): the files in ``out`` and, given a
    store connection, the gold tables (one transaction).

    ``events.csv``, ``leaks.txt``, ``candidates.csv`` and ``water_balance.json`` are each
    replaced atomically; ``report.html`` is written when ``report`` is True. Returns the
    event rows of ``events.csv`` and the water balance of each zone over the steps so far.
    """
    twin, areas, origin = watching.twin, watching.areas, watching.origin
    detector, step_s = watching.detector, watching.step_s
    trace = twin.trace.view()
    out.mkdir(parents=True, exist_ok=True)
    zones = [a.name for a in areas.areas]
    events = event_rows(detector.book, origin, end_s)
    write_atomic(out / "events.csv", events.to_csv(index=False, lineterminator="\n"))
    write_atomic(out / "leaks.txt", leaks_txt(detector.book, origin))
    candidates = (
        twin.locator.candidate_table(origin) if twin.locator is not None else no_candidates()
    )
    write_atomic(out / "candidates.csv", candidates.to_csv(index=False, lineterminator="\n"))
    balance = balances(trace, areas, origin, step_s) if len(trace.times) else []
    write_atomic(out / "water_balance.json", balance_json(balance))
    if con is not None:
        daily = daily_balances(trace, areas, origin, step_s)
        write_gold(
            con,
            gold_tables(
                detector.book,
                balance,
                trace,
                list(twin.layout.pressure),
                origin,
                candidates,
                zones=zones,
                daily=daily,
            ),
        )
    if report:
        _write_report(out, watching, trace, events, balance)
    return events, balance


def _write_report(
    out: Path,
    watching: WatchingTwin,
    trace: Trace,
    events: pd.DataFrame,
    balance: list[WaterBalance],
) -> None:
    twin, areas, origin = watching.twin, watching.areas, watching.origin
    zones = [a.name for a in areas.areas]
    first = origin + pd.Timedelta(seconds=int(trace.times[0])) if len(trace.times) else origin
    last = origin + pd.Timedelta(seconds=int(trace.times[-1])) if len(trace.times) else origin
    write_report(
        out / "report.html",
        title=f"Twin replay: {areas.utility_name}",
        run_info={
            "network": areas.utility_name,
            "period": f"{first:%Y-%m-%d %H:%M} to "
            f"{origin + pd.Timedelta(seconds=watching.duration_s):%Y-%m-%d %H:%M}"
            if last >= origin + pd.Timedelta(seconds=watching.duration_s)
            else f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} (stopped)",
            "steps": f"{len(trace.times):,} of {watching.step_s} s",
            "zones": ", ".join(zones),
            "sensors": f"{len(twin.layout.pressure)} pressure, {len(twin.layout.flow)} flow, "
            f"{len(twin.layout.tank_level)} level, {len(twin.layout.amr_demand)} AMR",
        },
        inflows=inflow_frame(trace, zones, origin),
        residuals=residual_frame(trace, list(twin.layout.pressure), origin),
        events=events,
        balance=[b.to_dict() for b in balance],
        notes=watching.notes,
    )
