"""Calibration from a history window: roughness groups.

What the utility does not know, fitted so that the twin's expectations match the history
(the typical week of consumption is learned by :class:`twin.model.profile.WeekProfile`):

* **roughness groups**: one factor per group of pipes of similar diameter (old small mains
  roughen faster than trunk mains), fitted with ``scipy.optimize.least_squares`` so that the
  expected pressures at the loggers match the measured ones at sampled history steps.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import least_squares
from wntr.network import WaterNetworkModel

from twin.hydraulics import HydraulicEngine
from twin.hydraulics.record import sensor_positions
from twin.network.sensors import SensorLayout

__all__ = [
    "HistorySample",
    "RoughnessFit",
    "diameter_groups",
    "fit_roughness",
]


@dataclass(frozen=True)
class HistorySample:
    """One history step kept for roughness calibration (SI)."""

    time_s: int
    demands: npt.NDArray[np.float64]
    tank_levels: npt.NDArray[np.float64]
    pressure: npt.NDArray[np.float64]


@dataclass(frozen=True)
class RoughnessFit:
    """The result of :func:`fit_roughness`.

    Attributes
    ----------
    groups : dict of str to tuple of str
        Pipe ids of each roughness group (named by diameter range, mm).
    factors : dict of str to float
        Fitted factor of each group (1 = as in the model).
    rms_before, rms_after : pandas.Series
        Root-mean-square pressure residual per logger over the samples, m, before and after.
    evaluations : int
        Model runs the fit took.
    """

    groups: dict[str, tuple[str, ...]]
    factors: dict[str, float]
    rms_before: pd.Series
    rms_after: pd.Series
    evaluations: int

    def pipe_factors(self) -> dict[str, dict[str, float]]:
        """As ``HydraulicEngine(pipe_factors=...)`` takes them."""
        return {
            "roughness": {
                pipe: self.factors[name] for name, pipes in self.groups.items() for pipe in pipes
            }
        }


def diameter_groups(wn: WaterNetworkModel, n_groups: int = 3) -> dict[str, tuple[str, ...]]:
    """Split the pipes into ``n_groups`` groups of similar diameter (quantiles of length).

    Examples
    --------
    >>> import wntr
    >>> groups = diameter_groups(wntr.network.WaterNetworkModel("networks/Net3.inp"))
    >>> len(groups)
    3
    """
    pipes = list(wn.pipe_name_list)
    diameters = np.array([wn.get_link(p).diameter for p in pipes]) * 1000.0
    lengths = np.array([wn.get_link(p).length for p in pipes])
    order = np.argsort(diameters, kind="stable")
    cumulative = np.cumsum(lengths[order]) / lengths.sum()
    bins = np.minimum((cumulative * n_groups).astype(int), n_groups - 1)
    groups: dict[str, tuple[str, ...]] = {}
    for g in range(n_groups):
        members = order[bins == g]
        if not len(members):
            continue
        low, high = diameters[members].min(), diameters[members].max()
        groups[f"DN {low:.0f}-{high:.0f} mm"] = tuple(pipes[i] for i in sorted(members))
    return groups


def fit_roughness(
    network: str | Path,
    layout: SensorLayout,
    samples: Sequence[HistorySample],
    groups: dict[str, tuple[str, ...]],
    *,
    bounds: tuple[float, float] = (0.7, 1.3),
    max_evaluations: int = 40,
) -> RoughnessFit:
    """Fit one roughness factor per group to the loggers' pressures at history samples.

    Each evaluation steps a fresh engine through the samples (demands and tank levels as the
    twin estimated them then); the residuals are measured minus expected pressures (NaN
    readings left out). Factors are fitted in log space within ``bounds``.

    Parameters
    ----------
    network : str or Path
        The nominal model.
    layout : SensorLayout
        Its instruments (pressure loggers and level gauges are used).
    samples : sequence of HistorySample
        Evenly spaced history steps (spacing = the engine's step), in time order.
    groups : dict of str to tuple of str
        Pipe groups (e.g. :func:`diameter_groups`).
    bounds : (float, float)
        Smallest and largest factor.
    max_evaluations : int
        Budget of model runs.
    """
    if len(samples) < 2 or not layout.pressure:
        raise ValueError("fit_roughness needs at least two samples and a pressure logger")
    spacing = samples[1].time_s - samples[0].time_s
    names = list(groups)
    measured = np.array([s.pressure for s in samples])
    counter = {"runs": 0}

    def expected(log_factors: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        counter["runs"] += 1
        factors = {
            "roughness": {
                p: float(np.exp(f))
                for name, f in zip(names, log_factors, strict=True)
                for p in groups[name]
            }
        }
        with HydraulicEngine(
            network,
            step_s=spacing,
            duration_s=spacing * len(samples),
            demands="arrays",
            pipe_factors=factors,
        ) as engine:
            where = sensor_positions(engine, layout)
            tanks = {t: i for i, t in enumerate(engine.tank_ids)}
            gauged = [tanks[t] for t in layout.tank_level]
            out = []
            for sample in samples:
                levels = np.full(len(engine.tank_ids), np.nan)
                levels[gauged] = sample.tank_levels
                try:
                    engine.set_tank_levels(levels)
                except Exception:
                    pass
                state = engine.step(sample.demands)
                out.append(state.pressure[where["pressure"]])
        return np.array(out)

    def residuals(log_factors: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        r = measured - expected(log_factors)
        return np.nan_to_num(r, nan=0.0).ravel()

    start = np.zeros(len(names))
    before = measured - expected(start)
    result = least_squares(
        residuals,
        start,
        bounds=(np.log(bounds[0]), np.log(bounds[1])),
        diff_step=0.02,
        max_nfev=max_evaluations,
    )
    after = measured - expected(result.x)
    index = pd.Index(layout.pressure, name="sensor")
    return RoughnessFit(
        groups,
        {name: float(np.exp(f)) for name, f in zip(names, result.x, strict=True)},
        pd.Series(_rms(before), index=index),
        pd.Series(_rms(after), index=index),
        counter["runs"],
    )


def _rms(residual: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Root mean square of each column, NaN left out (NaN for an empty column)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.sqrt(np.nanmean(residual**2, axis=0))
