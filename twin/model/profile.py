"""The typical week of a consumption series, learned from history.

A utility's consumption repeats by time of day and by kind of day: weekdays look alike,
weekends look alike, and the two differ. :class:`WeekProfile` keeps, for every series (an
AMR meter, a zone's unmetered consumption), the median of its history in each quarter hour
of a weekday and of a weekend day, and reads it back at any time by linear interpolation
between slot centres (consumption moves smoothly; steps between slots would show up as
residual, and slots of an hour would cut the top off the morning peak).

Why not the model's own demand patterns: they are a modeller's guess of the week, and their
day-to-day features (a low Friday, a Sunday unlike Saturday) need not be the town's. A week
of history cannot confirm features of single days of the week, but it does give each slot
of a weekday five days of samples and each slot of a weekend day two.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from twin.week import week_offset_s

__all__ = ["WeekProfile", "day_type_slot"]

WEEK_S = 7 * 86_400
WEEKEND_STARTS_S = 5 * 86_400
"""Second of the week where Saturday starts (second 0 is Monday 00:00)."""


def day_type_slot(slot_of_week: npt.ArrayLike, slot_s: int) -> npt.NDArray[np.int64]:
    """Slot of each slot of the week among those of a weekday then those of a weekend day.

    Examples
    --------
    >>> day_type_slot([0, 23, 24, 120, 167], 3600).tolist()  # hours
    [0, 23, 0, 24, 47]
    """
    slot = np.asarray(slot_of_week, dtype=np.int64)
    per_day = 86_400 // slot_s
    return np.where(slot * slot_s >= WEEKEND_STARTS_S, per_day, 0) + slot % per_day


class WeekProfile:
    """Typical value of several series in every slot of the week (weekday/weekend × time).

    Parameters
    ----------
    names : sequence of str
        The series.
    origin : pandas.Timestamp
        Wall-clock time of second 0 of the run that reads the profile.
    by_slot : ndarray, shape (n_slots, n_series)
        Typical value of each series in each slot of the week (at its centre), in the
        series' own unit; slot 0 starts on Monday 00:00.
    centre_s : float, optional
        Where in its slot a slot's value belongs, s from the slot's start (default the
        middle). Readings stamped at 00:00, 00:05 and 00:10 make a quarter-hour slot whose
        median belongs to 00:05, not 00:07:30: on a morning ramp that difference alone is
        a residual of percents.

    Examples
    --------
    >>> t = np.arange(0, 14 * 86400, 300)
    >>> values = (t % 86400 / 3600.0)[:, None]  # the hour of the day
    >>> p = WeekProfile.fit(t, values, pd.Timestamp("2018-01-01"), ["clock"])
    >>> round(float(p.at(6 * 3600)[0]), 2)  # the readings at 05:55, 06:00, 06:05 gave 06:00
    6.0
    """

    def __init__(
        self,
        names: Sequence[str],
        origin: pd.Timestamp,
        by_slot: npt.NDArray[np.float64],
        centre_s: float | None = None,
    ) -> None:
        self.names = list(names)
        self.origin = pd.Timestamp(origin)
        table = np.asarray(by_slot, dtype=np.float64)
        if table.ndim != 2 or table.shape[1] != len(self.names) or WEEK_S % len(table):
            raise ValueError(
                f"WeekProfile: by_slot must have one column per series ({len(self.names)}) "
                f"and a number of rows dividing a week of seconds, got {table.shape}"
            )
        self.by_slot = table
        self.slot_s = WEEK_S // len(table)
        self.centre_s = self.slot_s / 2 if centre_s is None else float(centre_s)
        self._offset_s = week_offset_s(self.origin)

    @classmethod
    def fit(
        cls,
        times_s: npt.ArrayLike,
        values: npt.NDArray[np.float64],
        origin: pd.Timestamp,
        names: Sequence[str],
        *,
        slot_s: int = 900,
    ) -> WeekProfile:
        """Learn the profile from history: the median of each slot of weekdays and weekends.

        Parameters
        ----------
        times_s : array_like of int, shape (n_steps,)
            Times of the values, s since ``origin``.
        values : ndarray, shape (n_steps, n_series)
            The history; NaN where unknown (ignored).
        origin : pandas.Timestamp
            Wall-clock time of the history's second 0.
        names : sequence of str
            The series.
        slot_s : int
            Length of a slot, s; divides a day (default 900: a quarter hour).

        Returns
        -------
        WeekProfile
            On ``origin``. A slot with no value in its day type takes the median of that
            time of day over all days, then the series' median; a series with no value is NaN.
        """
        if slot_s <= 0 or 86_400 % slot_s:
            raise ValueError(f"WeekProfile.fit: slot_s={slot_s!r} must divide a day (86400 s)")
        values = np.asarray(values, dtype=np.float64)
        per_day = 86_400 // slot_s
        since_monday = week_offset_s(origin) + np.asarray(times_s, dtype=np.int64)
        of_week = since_monday // slot_s % (WEEK_S // slot_s)
        typed = day_type_slot(of_week, slot_s)
        by_type = np.full((2 * per_day, values.shape[1]), np.nan)
        by_time = np.full((per_day, values.shape[1]), np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN slot stays NaN
            for key in np.unique(typed).tolist():
                by_type[key] = np.nanmedian(values[typed == key], axis=0)
            for key in np.unique(of_week % per_day).tolist():
                by_time[key] = np.nanmedian(values[of_week % per_day == key], axis=0)
            overall = np.nanmedian(values, axis=0) if len(values) else by_time[0]
        by_type = np.where(np.isnan(by_type), np.tile(by_time, (2, 1)), by_type)
        by_type = np.where(np.isnan(by_type), overall, by_type)
        centre = float(np.mean(since_monday % slot_s)) if len(since_monday) else None
        table = by_type[day_type_slot(np.arange(WEEK_S // slot_s), slot_s)]
        return cls(names, origin, table, centre)

    def rebased(self, origin: pd.Timestamp) -> WeekProfile:
        """The same profile read by a run with another origin."""
        return WeekProfile(self.names, origin, self.by_slot, self.centre_s)

    def at(self, time_s: float) -> npt.NDArray[np.float64]:
        """Typical value of every series at one time, shape (n_series,).

        Linear between the centres of the slots around ``time_s`` (s since the origin);
        wraps from Sunday night to Monday morning.
        """
        position = (self._offset_s + time_s - self.centre_s) / self.slot_s
        before = int(np.floor(position))
        weight = position - before
        table = self.by_slot
        n = len(table)
        return (1.0 - weight) * table[before % n] + weight * table[(before + 1) % n]

    def over(self, times_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """:meth:`at` for many times at once, shape (n_times, n_series)."""
        position = (self._offset_s + np.asarray(times_s, dtype=np.float64) - self.centre_s) / (
            self.slot_s
        )
        before = np.floor(position).astype(np.int64)
        weight = (position - before)[:, None]
        n = len(self.by_slot)
        return (1.0 - weight) * self.by_slot[before % n] + weight * self.by_slot[(before + 1) % n]
