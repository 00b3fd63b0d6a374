"""Learning from history: what a replay needs to know before it watches for leaks.

Three passes over the history readings (each a :class:`TwinRun`, no detector):

1. demand only: the zones' unmetered consumption against the model's gives the demand
   multipliers per zone and hour of the week;
2. with hydraulics: the twin's pressures at sampled steps; the roughness groups are fitted
   to the loggers (skipped without pressure loggers);
3. with both: the residuals of a calibrated twin give each zone's and each logger's
   hour-of-week baseline, and the nights give the night-flow detector its first nights.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import simpy

from twin.detect.baseline import HourOfWeekBaseline
from twin.detect.night_flow import nightly_minimum
from twin.feeds.readings import Readings
from twin.feeds.replay import replay
from twin.loop.twin_run import Trace, TwinRun
from twin.model.calibrate import (
    HistorySample,
    RoughnessFit,
    diameter_groups,
    fit_roughness,
    zone_multipliers,
)
from twin.network.areas import NetworkAreas
from twin.network.sensors import SensorLayout
from twin.units import M3S_TO_M3H

__all__ = ["Learned", "learn_from_history", "run_twin_over"]

PRESSURE_FLOOR_M = 0.01
"""Smallest robust σ of a pressure residual, m (a logger's resolution)."""
FLOW_FLOOR_M3H = 0.1
"""Smallest robust σ of a zone consumption residual, m³/h."""


@dataclass(frozen=True)
class Learned:
    """What the history taught (see the module docstring).

    Attributes
    ----------
    multipliers : ndarray, shape (n_zones, 168)
    roughness : RoughnessFit or None
    zone_baseline : HourOfWeekBaseline
        Zone consumption residual (m³/h).
    pressure_baseline : HourOfWeekBaseline or None
        Logger pressure residual (m).
    mnf_history : ndarray, shape (n_nights, n_zones)
        Minimum night flows of the history, m³/h.
    history_days : float
    """

    multipliers: np.ndarray
    roughness: RoughnessFit | None
    zone_baseline: HourOfWeekBaseline
    pressure_baseline: HourOfWeekBaseline | None
    mnf_history: np.ndarray
    history_days: float

    @property
    def pipe_factors(self) -> dict[str, dict[str, float]] | None:
        return None if self.roughness is None else self.roughness.pipe_factors()


def run_twin_over(twin: TwinRun, readings: Readings) -> Trace:
    """Replay recorded readings through a twin on a fresh simpy clock; its trace."""
    env = simpy.Environment()
    env.process(replay(env, readings, twin.receive, period=twin.step_s))
    env.process(twin.process(env))
    env.run(until=twin.duration_s + 1)
    return twin.trace.view()


def _hourly_means(
    times_s: np.ndarray, values: np.ndarray, step_s: int
) -> tuple[np.ndarray, np.ndarray]:
    """Means over the hours ending at each full hour (the hour's steps after its start)."""
    per_hour = max(3600 // step_s, 1)
    hour_end = (times_s + 3600 - step_s) // 3600 * 3600
    keys, inverse = np.unique(hour_end, return_inverse=True)
    sums = np.zeros((len(keys), values.shape[1]))
    counts = np.zeros((len(keys), values.shape[1]))
    finite = np.isfinite(values)
    np.add.at(sums, inverse, np.where(finite, values, 0.0))
    np.add.at(counts, inverse, finite)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts * 2 >= per_hour, sums / counts, np.nan)
    return keys, means


def _flat_baseline(
    values: np.ndarray, origin: pd.Timestamp, names: list[str], floor: float
) -> HourOfWeekBaseline:
    """One median and robust σ per series, the same in every hour of the week."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a series with no value: NaN
        location = np.nanmedian(values, axis=0)
        scale = 1.4826 * np.nanmedian(np.abs(values - location), axis=0)
    shape = (168, len(names))
    return HourOfWeekBaseline(
        names,
        origin,
        np.broadcast_to(location, shape),
        np.broadcast_to(np.maximum(scale, floor), shape),
        np.broadcast_to(np.isfinite(values).sum(axis=0), shape),
        np.full(shape, "series"),
    )


def learn_from_history(
    readings: Readings,
    network: str | Path,
    wn: Any,
    layout: SensorLayout,
    areas: NetworkAreas,
    origin: pd.Timestamp,
    *,
    step_s: int = 300,
    calibrate_roughness: bool = True,
    night: tuple[int, int] = (1, 5),
) -> Learned:
    """Learn multipliers, roughness and baselines from history readings (see module doc).

    Parameters
    ----------
    readings : Readings
        The history, event times in s since ``origin``.
    network, wn, layout, areas, origin, step_s
        As for :class:`TwinRun`.
    calibrate_roughness : bool
        Fit the roughness groups (needs pressure loggers).
    """
    duration = int(readings.event_time.max()) // step_s * step_s
    common = dict(step_s=step_s)

    first = TwinRun(network, wn, layout, areas, origin, duration, hydraulics=False, **common)
    trace = run_twin_over(first, readings)
    multipliers = zone_multipliers(
        trace.times,
        trace.consumption - trace.metered,
        trace.unmetered_model,
        trace.level,
        origin,
    )

    roughness = None
    if calibrate_roughness and layout.pressure:
        second = TwinRun(
            network,
            wn,
            layout,
            areas,
            origin,
            duration,
            multipliers=multipliers,
            sample_every_s=3600,
            **common,
        )
        trace = run_twin_over(second, readings)
        second.close()
        samples = [HistorySample(*s) for s in trace.samples]
        if len(samples) >= 2:
            roughness = fit_roughness(network, layout, samples, diameter_groups(wn))

    third = TwinRun(
        network,
        wn,
        layout,
        areas,
        origin,
        duration,
        multipliers=multipliers,
        pipe_factors=None if roughness is None else roughness.pipe_factors(),
        hydraulics=bool(layout.pressure),
        **common,
    )
    trace = run_twin_over(third, readings)
    third.close()
    zone_names = [a.name for a in areas.areas]
    # The zone CUSUMs run on hourly means; one scale per zone (a week of history has too
    # few hours of each kind for more), so the baseline is fitted to the whole series.
    hour_times, hourly = _hourly_means(trace.times, trace.zone_residual_m3h, step_s)
    zone_baseline = _flat_baseline(hourly, origin, zone_names, FLOW_FLOOR_M3H)
    pressure_baseline = (
        HourOfWeekBaseline.fit(
            trace.times,
            trace.pressure_residual,
            origin,
            layout.pressure,
            scale_floor=PRESSURE_FLOOR_M,
        )
        if layout.pressure
        else None
    )
    _, mnf = nightly_minimum(
        trace.times,
        trace.consumption * M3S_TO_M3H,
        origin,
        night=night,
        window_steps=max(3600 // step_s, 1),
    )
    return Learned(
        multipliers,
        roughness,
        zone_baseline,
        pressure_baseline,
        np.asarray(mnf),
        duration / 86_400,
    )
