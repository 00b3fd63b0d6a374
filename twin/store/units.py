"""Units the store accepts: conversion to SI and the values each unit makes physically impossible.

Readings keep the unit the utility reported (bronze); silver converts them to SI. A series in
the store is a sensor id *and* a quantity (its SI unit): at L-Town node ``n1`` a pressure
logger (m) and an AMR meter (L/h, so m3/s) both report under the id ``n1``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["UNITS", "UnitRule", "si_unit_sql", "to_si_sql", "within_limits_sql"]


@dataclass(frozen=True)
class UnitRule:
    """How values in one reported unit become SI, and which values are impossible.

    Attributes
    ----------
    si_unit : str
        The SI unit of the quantity (``"m"``, ``"m3/s"``, ``"m3"``).
    factor : float
        SI value per reported value (m3/h -> m3/s: 1/3600).
    low, high : float
        Smallest and largest physically possible value, in ``si_unit``.
    stuck_check : bool
        Whether an unchanging value is suspicious (not for cumulative registers, which stand
        still whenever nothing is consumed).
    why : str
        Where the limits come from.
    """

    si_unit: str
    factor: float
    low: float
    high: float
    stuck_check: bool
    why: str


_HEAD = (
    -10.33,
    300.0,
    "below -10.33 m is below full vacuum; above 300 m exceeds the rating of any "
    "distribution pipe (PN25 is 255 m)",
)
_FLOW = (
    -10.0,
    10.0,
    "no distribution main carries 10 m3/s (a DN2000 trunk main at 3 m/s carries 9.4 m3/s); "
    "negative flows are reversals and possible",
)
_CONSUMPTION = (
    0.0,
    100_000 / 3.6e6,
    "L/h is what consumption (AMR) meters report: never negative, and 100,000 L/h is beyond "
    "what a service connection can pass",
)

UNITS: dict[str, UnitRule] = {
    "m": UnitRule("m", 1.0, *_HEAD[:2], True, _HEAD[2]),
    "m3/s": UnitRule("m3/s", 1.0, *_FLOW[:2], True, _FLOW[2]),
    "m3/h": UnitRule("m3/s", 1 / 3600, *_FLOW[:2], True, _FLOW[2]),
    "L/s": UnitRule("m3/s", 1e-3, *_FLOW[:2], True, _FLOW[2]),
    "L/h": UnitRule("m3/s", 1 / 3.6e6, *_CONSUMPTION[:2], True, _CONSUMPTION[2]),
    "m3": UnitRule(
        "m3", 1.0, 0.0, 1e9, False, "a cumulative volume register starts at 0 and counts up"
    ),
}
"""Every reported unit the store accepts; a batch with any other unit is rejected."""


def _case(column: str, values: dict[str, str]) -> str:
    """A SQL ``CASE column WHEN unit THEN value ... END`` over the accepted units."""
    whens = " ".join(f"WHEN '{unit}' THEN {value}" for unit, value in values.items())
    return f"(CASE {column} {whens} END)"


def to_si_sql(value: str, unit: str) -> str:
    """SQL expression: ``value`` (reported in the unit in column ``unit``) in SI."""
    return f"({value} * {_case(unit, {u: repr(r.factor) for u, r in UNITS.items()})})"


def si_unit_sql(unit: str) -> str:
    """SQL expression: the SI unit of the reported unit in column ``unit``."""
    return _case(unit, {u: f"'{r.si_unit}'" for u, r in UNITS.items()})


def within_limits_sql(si_value: str, unit: str) -> str:
    """SQL expression: true when an SI value is physically possible for its reported unit."""
    low = _case(unit, {u: repr(r.low) for u, r in UNITS.items()})
    high = _case(unit, {u: repr(r.high) for u, r in UNITS.items()})
    return f"({si_value} BETWEEN {low} AND {high})"
