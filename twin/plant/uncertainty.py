"""Parameter uncertainty: the plant's pipes and consumers differ from the utility's model.

A utility's hydraulic model is never the network in the ground: pipe roughness drifts with
age and tuberculation, as-built diameters differ from the drawings, and the customer database
misplaces consumption. The plant draws these differences once per scenario, with a seed, and
keeps what it drew so the evaluation can see the truth the twin has to work without.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
from wntr.network import WaterNetworkModel

__all__ = ["MAX_FRACTION", "PerturbationRecord", "perturb_network"]

MAX_FRACTION = 0.5
"""Upper bound (exclusive) of a perturbation fraction: beyond ±50% a parameter is not
uncertain, it is wrong."""


@dataclass(frozen=True)
class PerturbationRecord:
    """The factors drawn by :func:`perturb_network`: the hidden truth about the parameters.

    Every factor multiplies the nominal value (1.0 = unchanged).

    Attributes
    ----------
    roughness : pandas.Series of float
        Factor on each pipe's roughness coefficient (dimensionless), indexed by pipe id.
    diameter : pandas.Series of float
        Factor on each pipe's internal diameter (dimensionless), indexed by pipe id.
    base_demand : pandas.Series of float
        Factor on each junction's base demand (dimensionless, the same factor for all its
        demand categories), indexed by junction id.
    fractions : tuple of float
        The half-widths ``(roughness, diameter, base_demand)`` the factors were drawn with:
        each factor lies in ``[1 - x, 1 + x]``.
    """

    roughness: pd.Series
    diameter: pd.Series
    base_demand: pd.Series
    fractions: tuple[float, float, float]

    def pipe_factors(self) -> dict[str, dict[str, float]]:
        """The pipe factors as ``HydraulicEngine(pipe_factors=...)`` takes them."""
        return {
            "roughness": self.roughness.to_dict(),
            "diameter": self.diameter.to_dict(),
        }


def _check_fraction(name: str, value: float) -> float:
    """Return ``value`` as float, or raise if it is not a usable perturbation fraction."""
    try:
        fraction = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"perturb_network: {name} must be a number, got {value!r}") from None
    if not 0.0 <= fraction < MAX_FRACTION:
        raise ValueError(
            f"perturb_network: {name}={value!r} is outside [0, {MAX_FRACTION}): it is the "
            f"relative half-width of the factor range (0.10 = up to ±10%, 0 = unchanged)"
        )
    return fraction


def _draw_factors(
    rng: np.random.Generator, fraction: float, index: list[str], name: str
) -> pd.Series:
    """Draw one factor per element uniformly in ``[1 - fraction, 1 + fraction]``."""
    # Always draw, even for fraction 0, so switching one part off does not change the others.
    factors = rng.uniform(1.0 - fraction, 1.0 + fraction, size=len(index))
    return pd.Series(factors, index=pd.Index(index, name="id"), name=name, dtype=float)


def perturb_network(
    wn: WaterNetworkModel,
    *,
    roughness: float = 0.10,
    diameter: float = 0.10,
    base_demand: float = 0.10,
    seed: int | np.random.Generator | None,
    in_place: bool = False,
) -> tuple[WaterNetworkModel, PerturbationRecord]:
    """Return a perturbed copy of a network (or the network itself) and the factors drawn.

    Every pipe's roughness and diameter and every junction's base demand are multiplied by
    its own factor drawn uniformly in ``[1 - x, 1 + x]``, ``x`` being the fraction given for
    that parameter. All demand categories of a junction share its factor, so its consumer mix
    is kept. The input model is not modified.

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
        The nominal network (the utility's model).
    roughness, diameter, base_demand : float, optional
        Relative half-width of each factor's range, in ``[0, 0.5)``; default 0.10 (up to
        ±10%). 0 leaves that parameter unchanged.
    seed : int, numpy.random.Generator or None
        Source of randomness; the same integer seed gives the same perturbed model. ``None``
        draws fresh entropy (not reproducible). Required, so that a scenario never draws
        unseeded by accident.
    in_place : bool, optional
        Perturb ``wn`` itself instead of a deep copy (a copy of L-Town costs 0.4 s; a caller
        that loaded the model for this purpose does not need one).

    Returns
    -------
    perturbed : wntr.network.WaterNetworkModel
        A deep copy of ``wn`` with roughness (the model's roughness unit, e.g. the
        Hazen-Williams C), diameter (m) and base demands (m³/s) multiplied by the factors.
    record : PerturbationRecord
        The factors, indexed by pipe id (roughness, diameter) and junction id (base demand).

    Raises
    ------
    ValueError
        If a fraction is outside ``[0, 0.5)``.
    TypeError
        If a fraction is not a number.

    Examples
    --------
    >>> import wntr
    >>> wn = wntr.network.WaterNetworkModel("networks/Net1.inp")
    >>> truth, record = perturb_network(wn, seed=1)
    >>> bool(record.roughness.between(0.9, 1.1).all())
    True
    >>> truth is wn
    False
    """
    fractions = (
        _check_fraction("roughness", roughness),
        _check_fraction("diameter", diameter),
        _check_fraction("base_demand", base_demand),
    )
    rng = np.random.default_rng(seed)
    pipes = list(wn.pipe_name_list)
    junctions = list(wn.junction_name_list)
    record = PerturbationRecord(
        roughness=_draw_factors(rng, fractions[0], pipes, "roughness_factor"),
        diameter=_draw_factors(rng, fractions[1], pipes, "diameter_factor"),
        base_demand=_draw_factors(rng, fractions[2], junctions, "base_demand_factor"),
        fractions=fractions,
    )
    perturbed = wn if in_place else copy.deepcopy(wn)
    _apply(perturbed, record)
    return perturbed, record


def _apply(wn: WaterNetworkModel, record: PerturbationRecord) -> None:
    """Multiply the model's parameters in place by the recorded factors."""
    for name, pipe in wn.pipes():
        pipe.roughness = pipe.roughness * record.roughness[name]
        pipe.diameter = pipe.diameter * record.diameter[name]
    for name, junction in wn.junctions():
        factor = record.base_demand[name]
        for demand in junction.demand_timeseries_list:
            demand.base_value = demand.base_value * factor
