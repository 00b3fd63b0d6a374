"""The leak detector of a run: zone-inflow CUSUM, night flow and pressure CUSUM, one event book.

How the parts work together, step by step (all on residuals = measured - expected):

* **inflow CUSUM** (one per metering zone): the zone's consumption residual, minus the leaks
  the twin already believes in (their flows breathing with the zone's pressure),
  standardised by its hour-of-week baseline from history. An alarm raises a *suspected*
  event whose start is the CUSUM change point and whose flow is the mean residual since then.
* **confirmation**: ``confirm_after_s`` after it was raised (six hours when its flow is below
  ``min_leak_m3h``), an event whose residual since its start is still clearly positive is
  *confirmed*: its flow joins the believed leaks (so the next leak in the zone shows on top
  of it) and the CUSUM restarts. Otherwise it is closed as a transient.
* **re-estimation**: 6 h, 24 h and 72 h after confirmation, a confirmed event's flow is
  corrected by the mean residual of the last hours (an incipient leak grows; a first estimate
  is rough); a leak still growing is re-estimated every 12 h after that. A new inflow alarm
  in a zone with a confirmed leak raises a new event when the excess climbed as a step since
  that leak's onset (:func:`twin.detect.shape.step_evidence`: another leak burst). Otherwise
  it is that leak growing when the leak is less than a day old or has been growing, or when
  the excess is less than ``grow_share`` of its flow.
* **repair**: a downward CUSUM on the same residual: the zone suddenly consumes less than the
  twin believes. If the drop still holds three hours later, the open event with the nearest
  flow is marked repaired (at the alarm).
* **night flow**: each night's minimum night flow per zone against the nights before; an alarm
  with no event raised in the zone during the last day raises one (slow, incipient leaks).
* **pressure CUSUM** (one per logger, downwards): logs which loggers see the drop; in a zone
  whose consumption is not measured it raises the events itself.

A detector at time t uses only residuals of steps up to t: it is fed in time order.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from twin.detect.baseline import HourOfWeekBaseline
from twin.detect.cusum import Cusum
from twin.detect.events import EventBook, EventState
from twin.detect.night_flow import NightFlowDetector
from twin.detect.shape import step_evidence

__all__ = ["DetectionSettings", "LeakDetector"]

HOUR_S = 3600
REESTIMATE_AFTER_S = (6 * HOUR_S, 24 * HOUR_S, 72 * HOUR_S)
"""When a confirmed event's flow is re-estimated, s after confirmation."""
GROWING_EVERY_S = 12 * HOUR_S
"""How often a leak whose last re-estimate grew is re-estimated again, s."""
GROWTH_SHARE = 0.2
"""A re-estimate more than this share above the last one marks a leak as growing."""
SHAPE_WINDOW_S = 24 * HOUR_S
"""Longest window of hourly excess whose shape tells a new leak from a growing one, s."""
REPAIR_CONFIRM_S = 3 * HOUR_S
"""How long a drop must hold before the leak it matches is taken as repaired, s."""
SMALL_WAIT_S = 6 * HOUR_S
"""How long an excess below ``min_leak_m3h`` must persist before it is confirmed, s."""
PRESSURE_MEMORY_S = 24 * HOUR_S
"""Time constant of a zone's mean pressure that believed leak flows refer to, s."""
YOUNG_S = 24 * HOUR_S
"""A leak confirmed less than this long ago may still be growing into its first estimate, s."""


@dataclass(frozen=True)
class DetectionSettings:
    """Tuning of :class:`LeakDetector`; defaults measured on simulated L-Town cases.

    Attributes
    ----------
    drift, threshold : float
        CUSUM reference value and decision threshold on standardised residuals.
    min_leak_m3h : float
        Smallest leak the inflow CUSUMs are tuned for, m³/h: their reference value is at
        least half of it (CUSUM's rule for the shift to see soonest), so that a consumption
        level a percent off for a day, or a believed leak whose flow breathes with the
        pressure, does not add up to an alarm. Events flowing less than half of it are not
        confirmed. 3 m³/h is an 8 mm hole at 40 m of pressure.
    pressure_threshold : float
        Decision threshold of the pressure CUSUMs.
    confirm_after_s : int
        Time from raising an event to deciding on it, s.
    confirm_z : float
        Mean standardised residual since the estimated start that confirms an event.
    repair_threshold : float
        Threshold of the downward (repair) CUSUM.
    night_k : float
        Night-flow detector: robust deviations above the nights before.
    grow_share : float
        An inflow alarm whose excess is below this share of the flow of the zone's newest
        confirmed leak updates that leak's flow instead of raising an event.
    step_evidence : float
        While a zone's leak is growing, an inflow alarm raises a new event only if a step
        explains the excess better than a ramp by this much (BIC units,
        :func:`twin.detect.shape.step_evidence`); otherwise the leak grew.
    """

    drift: float = 0.5
    threshold: float = 6.0
    pressure_threshold: float = 20.0
    confirm_after_s: int = HOUR_S
    confirm_z: float = 1.0
    min_leak_m3h: float = 3.0
    repair_threshold: float = 10.0
    night_k: float = 4.0
    grow_share: float = 0.4
    step_evidence: float = 2.0


class LeakDetector:
    """Turn residuals into leak events (see the module docstring).

    Parameters
    ----------
    zones : sequence of str
        Metering zones, in the order of the zone residual vector.
    zone_baseline : HourOfWeekBaseline
        Baseline of each zone's consumption residual (m³/h) from history.
    pressure_ids : sequence of str
        Pressure loggers, in the order of the pressure residual vector.
    pressure_zone : sequence of int
        Zone index of each logger (-1: in none).
    pressure_baseline : HourOfWeekBaseline or None
        Baseline of each logger's residual (m) from history; None: no pressure detection.
    measured_zones : ndarray of bool
        Which zones have a measured consumption (else their pressure loggers raise events).
    step_s : int
        The run's step, s.
    settings : DetectionSettings
    """

    def __init__(
        self,
        zones: Sequence[str],
        zone_baseline: HourOfWeekBaseline,
        *,
        pressure_ids: Sequence[str] = (),
        pressure_zone: Sequence[int] = (),
        pressure_baseline: HourOfWeekBaseline | None = None,
        measured_zones: npt.NDArray[np.bool_] | None = None,
        step_s: int = 300,
        settings: DetectionSettings | None = None,
        night: tuple[int, int] = (1, 5),
        mnf_history: npt.NDArray[np.float64] | None = None,
    ) -> None:
        self.zones = list(zones)
        self.settings = s = settings or DetectionSettings()
        self.step_s = step_s
        self.zone_baseline = zone_baseline
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a zone never measured: NaN
            self._zone_scale = np.nanmedian(zone_baseline.scale_by_slot, axis=0)
        drift = np.fmax(s.drift, s.min_leak_m3h / 2.0 / self._zone_scale)
        self.leak_cusum = Cusum(self.zones, drift, s.threshold, direction="up")
        self.repair_cusum = Cusum(self.zones, drift, s.repair_threshold, direction="down")
        self.pressure_ids = list(pressure_ids)
        self.pressure_zone = np.asarray(pressure_zone, dtype=np.intp)
        self.pressure_baseline = pressure_baseline
        self.pressure_cusum = Cusum(
            self.pressure_ids, s.drift, s.pressure_threshold, direction="down"
        )
        n = len(self.zones)
        self.measured = np.ones(n, bool) if measured_zones is None else np.asarray(measured_zones)
        self.book = EventBook()
        self.believed_m3h = np.zeros(n)
        self._growing: set[str] = set()  # confirmed leaks whose last re-estimate grew
        self.bursts: set[str] = set()
        self._repair_due: dict[int, tuple[int, str, int]] = {}  # zone: (due, event, alarm)
        """Events raised because the inflow stepped up beside a known leak: new leaks."""
        # residual history for flow estimates: one ring per zone, back to the oldest start
        self._keep = int(7 * 86_400 // step_s)
        self._residual = np.full((self._keep, n), np.nan)
        self._believed_then = np.zeros((self._keep, n))  # believed flow at each step, m³/h
        self._factor_then = np.ones((self._keep, n))  # its breathing factor then
        self._pressure_mean = np.full(n, np.nan)  # each zone's day-long mean pressure, m
        self._times = np.full(self._keep, -1, dtype=np.int64)
        self._count = 0
        self._last_raised = np.full(n, np.iinfo(np.int64).min // 2, dtype=np.int64)
        self.night = NightFlowDetector(self.zones, night=night, k=s.night_k)
        if mnf_history is not None and len(mnf_history):
            self.night.prime(mnf_history)
        self._checkpoints: dict[str, list[int]] = {}

    # --- per step ----------------------------------------------------------------------------
    def update(
        self,
        time_s: int,
        zone_residual_m3h: npt.NDArray[np.float64],
        pressure_residual_m: npt.NDArray[np.float64] | None = None,
        zone_pressure_m: npt.NDArray[np.float64] | None = None,
    ) -> None:
        """Feed one step's residuals (zone consumption residual m³/h, logger residual m).

        ``zone_residual_m3h`` is measured minus expected consumption *without* the believed
        leaks; the detector subtracts them itself. The zone CUSUMs run on hourly means (a
        5-minute residual is dominated by consumption noise that is correlated over tens of
        minutes; an hourly mean is close to independent from one hour to the next).
        ``zone_pressure_m``, each zone's mean pressure now (m), lets the believed leaks
        breathe with it (:meth:`_breathing`).
        """
        factor = self._breathing(zone_pressure_m)
        believed = self.believed_m3h * factor
        row = self._count % self._keep
        self._residual[row] = zone_residual_m3h - believed
        self._believed_then[row] = believed
        self._factor_then[row] = factor
        self._times[row] = time_s
        self._count += 1
        if pressure_residual_m is not None and self.pressure_baseline is not None:
            self._pressure(time_s, pressure_residual_m)
        if time_s % HOUR_S == 0 and self._count >= HOUR_S // self.step_s:
            hourly = self._window_median_all(time_s - HOUR_S + self.step_s, time_s)
            z = (hourly - self.zone_baseline.location(time_s)) / self.zone_baseline.scale(time_s)
            for i in np.flatnonzero(self.leak_cusum.update(time_s, z)).tolist():
                changed = self.leak_cusum.change_time(i)
                start = None if changed is None else changed - HOUR_S + self.step_s
                self._raise(time_s, i, "inflow-cusum", start)
            for i in np.flatnonzero(self.repair_cusum.update(time_s, z)).tolist():
                self._repair(time_s, i)
        self._decide(time_s)
        self._decide_repairs(time_s)
        self._reestimate(time_s)

    def _window_median_all(self, since_s: int, until_s: int) -> npt.NDArray[np.float64]:
        """Median residual of every zone over ``[since_s, until_s]``, m³/h (NaN: too few).

        A median, not a mean: one spike of a flow meter must not make an hour look leaky.
        """
        mask = (self._times >= since_s) & (self._times <= until_s)
        values = self._residual[mask]
        count = np.isfinite(values).sum(axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            median = np.nanmedian(values, axis=0)
        return np.where(count * 2 >= max(mask.sum(), 1), median, np.nan)

    def _window_mean(self, zone: int, since_s: int, until_s: int | None = None) -> float:
        """Mean de-seasoned residual of a zone over ``[since_s, until_s]``, m³/h (NaN: none)."""
        times = self._times
        mask = (times >= since_s) & (times >= 0)
        if until_s is not None:
            mask &= times <= until_s
        values = self._residual[mask, zone]
        values = values[np.isfinite(values)]
        return float(values.mean()) if len(values) else float("nan")

    def _raise(self, time_s: int, zone: int, detector: str, start_s: int | None) -> None:
        start = time_s if start_s is None else int(start_s)
        pending = [
            e for e in self.book.open_events(self.zones[zone]) if e.state == EventState.SUSPECTED
        ]
        if pending:
            return
        flow = self._window_mean(zone, start)
        self.book.raise_event(
            time_s, self.zones[zone], detector, start, flow if flow == flow else 0.0
        )
        self._last_raised[zone] = time_s

    def _against_known_leak(self, time_s: int, zone: int, excess: float) -> tuple[str, str]:
        """Judge a persisting inflow excess (m³/h) against the zone's confirmed leaks.

        Returns the verdict and the leak it concerns. ``"burst"`` when the excess jumped
        beyond the trend since the known leaks' onsets (another leak burst). Otherwise
        ``"grew"`` when the newest leak that has been growing, else the newest, is less than a
        day old or has been growing, or when the excess is small beside its flow: that leak's
        flow is updated. ``"new"`` otherwise, or when the zone has no confirmed leak.
        """
        known = [
            e
            for e in self.book.open_events(self.zones[zone])
            if e.state in (EventState.CONFIRMED, EventState.LOCALIZED)
        ]
        if not known or not excess > 0.0:
            return "new", ""
        s = self.settings
        # the shape after the known leaks' own onsets, which are steps when they burst
        onset = max(e.start_estimate for e in known)
        if self._looks_new(time_s, zone, max(onset + 2 * HOUR_S, time_s - SHAPE_WINDOW_S)):
            return "burst", ""
        growing_ones = [e for e in known if e.event_id in self._growing]
        newest = max(growing_ones or known, key=lambda e: e.confirmed_at or e.raised_at)
        young = time_s - (newest.confirmed_at or newest.raised_at) < YOUNG_S
        growing = young or newest.event_id in self._growing
        if not growing and excess >= s.grow_share * newest.flow_m3h:
            return "new", ""
        # a ramp: the mean since the change point lags it, the last hours do not
        excess = max(excess, self._window_mean(zone, time_s - 3 * HOUR_S + self.step_s))
        due = self._checkpoints.setdefault(newest.event_id, [])
        due[:] = sorted({*due, time_s + GROWING_EVERY_S})
        self.book.update_flow(newest.event_id, newest.flow_m3h + excess)
        self._believe(zone, self.believed_m3h[zone] + excess)
        return "grew", newest.event_id

    def _looks_new(self, time_s: int, zone: int, since_s: int) -> bool:
        """Whether the zone's inflow since ``since_s`` climbed as a step, not as a ramp.

        The hourly excess over what the twin believes *now* (excess at the time plus what it
        believed then, minus what it believes now), de-seasoned.
        """
        hours = np.arange(time_s, since_s + HOUR_S - 1, -HOUR_S)[::-1]
        if len(hours) < 4:
            return False
        hourly = np.empty(len(hours))
        for k, h in enumerate(hours):
            mask = (self._times > h - HOUR_S) & (self._times <= h)
            values = (
                self._residual[mask, zone]
                + self._believed_then[mask, zone]
                - self.believed_m3h[zone] * self._factor_then[mask, zone]
            )
            values = values[np.isfinite(values)]
            hourly[k] = values.mean() if len(values) else np.nan
        hourly -= self.zone_baseline.location(hours)[:, zone]
        evidence = step_evidence(hourly, float(self._zone_scale[zone]))
        return evidence > self.settings.step_evidence

    def _breathing(self, zone_pressure_m: npt.NDArray[np.float64] | None) -> np.ndarray:
        """How much a believed leak flows now relative to its estimate, per zone.

        A leak is an orifice: its flow goes with the square root of the pressure (FAVAD with
        N1 = 0.5), so it swells at night when the pressure rises. Its flow was estimated over
        hours, at about the zone's mean pressure: the factor is ``sqrt(p / p_mean)`` with
        ``p_mean`` a day-long exponential mean of the zone's pressure. Without pressures, 1.
        """
        n = len(self.zones)
        if zone_pressure_m is None:
            return np.ones(n)
        p = np.asarray(zone_pressure_m, dtype=float)
        known = np.isfinite(p) & (p > 0.0)
        first = known & ~np.isfinite(self._pressure_mean)
        self._pressure_mean[first] = p[first]
        weight = self.step_s / PRESSURE_MEMORY_S
        self._pressure_mean[known] += weight * (p[known] - self._pressure_mean[known])
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(known & (self._pressure_mean > 1.0), p / self._pressure_mean, 1.0)
        return np.sqrt(np.clip(ratio, 0.25, 4.0))

    def _believe(self, zone: int, flow_m3h: float) -> None:
        """Set the leak flow the twin believes in a zone, m³/h (never below zero)."""
        self.believed_m3h[zone] = max(flow_m3h, 0.0)

    def _decide(self, time_s: int) -> None:
        s = self.settings
        for event in self.book.open_events():
            if event.state != EventState.SUSPECTED:
                continue
            if time_s - event.raised_at < s.confirm_after_s:
                continue
            zone = self.zones.index(event.area)
            # the level since the alarm: the CUSUM's change point is often hours early (noise
            # that happened to lean the same way), and the hour that raised the alarm is
            # partly before the leak (or, in a zone balanced over an hour, its ramp)
            since = max(event.start_estimate, event.raised_at)
            flow = self._window_mean(zone, since)
            scale = float(self._zone_scale[zone])
            hours = max((time_s - since) / HOUR_S, 1.0)
            z_mean = flow / scale * np.sqrt(hours)  # hourly means are close to independent
            persists = flow == flow and flow >= s.min_leak_m3h / 2.0 and z_mean >= s.confirm_z
            if persists and flow < s.min_leak_m3h and time_s - event.raised_at < SMALL_WAIT_S:
                continue  # an excess under the smallest leak must hold longer to be one
            verdict, grown = "new", ""
            if persists and event.detector == "inflow-cusum":
                verdict, grown = self._against_known_leak(time_s, zone, flow)
            if not persists:
                self.book.close(event.event_id, time_s, reason="did not persist")
            elif verdict == "grew":
                reason = f"merged into {grown}: the same leak growing"
                self.book.close(event.event_id, time_s, reason=reason)
            else:
                if verdict == "burst":
                    self.bursts.add(event.event_id)
                start = self._refined_start(zone, flow, event.start_estimate, event.raised_at)
                self.book.confirm(event.event_id, time_s, flow_m3h=flow, start_s=start)
                self._believe(zone, self.believed_m3h[zone] + flow)
                self._checkpoints[event.event_id] = [time_s + c for c in REESTIMATE_AFTER_S]
            self.leak_cusum.reset(zone)
            self.repair_cusum.reset(zone)

    def _refined_start(self, zone: int, flow_m3h: float, earliest: int, latest: int) -> int:
        """When a leak of ``flow_m3h`` began: after the last hour before ``latest`` whose
        mean residual was below half of it, and not before ``earliest`` (the CUSUM's change
        point), s."""
        end = latest
        while end - HOUR_S >= earliest:
            mean = self._window_mean(zone, end - HOUR_S + self.step_s, end)
            if not mean >= flow_m3h / 2.0:
                return max(end - HOUR_S // 2, earliest)
            end -= self.step_s
        return earliest

    def _reestimate(self, time_s: int) -> None:
        """At fixed times after confirmation, re-estimate a leak's flow from its whole window.

        The flow is the mean residual from the estimated start to now, with this event's own
        believed flow added back; an incipient leak grows, a first estimate is rough.
        """
        for event_id, due in list(self._checkpoints.items()):
            if not due or time_s < due[0]:
                continue
            due.pop(0)
            event = self.book[event_id]
            if not event.is_open:
                self._checkpoints.pop(event_id)
                continue
            zone = self.zones.index(event.area)
            since = max(event.confirmed_at or event.start_estimate, time_s - 6 * HOUR_S)
            excess = self._window_mean(zone, since, time_s)
            if excess != excess or self.leak_cusum.in_alarm[zone]:
                continue  # a new alarm in the zone: that is another leak's, not this one's
            new_flow = max(event.flow_m3h + excess, 0.0)
            self.leak_cusum.reset(zone)
            if new_flow < self.settings.min_leak_m3h / 2.0:
                self.book.close(event_id, time_s, reason="faded: flow below half the smallest leak")
                self._believe(zone, self.believed_m3h[zone] - event.flow_m3h)
                self._checkpoints.pop(event_id)
                self._growing.discard(event_id)
                continue
            self._believe(zone, self.believed_m3h[zone] + new_flow - event.flow_m3h)
            if new_flow > (1.0 + GROWTH_SHARE) * event.flow_m3h:
                self._growing.add(event_id)
                if not due:
                    due.append(time_s + GROWING_EVERY_S)
            else:
                self._growing.discard(event_id)
            self.book.update_flow(event_id, new_flow)

    def merge(self, time_s: int, event_id: str, into: str) -> None:
        """Take a confirmed event as the growth of an earlier leak in its zone (found by
        localization: both point to the same place); the earlier one takes its flow."""
        event, target = self.book[event_id], self.book[into]
        self.book.update_flow(into, target.flow_m3h + event.flow_m3h)
        self.book.close(event_id, time_s, reason=f"merged into {into}: the same leak growing")
        self._checkpoints.pop(event_id, None)

    def _repair(self, time_s: int, zone: int) -> None:
        """A downward alarm: suspect the open leak whose flow is nearest the drop repaired."""
        events = [
            e
            for e in self.book.open_events(self.zones[zone])
            if e.state in (EventState.CONFIRMED, EventState.LOCALIZED)
        ]
        self.repair_cusum.reset(zone)
        if not events or zone in self._repair_due:
            return
        drop = -self._window_mean(zone, time_s - 2 * HOUR_S)
        event = min(events, key=lambda e: abs(e.flow_m3h - drop))
        if not drop >= 0.5 * event.flow_m3h:
            return  # less than half of a believed leak went away: noise, not a repair
        self._repair_due[zone] = (time_s + REPAIR_CONFIRM_S, event.event_id, time_s)

    def _decide_repairs(self, time_s: int) -> None:
        """A suspected repair whose drop held for ``REPAIR_CONFIRM_S`` is one (a night or a
        Sunday morning that consumes less than usual for an hour or two is not)."""
        for zone, (due, event_id, alarm) in list(self._repair_due.items()):
            if time_s < due:
                continue
            del self._repair_due[zone]
            event = self.book[event_id]
            drop = -self._window_mean(zone, alarm + self.step_s, time_s)
            if not (event.is_open and drop >= 0.5 * event.flow_m3h):
                continue
            self.book.repaired(event_id, alarm)
            self._growing.discard(event_id)
            self._checkpoints.pop(event_id, None)
            self._believe(zone, self.believed_m3h[zone] - event.flow_m3h)
            self.leak_cusum.reset(zone)

    def operator_repaired(self, time_s: int, event_id: str) -> bool:
        """An operator reports the leak of ``event_id`` repaired at ``time_s`` (s): expect it gone.

        A believed leak is marked repaired and its flow no longer believed, as when the twin
        sees the drop itself (its re-estimates and a repair still to be confirmed are
        dropped); a suspected event, not believed yet, is closed. Returns False when the
        event was already repaired or closed (nothing changes). Raises KeyError for an
        unknown event id.
        """
        event = self.book[event_id]
        if not event.is_open:
            return False
        zone = self.zones.index(event.area)
        if event.state == EventState.SUSPECTED:
            self.book.close(event_id, time_s, reason="repaired (operator)")
            return True
        self.book.repaired(event_id, time_s)
        self._growing.discard(event_id)
        self._checkpoints.pop(event_id, None)
        if self._repair_due.get(zone, (0, None))[1] == event_id:
            del self._repair_due[zone]
        self._believe(zone, self.believed_m3h[zone] - event.flow_m3h)
        self.leak_cusum.reset(zone)
        return True

    def _pressure(self, time_s: int, residual_m: npt.NDArray[np.float64]) -> None:
        base = self.pressure_baseline
        z = (residual_m - base.location(time_s)) / base.scale(time_s)
        for i in np.flatnonzero(self.pressure_cusum.update(time_s, z)).tolist():
            zone = int(self.pressure_zone[i]) if len(self.pressure_zone) else -1
            if zone >= 0 and not self.measured[zone]:
                self._raise(time_s, zone, "pressure-cusum", self.pressure_cusum.change_time(i))
            self.pressure_cusum.reset(i)

    # --- per night ---------------------------------------------------------------------------
    def update_night(self, night_end_s: int, mnf_m3h: npt.NDArray[np.float64]) -> None:
        """Feed each zone's minimum night flow of the night just ended (m³/h)."""
        alarms = self.night.update(night_end_s, mnf_m3h - self.believed_m3h)
        for i in np.flatnonzero(alarms).tolist():
            if night_end_s - self._last_raised[i] > 86_400:
                excess = float(self.night.excess_m3h[i])
                self.book.raise_event(
                    night_end_s, self.zones[i], "night-flow", night_end_s - 86_400, excess
                )
                self._last_raised[i] = night_end_s
            self.night.acknowledge(i)

    def events(self, origin: pd.Timestamp) -> pd.DataFrame:
        """The event table (see :meth:`EventBook.to_frame`)."""
        return self.book.to_frame(origin)
