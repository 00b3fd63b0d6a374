"""Learning from history: what a replay needs to know before it watches for leaks.

Passes over the history readings (each a :class:`TwinRun`, no detector):

1. demand only, twice: the AMR meters' typical week, then (with the consumption level it
   gives) each zone's typical unmetered consumption per hour of weekdays and weekends;
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
from twin.model.calibrate import HistorySample, RoughnessFit, diameter_groups, fit_roughness
from twin.model.profile import WeekProfile
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
    amr_profile : WeekProfile or None
        Typical reading of each AMR meter, m³/s (None without AMR meters).
    zone_profile : WeekProfile
        Typical unmetered consumption of each zone at consumption level 1, m³/s.
    roughness : RoughnessFit or None
    zone_baseline : HourOfWeekBaseline
        Zone consumption residual (m³/h).
    pressure_baseline : HourOfWeekBaseline or None
        Logger pressure residual (m).
    mnf_history : ndarray, shape (n_nights, n_zones)
        Minimum night flows of the history, m³/h.
    history_days : float
    """

    amr_profile: WeekProfile | None
    zone_profile: WeekProfile
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


def _out_of_fold_shift(
    times_s: np.ndarray,
    unmetered: np.ndarray,
    level: np.ndarray,
    origin: pd.Timestamp,
    full: WeekProfile,
    folds: int = 7,
):
    """How much each step's expectation would move with a profile learned without its day.

    A profile scored on the days it was learned from fits them too well: the residuals, and
    the baseline scale learned from them, would look quieter than any new day. The days are
    dealt into ``folds`` folds (day number modulo ``folds``); each fold's steps get the
    profile of the other folds instead of ``full``, the profile of them all.

    Returns
    -------
    callable
        ``shift(times_s) -> ndarray (n, n_zones)``: full-history expectation minus the
        out-of-fold one at those times, m³/s (0 where a time was not in the history). Add it
        to a residual to make the residual out-of-fold.
    """
    day = times_s // 86_400
    fold = day % min(folds, int(day.max()) + 1 if len(day) else 1)
    names = full.names
    shift = np.zeros_like(unmetered)
    for f in np.unique(fold).tolist():
        inside = fold == f
        if inside.all():
            continue  # one day of history: nothing to leave it out against
        other = WeekProfile.fit(times_s[~inside], unmetered[~inside], origin, names)
        difference = full.over(times_s[inside]) - other.over(times_s[inside])
        shift[inside] = np.nan_to_num(difference) * level[inside, None]

    def at(times: np.ndarray) -> np.ndarray:
        out = np.zeros((len(times), len(names)))
        position = np.searchsorted(times_s, times)
        found = (position < len(times_s)) & (
            times_s[np.minimum(position, len(times_s) - 1)] == times
        )
        out[found] = shift[position[found]]
        return out

    return at


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
    """Learn demand profiles, roughness and baselines from history readings (see module doc).

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

    def twin(**settings: Any) -> TwinRun:
        """A twin over the whole history (the passes differ only in their settings)."""
        return TwinRun(network, wn, layout, areas, origin, duration, step_s=step_s, **settings)

    amr_profile = None
    if layout.amr_demand:
        trace = run_twin_over(twin(hydraulics=False, record_amr=True), readings)
        amr_profile = WeekProfile.fit(trace.times, trace.amr, origin, layout.amr_demand)
    profiles = dict(amr_profile=amr_profile)
    trace = run_twin_over(twin(hydraulics=False, **profiles), readings)
    with np.errstate(divide="ignore", invalid="ignore"):
        unmetered = (trace.consumption - trace.metered) / trace.level[:, None]
    zone_names = [a.name for a in areas.areas]
    profiles["zone_profile"] = WeekProfile.fit(trace.times, unmetered, origin, zone_names)
    honest = _out_of_fold_shift(
        trace.times, unmetered, trace.level, origin, profiles["zone_profile"]
    )

    roughness = None
    if calibrate_roughness and layout.pressure:
        second = twin(sample_every_s=3600, **profiles)
        trace = run_twin_over(second, readings)
        second.close()
        samples = [HistorySample(*s) for s in trace.samples]
        if len(samples) >= 2:
            roughness = fit_roughness(network, layout, samples, diameter_groups(wn))

    third = twin(
        pipe_factors=None if roughness is None else roughness.pipe_factors(),
        hydraulics=bool(layout.pressure),
        **profiles,
    )
    trace = run_twin_over(third, readings)
    third.close()
    # The zone CUSUMs run on hourly means; one scale per zone (a week of history has too
    # few hours of each kind for more), so the baseline is fitted to the whole series. The
    # residuals are those the twin would have had with profiles learned without each day.
    _, hourly = _hourly_means(
        trace.times, trace.zone_residual_m3h + honest(trace.times) * M3S_TO_M3H, step_s
    )
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
        amr_profile,
        profiles["zone_profile"],
        roughness,
        zone_baseline,
        pressure_baseline,
        np.asarray(mnf),
        duration / 86_400,
    )
