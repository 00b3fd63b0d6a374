"""What is normal: robust location and scale of each series for each hour of the week.

A residual (measured minus expected) is not zero-mean white noise: a model whose roughness
or demand shape is a little off leaves a bias that repeats with the hour of the day and the
day of the week. :class:`HourOfWeekBaseline` learns, from a history period, the median and
the spread (1.4826 times the median absolute deviation, a normal σ that a few outliers cannot
inflate) of every series in each of the 168 hours of the week, and turns new values into
standardised residuals ``z`` that are about N(0, 1) while nothing changes.

Wall-clock features come from the run's one origin timestamp: the hour of the week of a time
``t`` (s since the origin) is found by integer arithmetic from the origin's weekday and hour,
so the per-step methods cost a few numpy operations. Clock changes (daylight saving) are not
followed: the wall clock is the origin's plus ``t``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from twin.week import HOURS_PER_WEEK, hour_of_week, week_offset_s

__all__ = [
    "HOURS_PER_WEEK",
    "MAD_TO_SIGMA",
    "HourOfWeekBaseline",
    "hour_of_week",
    "week_offset_s",
]

MAD_TO_SIGMA = 1.4826
"""Factor making the median absolute deviation a consistent estimate of a normal σ."""

SOURCES = ("hour-of-week", "hour-of-day", "series", "none")
"""Where a slot's statistics come from, best first (``"none"``: the series has no data)."""

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, eq=False)
class HourOfWeekBaseline:
    """Median and robust σ of each series in each hour of the week.

    Build it with :meth:`fit`; the constructor takes already computed tables (e.g. read back
    from a store).

    Attributes
    ----------
    names : tuple of str
        The series, in the order of the columns of every array.
    origin : pandas.Timestamp
        The run's origin: time 0 of every ``t_s`` given to the methods.
    location_by_slot : ndarray of float, shape (168, n_series)
        Median of each series in each hour of the week, in the series' own unit.
    scale_by_slot : ndarray of float, shape (168, n_series)
        Robust σ (1.4826·MAD, floored), in the series' own unit.
    samples : ndarray of int, shape (168, n_series)
        Number of finite values the slot's statistics were computed from.
    source : ndarray of str, shape (168, n_series)
        ``"hour-of-week"``, ``"hour-of-day"`` or ``"series"``: which fallback was used, or
        ``"none"`` when the whole series has fewer than ``min_samples`` finite values (its
        location and scale are NaN, so its ``z`` is always NaN and a detector ignores it).
    """

    names: tuple[str, ...]
    origin: pd.Timestamp
    location_by_slot: npt.NDArray[np.float64]
    scale_by_slot: npt.NDArray[np.float64]
    samples: npt.NDArray[np.int64]
    source: npt.NDArray[np.str_]
    _offset: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        shape = (HOURS_PER_WEEK, len(self.names))
        for name in ("location_by_slot", "scale_by_slot", "samples", "source"):
            array = np.array(getattr(self, name))  # a private, read-only copy
            if array.shape != shape:
                raise ValueError(
                    f"HourOfWeekBaseline.{name} has shape {array.shape}; expected {shape} "
                    "(168 hours of the week x one column per name)"
                )
            array.flags.writeable = False
            object.__setattr__(self, name, array)
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "origin", pd.Timestamp(self.origin))
        object.__setattr__(self, "_offset", week_offset_s(self.origin))

    @classmethod
    def fit(
        cls,
        times_s: npt.ArrayLike,
        values: npt.ArrayLike,
        origin: pd.Timestamp,
        names: Sequence[str],
        min_samples: int = 3,
        scale_floor: float | npt.ArrayLike = 1e-6,
    ) -> HourOfWeekBaseline:
        """Learn the baseline of each series from a history period.

        Parameters
        ----------
        times_s : array_like of int, shape (n_steps,)
            Time of each row, seconds since ``origin``.
        values : array_like of float, shape (n_steps, n_series)
            The history, one column per series, in the series' own unit. NaN is ignored.
        origin : pandas.Timestamp
            The run's origin.
        names : sequence of str
            Name of each column.
        min_samples : int, default 3
            Fewest finite values a slot needs; a thinner slot takes the statistics of its hour
            of the day (all weekdays), and if that is thin too, of the whole series.
        scale_floor : float or array_like of float, shape (n_series,), default 1e-6
            Smallest σ, per series or for all, in the series' unit. Pass at least the meter's
            resolution: a quiet slot of quantised readings has MAD 0, and one quantum must not
            become an enormous ``z``.

        Returns
        -------
        HourOfWeekBaseline

        Examples
        --------
        >>> t = np.arange(0, 4 * 7 * 86400, 3600)  # four weeks of hourly values
        >>> values = np.column_stack([t % 86400 / 3600, np.full(len(t), 5.0)])
        >>> base = HourOfWeekBaseline.fit(t, values, pd.Timestamp("2018-01-01"), ["p1", "p2"])
        >>> base.location(7 * 3600 + 60).tolist()
        [7.0, 5.0]
        >>> base.scale(0).tolist()  # no spread at all: the floor
        [1e-06, 1e-06]
        """
        times = np.asarray(times_s)
        data = np.asarray(values, dtype=np.float64)
        names = tuple(names)
        _check_history(times, data, names, min_samples)
        floor = np.broadcast_to(np.asarray(scale_floor, dtype=np.float64), (len(names),))
        if not np.all(floor > 0):
            raise ValueError(f"scale_floor must be positive for every series, got {scale_floor}")

        slots = hour_of_week(times, origin)
        by_week = _grouped_stats(data, slots, HOURS_PER_WEEK)
        # slot = 24·weekday + hour, so a slot's hour of the day is slot % 24
        by_day = [
            stat[np.arange(HOURS_PER_WEEK) % 24] for stat in _grouped_stats(data, slots % 24, 24)
        ]
        by_series = _grouped_stats(data, np.zeros(len(slots), dtype=np.int64), 1)

        location, scale, samples = (stat.copy() for stat in by_week)
        source = np.full(location.shape, SOURCES[0], dtype="<U12")
        for name, (loc, sc, n) in zip(SOURCES[1:3], (by_day, by_series), strict=True):
            thin = samples < min_samples
            fallback = thin & (np.broadcast_to(n, thin.shape) >= min_samples)
            location[fallback] = np.broadcast_to(loc, thin.shape)[fallback]
            scale[fallback] = np.broadcast_to(sc, thin.shape)[fallback]
            samples[fallback] = np.broadcast_to(n, thin.shape)[fallback]
            source[fallback] = name
        empty = samples < min_samples
        location[empty], scale[empty], source[empty] = np.nan, np.nan, SOURCES[3]
        return cls(names, origin, location, np.maximum(scale, floor), samples, source)

    def slot(self, t_s: int | npt.NDArray[np.int64]) -> int | npt.NDArray[np.int64]:
        """Hour of the week (0 = Monday 00:00) of a time or an array of times (s)."""
        return (self._offset + t_s) // 3600 % HOURS_PER_WEEK

    def location(self, t_s: int | npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Median of each series at time ``t_s`` (s), shape (n_series,), in the series' unit.

        With an array of times, one row per time: shape (n_times, n_series).
        """
        return self.location_by_slot[(self._offset + t_s) // 3600 % HOURS_PER_WEEK]

    def scale(self, t_s: int | npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Robust σ of each series at time ``t_s`` (s), shape (n_series,), in the series' unit.

        With an array of times, one row per time: shape (n_times, n_series).
        """
        return self.scale_by_slot[(self._offset + t_s) // 3600 % HOURS_PER_WEEK]

    def standardize(
        self, t_s: int | npt.NDArray[np.int64], values: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Standardised residual ``z = (value - median) / σ`` of each series at time ``t_s``.

        Parameters
        ----------
        t_s : int or ndarray of int, shape (n_times,)
            Time, seconds since the origin.
        values : ndarray of float, shape (n_series,) or (n_times, n_series)
            Values in the series' own unit; NaN stays NaN.

        Returns
        -------
        ndarray of float, same shape as ``values``
            Dimensionless; about N(0, 1) while the series behaves as in its history.

        Examples
        --------
        >>> t = np.arange(0, 2 * 7 * 86400, 1800)  # two weeks, half-hourly
        >>> noise = np.tile([-1.0, 1.0], len(t) // 2)[:, None]  # median 0, MAD 1
        >>> base = HourOfWeekBaseline.fit(t, 50.0 + noise, pd.Timestamp("2018-01-01"), ["n1"])
        >>> base.standardize(3600, np.array([51.4826])).round(6).tolist()
        [1.0]
        >>> base.standardize(3600, np.array([np.nan])).tolist()
        [nan]
        """
        # inlined slot arithmetic: this runs once per step for every series
        slot = (self._offset + t_s) // 3600 % HOURS_PER_WEEK
        return (values - self.location_by_slot[slot]) / self.scale_by_slot[slot]

    def to_frame(self) -> pd.DataFrame:
        """The baseline as a long table for reports, one row per series and hour of the week.

        Returns
        -------
        pandas.DataFrame
            Columns ``series``, ``hour_of_week`` (0 = Monday 00:00), ``weekday`` (``"Mon"``...),
            ``hour`` (0-23), ``location`` and ``scale`` (in the series' own unit),
            ``samples`` and ``source``; rows sorted by series, then hour of the week.
        """
        n = len(self.names)
        slots = np.arange(HOURS_PER_WEEK)
        return pd.DataFrame(
            {
                "series": np.repeat(self.names, HOURS_PER_WEEK),
                "hour_of_week": np.tile(slots, n),
                "weekday": np.tile(np.asarray(_WEEKDAYS)[slots // 24], n),
                "hour": np.tile(slots % 24, n),
                "location": self.location_by_slot.T.ravel(),
                "scale": self.scale_by_slot.T.ravel(),
                "samples": self.samples.T.ravel(),
                "source": self.source.T.ravel(),
            }
        )


def _check_history(
    times: npt.NDArray, values: npt.NDArray[np.float64], names: tuple[str, ...], min_samples: int
) -> None:
    """Refuse a history whose shapes disagree, with the shapes in the message."""
    if times.ndim != 1 or not np.issubdtype(times.dtype, np.integer):
        raise ValueError(
            f"times_s must be a 1-D array of integer seconds, got dtype {times.dtype} "
            f"and shape {times.shape}"
        )
    if values.shape != (len(times), len(names)):
        raise ValueError(
            f"values has shape {values.shape}; expected ({len(times)}, {len(names)}): "
            "one row per time and one column per name"
        )
    if min_samples < 1:
        raise ValueError(f"min_samples must be at least 1, got {min_samples}")


def _grouped_stats(
    values: npt.NDArray[np.float64], groups: npt.NDArray[np.int64], n_groups: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Median, 1.4826·MAD and finite count of each column within each group (rows = groups)."""
    n_series = values.shape[1]
    location = np.full((n_groups, n_series), np.nan)
    scale = np.full((n_groups, n_series), np.nan)
    count = np.zeros((n_groups, n_series), dtype=np.int64)
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(n_groups + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, as wanted
        for g in range(n_groups):
            block = values[order[bounds[g] : bounds[g + 1]]]
            if len(block) == 0:
                continue
            count[g] = np.isfinite(block).sum(axis=0)
            location[g] = np.nanmedian(block, axis=0)
            scale[g] = MAD_TO_SIGMA * np.nanmedian(np.abs(block - location[g]), axis=0)
    return location, scale, count
