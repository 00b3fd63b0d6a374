"""The twin on the simpy clock: readings in, model stepped, residuals out, detector fed.

Each ``step_s`` the twin takes the slot that has just ended from its :class:`ReadingBoard`
(whatever has arrived; it never waits for the rest), estimates the demands, steps its model
with the measured tank levels, and turns measured minus expected into residuals: per
pressure logger (m) and per metering zone (consumption, m³/h). A :class:`LeakDetector`, when
given, turns the residuals into events. Everything is kept in a :class:`Trace` for the
outputs and for learning baselines from a history run.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import simpy

from twin.detect.detector import LeakDetector
from twin.feeds.clock import end_of_instant
from twin.feeds.readings import Readings
from twin.loop.board import ReadingBoard
from twin.loop.locating import EventLocator
from twin.model.consumption import NominalConsumption
from twin.model.demand import DemandEstimator
from twin.model.profile import WeekProfile
from twin.model.twin_model import TwinModel
from twin.model.zones import ZoneBalance
from twin.network.areas import NetworkAreas
from twin.network.sensors import SensorLayout
from twin.units import M3S_TO_M3H

__all__ = ["Trace", "TwinRun"]

DAY_S = 86_400


@dataclass
class Trace:
    """Per-step record of a twin run (SI unless the name says otherwise).

    Attributes
    ----------
    times : ndarray of int, shape (n_steps,)
        Step times, s since the origin.
    consumption : ndarray, shape (n_steps, n_zones)
        Measured consumption of each zone (inlets minus storage), m³/s; NaN: unknown.
    expected : ndarray, shape (n_steps, n_zones)
        Expected consumption of each zone (metered part as read, the rest from the zone's
        typical consumption and the level; no leak), m³/s.
    metered : ndarray, shape (n_steps, n_zones)
        Consumption read by AMR meters (or estimated for missing readings), averaged over
        the zone's balance window as its consumption is, m³/s.
    pressure_measured, pressure_expected : ndarray, shape (n_steps, n_pressure)
        Pressure at each logger, m.
    zone_pressure : ndarray, shape (n_steps, n_zones)
        The model's mean junction pressure per zone, m.
    level : ndarray, shape (n_steps,)
        Consumption level from the AMR meters (1 = as typical, or as the model expects).
    converged : ndarray of bool, shape (n_steps,)
    amr : ndarray, shape (n_steps, n_amr) or (n_steps, 0)
        The AMR readings of each step, m³/s (kept only when asked for: learning profiles).
    """

    times: npt.NDArray[np.int64]
    consumption: npt.NDArray[np.float64]
    expected: npt.NDArray[np.float64]
    metered: npt.NDArray[np.float64]
    pressure_measured: npt.NDArray[np.float64]
    pressure_expected: npt.NDArray[np.float64]
    zone_pressure: npt.NDArray[np.float64]
    level: npt.NDArray[np.float64]
    converged: npt.NDArray[np.bool_]
    amr: npt.NDArray[np.float64]
    count: int = 0
    samples: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    @classmethod
    def empty(cls, n_steps: int, n_zones: int, n_pressure: int, n_amr: int = 0) -> Trace:
        def nan(*shape: int) -> np.ndarray:
            return np.full(shape, np.nan)

        return cls(
            np.zeros(n_steps, dtype=np.int64),
            nan(n_steps, n_zones),
            nan(n_steps, n_zones),
            nan(n_steps, n_zones),
            nan(n_steps, n_pressure),
            nan(n_steps, n_pressure),
            nan(n_steps, n_zones),
            nan(n_steps),
            np.zeros(n_steps, dtype=bool),
            nan(n_steps, n_amr),
        )

    def view(self) -> Trace:
        """The steps recorded so far."""
        n = self.count
        return Trace(
            self.times[:n],
            self.consumption[:n],
            self.expected[:n],
            self.metered[:n],
            self.pressure_measured[:n],
            self.pressure_expected[:n],
            self.zone_pressure[:n],
            self.level[:n],
            self.converged[:n],
            self.amr[:n],
            n,
            self.samples,
        )

    @property
    def zone_residual_m3h(self) -> npt.NDArray[np.float64]:
        """Measured minus expected consumption per zone, m³/h."""
        return (self.consumption - self.expected) * M3S_TO_M3H

    @property
    def pressure_residual(self) -> npt.NDArray[np.float64]:
        """Measured minus expected pressure per logger, m."""
        return self.pressure_measured - self.pressure_expected


class TwinRun:
    """The twin of one network over one period, stepping on a simpy clock.

    Parameters
    ----------
    network : str or Path
        Catalogue name or .inp path of the nominal model.
    wn : wntr.network.WaterNetworkModel
        The same model parsed (patterns and base demands).
    layout : SensorLayout
        The instruments whose readings the twin receives.
    areas : NetworkAreas
        Metering zones.
    origin : pandas.Timestamp
        Wall-clock time of second 0.
    duration_s : int
        Last step time, s.
    step_s : int
        Step, s.
    amr_profile, zone_profile : WeekProfile, optional
        Typical AMR readings and zone unmetered consumption from history (see
        :class:`DemandEstimator`).
    pipe_factors : mapping, optional
        Calibrated roughness factors.
    detector : LeakDetector, optional
        Fed every step; None for a learning (history) run.
    locator : EventLocator, optional
        Localizes the detector's confirmed events when they are due (needs hydraulics).
    hydraulics : bool
        Step the hydraulic model (False: only the demand and zone balance, for learning
        demand profiles fast).
    wait_s : int
        How long after a slot's time the twin processes it (channel latency), s.
    sample_every_s : int
        Keep the demand vector, tank levels and measured pressures this often (for
        roughness calibration), s; 0 keeps none.
    record_amr : bool
        Keep every step's AMR readings in the trace (for learning their profile).
    """

    def __init__(
        self,
        network: str | Path,
        wn: Any,
        layout: SensorLayout,
        areas: NetworkAreas,
        origin: pd.Timestamp,
        duration_s: int,
        *,
        step_s: int = 300,
        amr_profile: WeekProfile | None = None,
        zone_profile: WeekProfile | None = None,
        pipe_factors: dict[str, dict[str, float]] | None = None,
        detector: LeakDetector | None = None,
        locator: EventLocator | None = None,
        hydraulics: bool = True,
        wait_s: int = 0,
        sample_every_s: int = 0,
        record_amr: bool = False,
        night: tuple[int, int] = (1, 5),
    ) -> None:
        self.origin = pd.Timestamp(origin)
        self.step_s = int(step_s)
        self.duration_s = int(duration_s)
        self.layout = layout
        self.areas = areas
        self.zone_names = [a.name for a in areas.areas]
        self.model = (
            TwinModel(
                network,
                layout,
                step_s=step_s,
                duration_s=duration_s,
                pipe_factors=pipe_factors,
                zones=[a.junctions for a in areas.areas],
            )
            if hydraulics
            else None
        )
        junctions = self.model.junction_ids if self.model else list(wn.junction_name_list)
        self.nominal = NominalConsumption(wn, junctions)
        self.estimator = DemandEstimator(
            self.nominal,
            areas,
            layout.amr_demand,
            self.origin,
            amr_profile=amr_profile,
            zone_profile=zone_profile,
        )
        tank_area = {t: np.pi * wn.get_node(t).diameter ** 2 / 4 for t in wn.tank_name_list}
        self.zones = ZoneBalance(areas, layout.flow, layout.tank_level, tank_area, step_s)
        self.board = ReadingBoard(layout, step_s, horizon_steps=2 * DAY_S // step_s + 2)
        self.detector = detector
        self.locator = locator if hydraulics else None
        self.wait_s = int(wait_s)
        self.sample_every_s = int(sample_every_s)
        n_steps = self.duration_s // self.step_s + 1
        n_amr = len(layout.amr_demand) if record_amr else 0
        self.trace = Trace.empty(n_steps, len(self.zone_names), len(layout.pressure), n_amr)
        self._metered_ring = np.full(
            (int(self.zones.window_steps.max()), len(self.zone_names)), np.nan
        )
        self._amr_slot = -1
        self._night = night
        self._night_steps = (night[1] - night[0]) * 3600 // step_s
        self._night_end_offset = (night[1] * 3600 - _seconds_of_day(self.origin)) % DAY_S
        self.pressure_zone = np.array(
            [_zone_index(areas, n) for n in layout.pressure], dtype=np.intp
        )
        self.on_step: Callable[[int], None] | None = None

    # --- feeding -----------------------------------------------------------------------------
    def receive(self, readings: Readings) -> None:
        """A feed sink: place arriving readings on the board."""
        self.board.receive(readings)

    # --- stepping ----------------------------------------------------------------------------
    def process(
        self, env: simpy.Environment, first_s: int = 0
    ) -> Generator[simpy.Event, Any, None]:
        """Step every ``step_s`` from ``first_s`` to ``duration_s``, ``wait_s`` after each slot.

        Start it at ``env.now == first_s``. The model is stepped through the slots before
        ``first_s`` with the model's own demands (its clock must start at 0).
        """
        t = first_s
        self._catch_up(first_s)
        if self.wait_s:
            yield env.timeout(self.wait_s)
        while t <= self.duration_s:
            yield end_of_instant(env, 0)
            self.step(t)
            t += self.step_s
            if t <= self.duration_s:
                yield env.timeout(self.step_s)

    def step(self, t: int) -> None:
        """Process the slot at ``t`` with what has arrived."""
        board, trace = self.board, self.trace
        i = trace.count
        self._fold_amr(t)
        amr = board.slot(t, "amr_demand")
        flows = board.slot(t, "flow")
        levels = board.slot(t, "tank_level")
        consumption = self.zones.update(flows, levels)
        estimate = self.estimator.estimate(t, amr, consumption)
        demands = estimate.demands
        metered = self._windowed_metered(estimate.metered)
        expected_window = estimate.expected - estimate.metered + metered
        trace.times[i] = t
        trace.consumption[i] = consumption
        trace.expected[i] = expected_window
        trace.level[i] = self.estimator.level
        trace.metered[i] = metered
        if trace.amr.shape[1]:
            trace.amr[i] = amr
        pressure = board.slot(t, "pressure")
        trace.pressure_measured[i] = pressure
        if self.model is not None:
            model_state = self.model.step(demands, levels)
            trace.pressure_expected[i] = model_state.pressure
            trace.zone_pressure[i] = model_state.zone_pressure
            trace.converged[i] = model_state.converged
            if self.sample_every_s and t % self.sample_every_s == 0:
                trace.samples.append((t, demands.copy(), levels.copy(), pressure.copy()))
        trace.count = i + 1
        if self.detector is not None:
            residual = (consumption - expected_window) * M3S_TO_M3H
            # an unbalanced step's pressures are no measure of how much a leak flows
            zone_pressure = trace.zone_pressure[i] if trace.converged[i] else None
            self.detector.update(t, residual, pressure - trace.pressure_expected[i], zone_pressure)
            if (t - self._night_end_offset) % DAY_S == 0 and i >= self._night_steps:
                self.detector.update_night(t, self._night_minimum(i))
            if self.locator is not None:
                self._localize(t)
        if self.on_step is not None:
            self.on_step(t)

    def _localize(self, t: int) -> None:
        """Localize the events that are due, from the steps recorded so far."""
        due = self.locator.due(self.detector, t)
        if not due:
            return
        n = self.trace.count
        residual = self.trace.pressure_measured[:n] - self.trace.pressure_expected[:n]
        for event_id in due:
            self.locator.localize(
                event_id,
                t,
                self.detector,
                self.model,
                self.estimator,
                self.trace.times[:n],
                residual,
            )

    def _catch_up(self, first_s: int) -> None:
        """Step the model's engine to ``first_s`` without recording (history-free lead-in)."""
        if self.model is None:
            return
        engine = self.model.engine
        demands = None
        while engine.time_s < first_s:
            demands = self.nominal.at(engine.time_s)
            engine.step(demands)

    def _windowed_metered(self, metered: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Metered consumption averaged over each zone's balance window (as it is measured).

        The zone's unmetered profile was learned from consumption measured over the same
        window, so it is not averaged again.
        """
        ring = self._metered_ring
        ring[self.trace.count % len(ring)] = metered
        out = metered.copy()
        for k, w in enumerate(self.zones.window_steps.tolist()):
            if w > 1:  # the ring is as deep as the longest window: all of it
                out[k] = ring[:, k].mean()
        return out

    def _fold_amr(self, t: int) -> None:
        """Fold into the consumption level every AMR slot that has arrived since the last."""
        if not len(self.layout.amr_demand):
            return
        newest = min(self.board.newest_slot * self.step_s, t)
        s = max(self._amr_slot + self.step_s, newest - DAY_S)
        while s <= newest:
            amr = self.board.slot(s, "amr_demand")
            if np.isfinite(amr).sum() * 2 >= len(amr):
                self.estimator.update_level(s, amr)
                self._amr_slot = s
            s += self.step_s

    def _night_minimum(self, i: int) -> npt.NDArray[np.float64]:
        """Each zone's minimum of the hourly mean consumption over the night just ended, m³/h."""
        night = self.trace.consumption[i - self._night_steps + 1 : i + 1] * M3S_TO_M3H
        window = max(3600 // self.step_s, 1)
        if len(night) < window:
            return np.full(night.shape[1], np.nan)
        kernel = np.ones(window) / window
        means = np.column_stack(
            [np.convolve(night[:, k], kernel, mode="valid") for k in range(night.shape[1])]
        )
        with np.errstate(all="ignore"):
            finite = np.isfinite(means).sum(axis=0) * 2 >= len(means)
            return np.where(
                finite, np.nanmin(np.where(np.isfinite(means), means, np.inf), axis=0), np.nan
            )

    def close(self) -> None:
        if self.model is not None:
            self.model.close()


def _seconds_of_day(origin: pd.Timestamp) -> int:
    return origin.hour * 3600 + origin.minute * 60 + origin.second


def _zone_index(areas: NetworkAreas, node: str) -> int:
    for k, area in enumerate(areas.areas):
        if node in area.junctions or node in area.tanks:
            return k
    return -1
