"""The twin's hydraulic model: the nominal network stepped with estimated demands and tanks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from twin.hydraulics import EngineError, HydraulicEngine
from twin.hydraulics.record import sensor_positions
from twin.network.sensors import SensorLayout

__all__ = ["Expected", "TwinModel"]


@dataclass(frozen=True)
class Expected:
    """What the twin's model expects its instruments to read at one step.

    Attributes
    ----------
    time_s : int
        The step, s since the run's origin.
    pressure : ndarray, shape (n_pressure,)
        Pressure head at each pressure logger of the layout, m (NaN when not converged).
    flow : ndarray, shape (n_flow,)
        Flow through each flow meter of the layout, m³/s (NaN when not converged).
    converged : bool
        False when EPANET did not balance the network: the step is flagged and skipped.
    zone_pressure : ndarray, shape (n_zones,)
        Mean pressure over each zone's junctions, m (for the water balance's UARL).
    """

    time_s: int
    pressure: npt.NDArray[np.float64]
    flow: npt.NDArray[np.float64]
    converged: bool
    zone_pressure: npt.NDArray[np.float64]


class TwinModel:
    """The utility's nominal model stepped in time with the demands the twin estimates.

    Parameters
    ----------
    network : str or Path
        Catalogue name or .inp path of the nominal model.
    layout : SensorLayout
        The instruments whose values the model is asked to expect.
    step_s : int
        The run's step, s.
    duration_s : int
        Last time the run may reach, s.
    pipe_factors : mapping, optional
        Calibrated roughness factors (``HydraulicEngine(pipe_factors=...)``).
    zones : sequence of sequence of str, optional
        Junctions of each metering zone (for :attr:`Expected.zone_pressure`).
    """

    def __init__(
        self,
        network: str | Path,
        layout: SensorLayout,
        *,
        step_s: int,
        duration_s: int,
        pipe_factors: Mapping[str, Mapping[str, float]] | None = None,
        zones: Sequence[Sequence[str]] = (),
    ) -> None:
        self.engine = HydraulicEngine(
            network,
            step_s=step_s,
            duration_s=duration_s,
            demands="arrays",
            pipe_factors=pipe_factors,
        )
        self.layout = layout
        self._positions = sensor_positions(self.engine, layout)
        tanks = {t: i for i, t in enumerate(self.engine.tank_ids)}
        self._gauged = np.array([tanks[t] for t in layout.tank_level], dtype=np.intp)
        self._levels = np.full(len(self.engine.tank_ids), np.nan)
        self.failed_steps: list[int] = []
        node = {n: i for i, n in enumerate(self.engine.node_ids)}
        self._zone_of = np.full(len(self.engine.node_ids), len(zones), dtype=np.intp)
        for k, members in enumerate(zones):
            self._zone_of[[node[j] for j in members if j in node]] = k
        self._n_zones = len(zones)
        counts = np.bincount(self._zone_of, minlength=self._n_zones + 1)[: self._n_zones]
        self._zone_count = np.maximum(counts, 1)
        self.last_state = None
        self.last_demands: npt.NDArray[np.float64] | None = None

    @property
    def junction_ids(self) -> list[str]:
        """The order of the demand vector :meth:`step` takes."""
        return self.engine.junction_ids

    def step(
        self, demands_m3s: npt.NDArray[np.float64], tank_levels_m: npt.NDArray[np.float64]
    ) -> Expected:
        """Solve the next step.

        Parameters
        ----------
        demands_m3s : ndarray, shape (n_junctions,)
            Estimated demand of every junction (``junction_ids`` order), m³/s.
        tank_levels_m : ndarray, shape (n_level_gauges,)
            Measured level of each gauged tank (layout order), m; NaN leaves the model's.

        Returns
        -------
        Expected
            The values at the layout's pressure loggers and flow meters.
        """
        time_s = self.engine.time_s
        if len(self._gauged):
            self._levels[:] = np.nan
            self._levels[self._gauged] = tank_levels_m
            try:
                self.engine.set_tank_levels(self._levels)
            except EngineError:
                pass  # a level outside the tank's range: the model keeps its own level
        state = self.engine.step(demands_m3s)
        self.last_state, self.last_demands = state, np.asarray(demands_m3s, dtype=np.float64)
        if not state.converged:
            self.failed_steps.append(time_s)
            return Expected(
                time_s,
                np.full(len(self._positions["pressure"]), np.nan),
                np.full(len(self._positions["flow"]), np.nan),
                False,
                np.full(self._n_zones, np.nan),
            )
        sums = np.bincount(self._zone_of, state.pressure, minlength=self._n_zones + 1)
        return Expected(
            time_s,
            state.pressure[self._positions["pressure"]],
            state.flow[self._positions["flow"]],
            True,
            sums[: self._n_zones] / self._zone_count,
        )

    def what_if_pressure(self, demands_m3s: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Pressures at the loggers (m) if the present had these junction demands (m³/s)."""
        state = self.engine.what_if(demands_m3s)
        return state.pressure[self._positions["pressure"]]

    def close(self) -> None:
        self.engine.close()
