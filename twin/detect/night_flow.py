"""Minimum night flow (MNF) analysis: a leak shows as a step in each area's night minimum.

At night legitimate use is lowest and most stable, so the lowest flow into an area (its
minimum night flow) is mostly leakage plus a little night use. A new leak raises the MNF by
its flow, night after night. :func:`nightly_minimum` turns inflows into one MNF per night;
:class:`NightFlowDetector` compares each new night with the robust spread of the nights the
utility accepted as normal, and remembers the leaks the caller already knows about so that a
known leak neither alarms again nor becomes part of "normal".

Wall-clock nights come from the run's one origin timestamp (clock changes are not followed).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from twin.detect.baseline import MAD_TO_SIGMA

__all__ = ["NightFlowDetector", "nightly_minimum"]

SECONDS_PER_DAY = 86_400


def nightly_minimum(
    times_s: npt.ArrayLike,
    inflow_m3h: npt.ArrayLike,
    origin: pd.Timestamp,
    night: tuple[int, int] = (1, 5),
    window_steps: int = 1,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Minimum night flow of each area for each night the times cover completely.

    Parameters
    ----------
    times_s : array_like of int, shape (n_steps,)
        Sample times, seconds since ``origin``, increasing, on a regular grid.
    inflow_m3h : array_like of float, shape (n_steps, n_areas)
        Net inflow of each area (m³/h). NaN is a missing sample.
    origin : pandas.Timestamp
        The run's origin.
    night : tuple of int, default (1, 5)
        Start and end hour of the night window (wall clock, end excluded); ``(23, 4)``
        spans midnight and belongs to the day it ends on.
    window_steps : int, default 1
        Length of the moving average, in samples, whose minimum within the night is the MNF
        (12 with 5-minute samples: the lowest hourly mean). Windows never reach outside the
        night; a window with a missing sample is skipped.

    Returns
    -------
    night_end_s : ndarray of int64, shape (n_nights,)
        End of each night window, seconds since ``origin``.
    mnf_m3h : ndarray of float, shape (n_nights, n_areas)
        Minimum night flow (m³/h); NaN where no window of the night was complete.

    Examples
    --------
    >>> t = np.arange(0, 2 * 86400, 3600)  # two days, hourly, from midnight
    >>> q = (10.0 + (t % 86400 / 3600 - 3.0) ** 2)[:, None]  # lowest at 03:00
    >>> ends, mnf = nightly_minimum(t, q, pd.Timestamp("2018-01-01"), window_steps=2)
    >>> ends.tolist(), mnf.ravel().tolist()
    ([18000, 104400], [10.5, 10.5])
    """
    times = np.asarray(times_s, dtype=np.int64)
    flows = np.asarray(inflow_m3h, dtype=np.float64)
    night_end_s, length_s = _night_window(night)
    if flows.ndim != 2 or flows.shape[0] != len(times):
        raise ValueError(
            f"inflow_m3h has shape {flows.shape}; expected ({len(times)}, n_areas): one row "
            "per time"
        )
    if window_steps < 1:
        raise ValueError(f"window_steps must be at least 1, got {window_steps}")
    n_areas = flows.shape[1]
    if len(times) < 2:
        return np.empty(0, dtype=np.int64), np.empty((0, n_areas))
    if np.any(np.diff(times) <= 0):
        raise ValueError("times_s must be strictly increasing")

    midnight = pd.Timestamp(origin).normalize()
    origin_s = int((pd.Timestamp(origin) - midnight).total_seconds())
    wall = origin_s + times  # seconds since the origin's midnight
    night_of = (wall - night_end_s) // SECONDS_PER_DAY + 1  # the night each sample ends in
    ends = night_of * SECONDS_PER_DAY + night_end_s
    inside = ends - wall <= length_s

    step = int(np.min(np.diff(times)))
    first, last = wall[0], wall[-1] + step
    nights = np.unique(night_of[inside])
    ends_wall = nights * SECONDS_PER_DAY + night_end_s
    complete = (ends_wall - length_s >= first) & (ends_wall <= last)
    nights, ends_wall = nights[complete], ends_wall[complete]

    mnf = np.full((len(nights), n_areas), np.nan)
    for row, d in enumerate(nights):
        block = flows[inside & (night_of == d)]
        if len(block) < window_steps:
            continue
        windows = np.lib.stride_tricks.sliding_window_view(block, window_steps, axis=0)
        means = windows.mean(axis=-1)  # NaN for a window with a missing sample
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an area with no full window
            mnf[row] = np.nanmin(means, axis=0)
    return (ends_wall - origin_s).astype(np.int64), mnf


class NightFlowDetector:
    """Alarm when an area's minimum night flow rises above its recent normal nights.

    A night alarms when its MNF, minus the leak flow the caller already knows in the area,
    exceeds the median of the previous accepted nights by more than
    ``max(k · 1.4826 · MAD, min_excess_m3h)``.

    Parameters
    ----------
    areas : sequence of str
        One name per area (DMA), in the order of the vectors given to :meth:`update`.
    night : tuple of int, default (1, 5)
        The night window (wall-clock hours) the MNF values come from; kept for the caller.
    k : float, default 4.0
        How many robust σ of the normal nights a night must exceed the median by.
    min_excess_m3h : float, default 1.0
        Smallest excess that alarms (m³/h), so a very steady area does not alarm on noise.
    history_nights : int, default 28
        How many accepted nights make the baseline (older ones are forgotten).
    min_nights : int, default 3
        Fewest accepted nights before an area can alarm.

    Attributes
    ----------
    baseline_m3h : ndarray of float, shape (n_areas,)
        Median of the accepted nights (m³/h), NaN until ``min_nights`` are known.
    margin_m3h : ndarray of float, shape (n_areas,)
        The excess above the baseline that alarms (m³/h).
    excess_m3h : ndarray of float, shape (n_areas,)
        Last night's MNF minus known leaks minus the baseline it was compared with (m³/h).
    known_leak_m3h : ndarray of float, shape (n_areas,)
        Leak flow the caller told the detector it knows about (m³/h), see :meth:`accept`.
    in_alarm : ndarray of bool, shape (n_areas,)
        Areas that alarmed and were not acknowledged; their nights do not join the baseline.

    Examples
    --------
    >>> detector = NightFlowDetector(["DMA-A"], min_excess_m3h=1.0)
    >>> detector.prime(np.array([[10.0], [10.2], [9.8], [10.1], [9.9]]))
    >>> detector.baseline_m3h.tolist()
    [10.0]
    >>> detector.update(86400, np.array([13.0])).tolist()  # a 3 m³/h leak appears
    [True]
    >>> detector.accept("DMA-A", 3.0)  # the twin now believes in that leak
    >>> detector.acknowledge("DMA-A")
    >>> detector.update(2 * 86400, np.array([13.1])).tolist()
    [False]
    """

    def __init__(
        self,
        areas: Sequence[str],
        night: tuple[int, int] = (1, 5),
        k: float = 4.0,
        min_excess_m3h: float = 1.0,
        history_nights: int = 28,
        min_nights: int = 3,
    ) -> None:
        _night_window(night)
        if not k > 0 or not min_excess_m3h >= 0:
            raise ValueError(f"need k > 0 and min_excess_m3h ≥ 0, got {k} and {min_excess_m3h}")
        if not 1 <= min_nights <= history_nights:
            raise ValueError(
                f"need 1 ≤ min_nights ≤ history_nights, got {min_nights} and {history_nights}"
            )
        self.areas = tuple(areas)
        self._position = {area: i for i, area in enumerate(self.areas)}
        if len(self._position) != len(self.areas):
            raise ValueError("NightFlowDetector areas must be unique")
        self.night = night
        self.k = float(k)
        self.min_excess_m3h = float(min_excess_m3h)
        self.min_nights = min_nights
        n = len(self.areas)
        self._history = np.full((history_nights, n), np.nan)  # ring buffer per area
        self._next_row = np.zeros(n, dtype=np.intp)
        self.known_leak_m3h = np.zeros(n)
        self.in_alarm = np.zeros(n, dtype=bool)
        self.excess_m3h = np.full(n, np.nan)
        self.last_night_end_s: int | None = None
        self._refresh()

    def prime(self, mnf_history: npt.ArrayLike) -> None:
        """Accept past nights as normal, oldest first.

        Parameters
        ----------
        mnf_history : array_like of float, shape (n_nights, n_areas)
            Minimum night flows of a history period (m³/h) believed free of unknown leaks,
            e.g. from :func:`nightly_minimum`. NaN nights are skipped.
        """
        history = np.asarray(mnf_history, dtype=np.float64)
        if history.ndim != 2 or history.shape[1] != len(self.areas):
            raise ValueError(
                f"mnf_history has shape {history.shape}; expected (n_nights, {len(self.areas)})"
            )
        for night in history:
            self._append(night, np.isfinite(night))
        self._refresh()

    def update(self, night_end_s: int, mnf_m3h: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Compare one night with the baseline; return the areas that alarm now.

        Parameters
        ----------
        night_end_s : int
            End of the night window, seconds since the run's origin; increasing from call
            to call.
        mnf_m3h : array_like of float, shape (n_areas,)
            The night's minimum night flow of each area (m³/h); NaN for no value.

        Returns
        -------
        ndarray of bool, shape (n_areas,)
            True for each area whose night is above its baseline by more than its margin and
            that was not already in alarm (an alarm is reported once, until
            :meth:`acknowledge`).
        """
        mnf = np.asarray(mnf_m3h, dtype=np.float64)
        if mnf.shape != (len(self.areas),):
            raise ValueError(f"mnf_m3h has shape {mnf.shape}; expected ({len(self.areas)},)")
        if self.last_night_end_s is not None and night_end_s <= self.last_night_end_s:
            raise ValueError(
                f"night ending at {night_end_s} s comes after the night ending at "
                f"{self.last_night_end_s} s: nights must be given in order, once each"
            )
        self.last_night_end_s = int(night_end_s)
        background = mnf - self.known_leak_m3h
        self.excess_m3h = background - self.baseline_m3h
        above = self.excess_m3h > self.margin_m3h  # False for NaN
        new = above & ~self.in_alarm
        self.in_alarm |= above
        # a leak must not become normal: alarmed areas keep their baseline as it was
        self._append(background, np.isfinite(background) & ~self.in_alarm)
        self._refresh()
        return new

    def accept(self, i: int | str, leak_m3h: float) -> None:
        """Tell the detector the total leak flow now known in area ``i`` (index or name).

        Later nights of the area are compared after subtracting ``leak_m3h`` (m³/h), which
        replaces any earlier value; pass 0 after the repair. The alarm is left as it is:
        clear it with :meth:`acknowledge`.
        """
        if not np.isfinite(leak_m3h) or leak_m3h < 0:
            raise ValueError(f"known leak flow must be finite and ≥ 0 m³/h, got {leak_m3h}")
        self.known_leak_m3h[self._index(i)] = leak_m3h

    def acknowledge(self, i: int | str) -> None:
        """Clear the alarm of area ``i`` (index or name); its nights join the baseline again."""
        self.in_alarm[self._index(i)] = False

    def _append(self, nights: npt.NDArray[np.float64], accepted: npt.NDArray[np.bool_]) -> None:
        """Write one night into the ring buffer of each accepted area."""
        columns = np.flatnonzero(accepted)
        rows = self._next_row[columns]
        self._history[rows, columns] = nights[columns]
        self._next_row[columns] = (rows + 1) % len(self._history)

    def _refresh(self) -> None:
        """Recompute the baseline and margin from the ring buffer."""
        enough = np.isfinite(self._history).sum(axis=0) >= self.min_nights
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # areas with no accepted night
            median = np.nanmedian(self._history, axis=0)
            sigma = MAD_TO_SIGMA * np.nanmedian(np.abs(self._history - median), axis=0)
        self.baseline_m3h = np.where(enough, median, np.nan)
        self.margin_m3h = np.where(enough, np.maximum(self.k * sigma, self.min_excess_m3h), np.nan)

    def _index(self, i: int | str) -> int:
        """Position of an area given by index or name, with a clear error."""
        if isinstance(i, str):
            if i not in self._position:
                raise KeyError(f"NightFlowDetector has no area {i!r}")
            return self._position[i]
        if not -len(self.areas) <= i < len(self.areas):
            raise IndexError(f"NightFlowDetector has {len(self.areas)} areas; index {i} is out")
        return int(i)


def _night_window(night: tuple[int, int]) -> tuple[int, int]:
    """End (s after midnight) and length (s) of a night window given as (start, end) hours."""
    start, end = night
    if not (0 <= start <= 24 and 0 <= end <= 24) or (end - start) % 24 == 0:
        raise ValueError(
            f"night must be (start hour, end hour) in 0-24 with start != end, got {night}"
        )
    return end % 24 * 3600, (end - start) % 24 * 3600
