"""Change detection on standardised residuals: a one-sided CUSUM over many series at once.

Page's cumulative sum (Page 1954, "Continuous inspection schemes", Biometrika 41: 100-115)
accumulates the part of each standardised residual ``z`` beyond a reference value, the
``drift`` ``k``, and raises an alarm when the sum passes the ``threshold`` ``h``. For a fall
of the mean (a leak pulls pressures down)::

    S_t = max(0, S_{t-1} - z_t - k),     alarm when S_t > h

and for a rise (a leak pushes an inlet flow up) ``S_t = max(0, S_{t-1} + z_t - k)``.

How ``k`` and ``h`` trade delay against false alarms is told by the average run length (ARL),
the mean number of steps to an alarm. With ``z`` ~ N(μ, 1) and Δ = μ - k in the watched
direction, Siegmund's approximation (:func:`average_run_length`) is::

    ARL ≈ (exp(-2Δb) + 2Δb - 1) / (2Δ²),   b = h + 1.166

The ARL without change (μ = 0) grows about as exp(2kb): a higher threshold or drift means
rarer false alarms. The ARL after a shift δ grows about linearly in ``h`` (≈ b / (δ - k)):
a higher threshold means a longer delay. ``k`` is best set to half the shift one wants to see
soonest. With the defaults (k = 0.5, h = 8), N(0, 1) residuals give a false alarm every
≈19,100 steps per series (≈66 days at 5-minute steps), and a shift of 1 σ is seen after
≈16 steps (≈80 minutes). Residuals that are correlated in time alarm more often than this.

The time the statistic last left zero is the classical estimate of when the change began;
:meth:`Cusum.change_time` gives it, and a leak event takes it as its estimated start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["Cusum", "average_run_length"]

_NO_CHANGE = np.iinfo(np.int64).min  # start time of a series whose statistic is at zero


def average_run_length(shift: float, drift: float = 0.5, threshold: float = 8.0) -> float:
    """Siegmund's approximation of a one-sided CUSUM's average run length, in steps.

    Parameters
    ----------
    shift : float
        Mean of the standardised residual in the direction the CUSUM watches (σ units):
        0 for the false-alarm ARL, 1 for a shift of one σ.
    drift : float, default 0.5
        The CUSUM's reference value ``k`` (σ units).
    threshold : float, default 8.0
        The CUSUM's alarm threshold ``h`` (σ units).

    Returns
    -------
    float
        Mean number of steps from a zero statistic to an alarm.

    Examples
    --------
    >>> round(average_run_length(0.0))  # steps between false alarms
    19112
    >>> round(average_run_length(1.0), 1)  # steps to see a 1-σ shift
    16.3
    """
    delta = shift - drift
    b = threshold + 1.166
    if abs(delta) < 1e-9:
        return b * b
    return (math.exp(-2.0 * delta * b) + 2.0 * delta * b - 1.0) / (2.0 * delta * delta)


class Cusum:
    """One-sided CUSUM of many series, fed one step at a time.

    Parameters
    ----------
    names : sequence of str
        One name per series, in the order of the ``z`` vectors given to :meth:`update`.
    drift : float or sequence of float, default 0.5
        Reference value ``k`` (σ units): the part of each ``z`` that is ignored; one for all
        series or one per series.
    threshold : float, default 8.0
        Alarm threshold ``h`` (σ units).
    direction : {"down", "up"}, default "down"
        Watch for a fall (``"down"``) or a rise (``"up"``) of the mean of ``z``.

    Attributes
    ----------
    statistic : ndarray of float, shape (n_series,)
        Current CUSUM statistic of each series (σ units, ≥ 0). It keeps evolving while a
        series is in alarm.
    in_alarm : ndarray of bool, shape (n_series,)
        Series that crossed the threshold and were not reset since.

    Examples
    --------
    >>> cusum = Cusum(["n1", "n2"], drift=0.5, threshold=2.0)
    >>> for t, z in [(0, [0.0, 0.0]), (300, [-1.5, 0.2]), (600, [-2.0, -0.1])]:
    ...     alarms = cusum.update(t, np.array(z))
    >>> alarms.tolist(), cusum.statistic.tolist()
    ([True, False], [2.5, 0.0])
    >>> cusum.change_time(0)  # the step at which n1's statistic left zero
    300
    >>> cusum.reset("n1")
    >>> cusum.in_alarm.tolist()
    [False, False]
    """

    def __init__(
        self,
        names: Sequence[str],
        drift: float | Sequence[float] = 0.5,
        threshold: float = 8.0,
        direction: Literal["up", "down"] = "down",
    ) -> None:
        if direction not in ("up", "down"):
            raise ValueError(f"Cusum direction must be 'up' or 'down', got {direction!r}")
        drifts = np.asarray(drift, dtype=np.float64)
        if drifts.ndim > 1 or (drifts.ndim == 1 and len(drifts) != len(names)):
            raise ValueError(f"Cusum drift must be one value or one per series, got {drift}")
        if not np.all(drifts >= 0.0):
            raise ValueError(f"Cusum drift must be ≥ 0 (σ units), got {drift}")
        if not threshold > 0.0:
            raise ValueError(f"Cusum threshold must be > 0 (σ units), got {threshold}")
        self.names = tuple(names)
        self.drift = float(drifts) if drifts.ndim == 0 else drifts.copy()
        self.threshold = float(threshold)
        self.direction = direction
        self._position = {name: i for i, name in enumerate(self.names)}
        if len(self._position) != len(self.names):
            raise ValueError("Cusum names must be unique")
        n = len(self.names)
        self.statistic = np.zeros(n)
        self.in_alarm = np.zeros(n, dtype=bool)
        self._armed = np.full(n, self.threshold)  # the threshold, or +inf while in alarm
        self._start = np.full(n, _NO_CHANGE, dtype=np.int64)  # step each excursion began
        self._alarm_start = np.full(n, _NO_CHANGE, dtype=np.int64)  # frozen at the alarm
        self._next = np.empty(n)  # scratch for the new statistic
        self._mask = np.empty(n, dtype=bool)  # scratch for masks
        self._drift = np.broadcast_to(drifts, (n,)).copy()
        self._zeros = np.zeros(n)
        self._accumulate = np.subtract if direction == "down" else np.add

    def update(self, t_s: int, z: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Add one step of standardised residuals; return the series that alarm now.

        Parameters
        ----------
        t_s : int
            Time of the step, seconds since the run's origin.
        z : ndarray of float, shape (n_series,)
            Standardised residuals (σ units). A NaN leaves its series' statistic unchanged.

        Returns
        -------
        ndarray of bool, shape (n_series,)
            True for each series whose statistic crossed the threshold at this step and that
            was not already in alarm: an alarm is reported once, then the series stays in
            alarm until :meth:`reset`.
        """
        s, new, mask = self.statistic, self._next, self._mask
        if z.shape != s.shape:
            raise ValueError(f"Cusum.update: z has shape {z.shape}; expected {s.shape}")
        # inlined for performance: nine ufuncs into preallocated arrays (array operands, not
        # Python floats, which numpy would convert at every call), no Python loop
        self._accumulate(s, z, out=new)
        np.subtract(new, self._drift, out=new)
        np.maximum(new, self._zeros, out=new)  # NaN stays NaN here ...
        # a series at zero that rises now began its excursion at this step; one that stays at
        # zero gets a start that change_time hides and the next step overwrites
        np.equal(s, self._zeros, out=mask)
        np.putmask(self._start, mask, t_s)
        np.equal(new, new, out=mask)
        np.copyto(s, new, where=mask)  # ... and leaves the statistic as it was
        crossed = np.greater(s, self._armed)
        if np.count_nonzero(crossed):  # rare: bookkeeping of a new alarm
            self.in_alarm |= crossed
            self._armed[crossed] = np.inf
            self._alarm_start[crossed] = self._start[crossed]
        return crossed

    def change_time(self, i: int | str) -> int | None:
        """Estimated start of the change in series ``i`` (index or name), s since origin.

        The time of the step at which the statistic last left zero. While the series is in
        alarm the estimate is frozen at the one that led to the alarm. None when the statistic
        is at zero and the series is not in alarm (no change under way).
        """
        j = self._index(i)
        if self.in_alarm[j]:
            return int(self._alarm_start[j])
        if self.statistic[j] == 0.0 or self._start[j] == _NO_CHANGE:
            return None
        return int(self._start[j])

    def reset(self, i: int | str) -> None:
        """Zero the statistic of series ``i`` (index or name) and clear its alarm."""
        j = self._index(i)
        self.statistic[j] = 0.0
        self.in_alarm[j] = False
        self._armed[j] = self.threshold
        self._start[j] = self._alarm_start[j] = _NO_CHANGE

    def reset_all(self) -> None:
        """Zero every statistic and clear every alarm."""
        self.statistic[:] = 0.0
        self.in_alarm[:] = False
        self._armed[:] = self.threshold
        self._start[:] = self._alarm_start[:] = _NO_CHANGE

    def _index(self, i: int | str) -> int:
        """Position of a series given by index or name, with a clear error."""
        if isinstance(i, str):
            if i not in self._position:
                raise KeyError(f"Cusum has no series {i!r}")
            return self._position[i]
        if not -len(self.names) <= i < len(self.names):
            raise IndexError(f"Cusum has {len(self.names)} series; index {i} is out of range")
        return int(i)
