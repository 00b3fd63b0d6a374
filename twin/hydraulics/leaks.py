"""Leaks as orifices: where they are, how big they grow over time, and how much they lose."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

GRAVITY = 9.81
"""Acceleration of gravity, m/s²."""

DEFAULT_DISCHARGE_COEFFICIENT = 0.75
"""Discharge coefficient of a leak orifice (WNTR's and EPyT-Flow's default)."""

__all__ = [
    "DEFAULT_DISCHARGE_COEFFICIENT",
    "GRAVITY",
    "Leak",
    "LeakProfiles",
    "emitter_coefficients",
    "orifice_outflow",
]


@dataclass(frozen=True)
class Leak:
    """A leak at a junction or part-way along a pipe, with its time profile.

    Parameters
    ----------
    site : str
        Junction id (the leak is at the node) or pipe id (the pipe is split at ``position`` and
        the leak is at the new node).
    diameter_m : float
        Equivalent orifice diameter at full size, m.
    start_s : int
        When the leak starts, s since the run's origin.
    peak_s : int, optional
        Incipient leak: the orifice area grows linearly from 0 at ``start_s`` to full size at
        ``peak_s``. None (default) is an abrupt leak, full size from ``start_s``.
    end_s : int, optional
        Repaired leak: no outflow from ``end_s`` on. None: never repaired in the run.
    position : float
        Where along a pipe site, 0 = its start node, 1 = its end node (ignored at junctions).
    discharge_coefficient : float
        Orifice discharge coefficient Cd (dimensionless).
    leak_id : str, optional
        Name of the leak; also the id of the node added when a pipe is split. Defaults to
        ``"leak_" + site``.
    on : {"auto", "junction", "pipe"}
        What ``site`` names. ``"auto"`` finds out, and refuses an id that is both a junction
        and a pipe (Hanoi has both a junction and a pipe "8").
    """

    site: str
    diameter_m: float
    start_s: int = 0
    peak_s: int | None = None
    end_s: int | None = None
    position: float = 0.5
    discharge_coefficient: float = DEFAULT_DISCHARGE_COEFFICIENT
    leak_id: str = ""
    on: Literal["auto", "junction", "pipe"] = "auto"

    def __post_init__(self) -> None:
        if self.on not in ("auto", "junction", "pipe"):
            raise ValueError(f"leak on={self.on!r}: expected 'auto', 'junction' or 'pipe'")
        if not self.leak_id:
            object.__setattr__(self, "leak_id", f"leak_{self.site}")
        if not self.diameter_m >= 0:
            raise ValueError(
                f"leak {self.leak_id}: diameter_m must be >= 0 m, got {self.diameter_m}"
            )
        if not 0.0 < self.position < 1.0:
            raise ValueError(
                f"leak {self.leak_id}: position along the pipe must be strictly between 0 and 1, "
                f"got {self.position}"
            )
        if self.peak_s is not None and self.peak_s < self.start_s:
            raise ValueError(
                f"leak {self.leak_id}: peak_s ({self.peak_s} s) is before "
                f"start_s ({self.start_s} s)"
            )
        if self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError(
                f"leak {self.leak_id}: end_s ({self.end_s} s) must be after "
                f"start_s ({self.start_s} s)"
            )
        if len(self.leak_id) > 31 or any(c in self.leak_id for c in ' ;"'):
            raise ValueError(
                f"leak id {self.leak_id!r} must have at most 31 characters "
                "and no space, ';' or '\"' "
                "(it becomes an EPANET node id)"
            )

    @property
    def kind(self) -> str:
        """``"incipient"`` when the leak ramps up to a peak, else ``"abrupt"``."""
        return "incipient" if self.peak_s is not None and self.peak_s > self.start_s else "abrupt"

    @property
    def area_m2(self) -> float:
        """Orifice area at full size, m²."""
        return math.pi * self.diameter_m**2 / 4.0

    def resized(self, diameter_m: float) -> Leak:
        """The same leak with another full-size diameter (m)."""
        return replace(self, diameter_m=diameter_m)


class LeakProfiles:
    """The time profiles of a set of leaks, as arrays, for evaluating them step after step.

    Parameters
    ----------
    leaks : sequence of Leak

    Examples
    --------
    >>> profiles = LeakProfiles([Leak("p1", diameter_m=0.02, start_s=0, peak_s=3600)])
    >>> round(float(profiles.at(1800)[0]) / float(profiles.at(3600)[0]), 3)
    0.5
    """

    def __init__(self, leaks: Sequence[Leak]) -> None:
        self._start = np.array([lk.start_s for lk in leaks], dtype=float)
        self._peak = np.array(
            [lk.start_s if lk.peak_s is None else lk.peak_s for lk in leaks], dtype=float
        )
        self._end = np.array([np.inf if lk.end_s is None else lk.end_s for lk in leaks])
        ramp = self._peak - self._start
        self._ramp = np.where(ramp > 0, ramp, 1.0)
        self._ramps = ramp > 0
        self._full = np.array(
            [lk.discharge_coefficient * lk.area_m2 * math.sqrt(2.0 * GRAVITY) for lk in leaks]
        )

    def at(self, time_s: float) -> npt.NDArray[np.float64]:
        """Orifice coefficients ``Cd·A(t)·sqrt(2g)`` at ``time_s``, m³/s per m^0.5.

        0 before a leak starts and from its end on; growing linearly from its start to its
        peak for an incipient leak.
        """
        grown = np.where(self._ramps, (time_s - self._start) / self._ramp, 1.0)
        share = np.clip(grown, 0.0, 1.0) * (time_s >= self._start) * (time_s < self._end)
        return self._full * share


def emitter_coefficients(leaks: Sequence[Leak], time_s: float) -> npt.NDArray[np.float64]:
    """Orifice coefficients ``Cd·A(t)·sqrt(2g)`` of the leaks at one time.

    With it the leak outflow is ``q = coefficient · sqrt(p)`` (q in m³/s, p pressure head in m),
    which is EPANET's emitter law with exponent 0.5. For many times, build one
    :class:`LeakProfiles` and call its ``at``.

    Parameters
    ----------
    leaks : sequence of Leak
    time_s : float
        Time, s since the run's origin.

    Returns
    -------
    ndarray, shape (len(leaks),)
        Coefficients in m³/s per m^0.5; 0 before a leak starts and from its end on.

    Examples
    --------
    >>> leak = Leak("p1", diameter_m=0.02, start_s=0, peak_s=3600)
    >>> c = emitter_coefficients([leak], 1800)
    >>> round(float(c[0]) / float(emitter_coefficients([leak], 3600)[0]), 3)
    0.5
    """
    return LeakProfiles(leaks).at(time_s)


def orifice_outflow(
    coefficient: npt.ArrayLike, pressure_m: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Outflow of an orifice, ``q = coefficient·sqrt(p)`` for p > 0, else 0 (m³/s).

    Parameters
    ----------
    coefficient : array_like
        ``Cd·A·sqrt(2g)``, m³/s per m^0.5 (see :func:`emitter_coefficients`).
    pressure_m : array_like
        Pressure head at the leak, m.

    Examples
    --------
    >>> round(float(orifice_outflow(0.001, 25.0)), 6)
    0.005
    """
    p = np.clip(np.asarray(pressure_m, dtype=float), 0.0, None)
    return np.asarray(coefficient, dtype=float) * np.sqrt(p)
