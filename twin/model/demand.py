"""Demand estimation: the twin's junction demands from what the meters say right now.

Three sources, in the order of trust:

* an AMR/AMI meter on a junction gives that junction's consumption directly;
* the meters together give the town's consumption *level* right now (a hot day, a holiday):
  the ratio of what they read to what the model expects of them, smoothed over hours;
* a zone's measured consumption (inlets minus storage) fixes the zone's total: the demand of
  its junctions without a smart meter is scaled so that the total is matched.

Where a zone's consumption is not measured (no inlet meter, or its readings are missing) the
unmetered junctions get the model's demand times the level and the zone's calibrated
multiplier for that hour of the week. The same expectation, without the measurement, is what
the inflow residual compares the measurement with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from twin.model.consumption import NominalConsumption
from twin.network.areas import NetworkAreas
from twin.week import HOURS_PER_WEEK, week_offset_s

__all__ = ["DemandEstimate", "DemandEstimator"]


class DemandEstimate(NamedTuple):
    """One step's estimate (m³/s).

    Attributes
    ----------
    demands : ndarray, shape (n_junctions,)
        Every junction's demand: metered junctions as read, the others scaled so that each
        zone with a measured consumption consumes it (never below 0).
    expected : ndarray, shape (n_areas,)
        Each zone's expected consumption without its measurement: the metered part as read
        plus the unmetered expectation (model x level x multiplier).
    metered : ndarray, shape (n_areas,)
        Each zone's AMR-metered consumption (a missing reading: the level's expectation).
    unmetered_model : ndarray, shape (n_areas,)
        The model's unmetered demand times the level, before the zone multipliers.
    """

    demands: npt.NDArray[np.float64]
    expected: npt.NDArray[np.float64]
    metered: npt.NDArray[np.float64]
    unmetered_model: npt.NDArray[np.float64]


class DemandEstimator:
    """Estimate every junction's demand at each step from AMR readings and zone consumption.

    Parameters
    ----------
    nominal : NominalConsumption
        The model's expected consumption per junction.
    areas : NetworkAreas
        The network's metering zones.
    amr_junctions : sequence of str
        Junctions with an AMR meter, in the order their readings are given.
    origin : pandas.Timestamp
        Wall-clock time of the run's second 0 (for the hour of the week).
    level_halflife_s : float
        Half-life of the smoothing of the consumption level, s (default 3 h: a day's level
        is found within hours, one noisy step moves it little).
    multipliers : ndarray, shape (n_areas, 168), optional
        Calibrated multiplier of each zone's unmetered demand per hour of the week
        (:mod:`twin.model.calibrate`); default 1.
    """

    def __init__(
        self,
        nominal: NominalConsumption,
        areas: NetworkAreas,
        amr_junctions: Sequence[str],
        origin: pd.Timestamp,
        *,
        level_halflife_s: float = 3 * 3600,
        multipliers: npt.NDArray[np.float64] | None = None,
    ) -> None:
        self.nominal = nominal
        self.areas = areas
        self.origin = pd.Timestamp(origin)
        self._week_offset_s = week_offset_s(self.origin)
        position = {j: i for i, j in enumerate(nominal.junction_ids)}
        unknown = [j for j in amr_junctions if j not in position]
        if unknown:
            raise KeyError(f"AMR meters on nodes that are not junctions: {', '.join(unknown[:10])}")
        self.amr_positions = np.array([position[j] for j in amr_junctions], dtype=np.intp)
        n = len(nominal.junction_ids)
        self.zone_of = np.full(n, -1, dtype=np.intp)
        for k, area in enumerate(areas.areas):
            for j in area.junctions:
                if j in position:
                    self.zone_of[position[j]] = k
        self.metered = np.zeros(n, dtype=bool)
        self.metered[self.amr_positions] = True
        self._amr_zone = self.zone_of[self.amr_positions]
        self._halflife_s = float(level_halflife_s)
        self.level = 1.0
        self._level_t: int | None = None
        n_areas = len(areas.areas)
        self.multipliers = (
            np.ones((n_areas, HOURS_PER_WEEK)) if multipliers is None else np.asarray(multipliers)
        )
        if self.multipliers.shape != (n_areas, HOURS_PER_WEEK):
            raise ValueError(
                f"multipliers must have shape ({n_areas}, {HOURS_PER_WEEK}), "
                f"got {self.multipliers.shape}"
            )

    @property
    def n_areas(self) -> int:
        return len(self.areas.areas)

    def zone_sums(self, values: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_]) -> np.ndarray:
        """Sum of ``values`` over the junctions of each zone where ``mask`` holds."""
        zones = self.zone_of[mask]
        inside = zones >= 0
        return np.bincount(zones[inside], values[mask][inside], minlength=self.n_areas)

    def update_level(self, time_s: int, amr_m3s: npt.NDArray[np.float64]) -> float:
        """Fold the AMR readings of one step into the consumption level; the new level.

        Parameters
        ----------
        time_s : int
            Time of the readings, s since the origin.
        amr_m3s : ndarray, shape (n_amr,)
            Consumption each AMR meter read, m³/s; NaN for a reading that has not arrived.
        """
        expected = self.nominal.at(time_s)[self.amr_positions]
        seen = np.isfinite(amr_m3s)
        if seen.sum() >= max(1, len(amr_m3s) // 2) and expected[seen].sum() > 0:
            ratio = float(amr_m3s[seen].sum() / expected[seen].sum())
            if self._level_t is None:
                self.level = ratio
            else:
                dt = max(time_s - self._level_t, 0)
                keep = 0.5 ** (dt / self._halflife_s)
                self.level = keep * self.level + (1.0 - keep) * ratio
            self._level_t = time_s
        return self.level

    def estimate(
        self,
        time_s: int,
        amr_m3s: npt.NDArray[np.float64],
        zone_consumption_m3s: npt.NDArray[np.float64],
    ) -> DemandEstimate:
        """Junction demands for the hydraulic model, and what each zone is expected to consume.

        Parameters
        ----------
        time_s : int
            The step, s since the origin.
        amr_m3s : ndarray, shape (n_amr,)
            AMR readings of the step, m³/s (NaN: not arrived).
        zone_consumption_m3s : ndarray, shape (n_areas,)
            Each zone's measured consumption (inlets minus storage), m³/s (NaN: unknown).

        Returns
        -------
        DemandEstimate
        """
        model = self.nominal.at(time_s) * self.level
        how = (self._week_offset_s + int(time_s)) // 3600 % HOURS_PER_WEEK
        zone_factor = np.where(self.zone_of >= 0, self.multipliers[self.zone_of, how], 1.0)
        demands = np.where(self.metered, 0.0, model * zone_factor)
        # a meter's reading, or the level's expectation when it has not arrived
        read = np.isfinite(amr_m3s)
        demands[self.amr_positions] = np.where(read, amr_m3s, model[self.amr_positions])
        metered = self.zone_sums(demands, self.metered)
        unmetered = self.zone_sums(demands, ~self.metered)
        expected = metered + unmetered
        target = zone_consumption_m3s - metered
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(
                np.isfinite(target) & (unmetered > 0), np.maximum(target, 0.0) / unmetered, 1.0
            )
        inside = (self.zone_of >= 0) & ~self.metered
        demands[inside] *= scale[self.zone_of[inside]]
        return DemandEstimate(demands, expected, metered, self.zone_sums(model, ~self.metered))
