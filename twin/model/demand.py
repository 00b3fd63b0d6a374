"""Demand estimation: the twin's junction demands from what the meters say right now.

Three sources, in the order of trust:

* an AMR/AMI meter on a junction gives that junction's consumption directly;
* the meters together give the town's consumption *level* right now (a hot day, a holiday):
  the ratio of what they read to what they typically read at this hour of this kind of day
  (their :class:`WeekProfile` from history), smoothed over hours;
* a zone's measured consumption (inlets minus storage) fixes the zone's total: the demand of
  its junctions without a smart meter is scaled so that the total is matched.

Where a zone's consumption is not measured (no inlet meter, or its readings are missing) its
unmetered junctions consume the zone's typical unmetered consumption (its profile from
history) times the level. The same expectation, without the measurement, is what the inflow
residual compares the measurement with. The nominal model's demands only share a zone's
total among its junctions; without history, the model's patterns stand in for the profiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from twin.model.consumption import NominalConsumption
from twin.model.profile import WeekProfile
from twin.network.areas import NetworkAreas

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
        plus the unmetered expectation (typical unmetered consumption x level).
    metered : ndarray, shape (n_areas,)
        Each zone's AMR-metered consumption (a missing reading: its typical value x level).
    """

    demands: npt.NDArray[np.float64]
    expected: npt.NDArray[np.float64]
    metered: npt.NDArray[np.float64]


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
    amr_profile : WeekProfile, optional
        Typical reading of each AMR meter (m³/s, in ``amr_junctions`` order); default: the
        model's demand at the meter's junction.
    zone_profile : WeekProfile, optional
        Typical unmetered consumption of each zone at level 1 (m³/s, in ``areas`` order);
        default: the model's unmetered demand of the zone.
    """

    def __init__(
        self,
        nominal: NominalConsumption,
        areas: NetworkAreas,
        amr_junctions: Sequence[str],
        origin: pd.Timestamp,
        *,
        level_halflife_s: float = 3 * 3600,
        amr_profile: WeekProfile | None = None,
        zone_profile: WeekProfile | None = None,
    ) -> None:
        self.nominal = nominal
        self.areas = areas
        self.origin = pd.Timestamp(origin)
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
        self._halflife_s = float(level_halflife_s)
        self.level = 1.0
        self._level_t: int | None = None
        for what, profile, width in (
            ("amr_profile", amr_profile, len(self.amr_positions)),
            ("zone_profile", zone_profile, len(areas.areas)),
        ):
            if profile is not None and len(profile.names) != width:
                raise ValueError(f"{what} has {len(profile.names)} series, expected {width}")
        self.amr_profile = None if amr_profile is None else amr_profile.rebased(self.origin)
        self.zone_profile = None if zone_profile is None else zone_profile.rebased(self.origin)

    @property
    def n_areas(self) -> int:
        return len(self.areas.areas)

    def zone_sums(self, values: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_]) -> np.ndarray:
        """Sum of ``values`` over the junctions of each zone where ``mask`` holds."""
        zones = self.zone_of[mask]
        inside = zones >= 0
        sums = np.bincount(zones[inside], values[mask][inside], minlength=self.n_areas)
        return sums.astype(np.float64, copy=False)  # bincount of nothing gives integers

    def update_level(self, time_s: int, amr_m3s: npt.NDArray[np.float64]) -> float:
        """Fold the AMR readings of one step into the consumption level; the new level.

        Parameters
        ----------
        time_s : int
            Time of the readings, s since the origin.
        amr_m3s : ndarray, shape (n_amr,)
            Consumption each AMR meter read, m³/s; NaN for a reading that has not arrived.
        """
        expected = self._typical_amr(time_s)
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
        model = self.nominal.at(time_s)
        demands = np.where(self.metered, 0.0, model)
        # a meter's reading, or its typical reading times the level when it has not arrived
        read = np.isfinite(amr_m3s)
        typical = self._typical_amr(time_s, model)
        demands[self.amr_positions] = np.where(read, amr_m3s, typical * self.level)
        metered = self.zone_sums(demands, self.metered)
        model_unmetered = self.zone_sums(model, ~self.metered)
        typical_unmetered = model_unmetered
        if self.zone_profile is not None:
            typical_unmetered = self.zone_profile.at(time_s)
            typical_unmetered = np.where(
                np.isfinite(typical_unmetered), typical_unmetered, model_unmetered
            )
        expected_unmetered = typical_unmetered * self.level
        target = np.where(
            np.isfinite(zone_consumption_m3s), zone_consumption_m3s - metered, expected_unmetered
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(model_unmetered > 0, np.maximum(target, 0.0) / model_unmetered, 1.0)
        inside = (self.zone_of >= 0) & ~self.metered
        demands[inside] *= scale[self.zone_of[inside]]
        outside = (self.zone_of < 0) & ~self.metered
        demands[outside] *= self.level
        return DemandEstimate(demands, metered + expected_unmetered, metered)

    def _typical_amr(
        self, time_s: int, model: npt.NDArray[np.float64] | None = None
    ) -> npt.NDArray[np.float64]:
        """Each AMR meter's typical reading at ``time_s`` (level 1), m³/s."""
        if model is None:
            model = self.nominal.at(time_s)
        if self.amr_profile is None:
            return model[self.amr_positions]
        typical = self.amr_profile.at(time_s)  # NaN: a meter silent through the history
        return np.where(np.isfinite(typical), typical, model[self.amr_positions])
