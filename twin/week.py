"""The hour of the week of run times: the period consumption and its residuals repeat with."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["HOURS_PER_WEEK", "hour_of_week", "week_offset_s"]

HOURS_PER_WEEK = 168
"""Hours in a week: slot 0 is Monday 00:00-01:00."""


def week_offset_s(origin: pd.Timestamp) -> int:
    """Seconds from the Monday 00:00 that starts the origin's week to the origin.

    Parameters
    ----------
    origin : pandas.Timestamp
        The run's origin (wall clock; fractions of a second are dropped).

    Returns
    -------
    int
        Offset in seconds, in ``[0, 604800)``.

    Examples
    --------
    >>> week_offset_s(pd.Timestamp("2018-01-02 06:30"))  # a Tuesday
    109800
    """
    ts = pd.Timestamp(origin)
    return ((ts.day_of_week * 24 + ts.hour) * 60 + ts.minute) * 60 + ts.second


def hour_of_week(times_s: npt.ArrayLike, origin: pd.Timestamp) -> npt.NDArray[np.int64]:
    """Hour of the week of each time: 0 is Monday 00:00-01:00, 167 is Sunday 23:00-24:00.

    Parameters
    ----------
    times_s : array_like of int
        Seconds since the run's origin.
    origin : pandas.Timestamp
        The run's origin.

    Returns
    -------
    ndarray of int64, same shape as ``times_s``
        Slot in ``[0, 168)``.

    Examples
    --------
    >>> hour_of_week([0, 3600, 6 * 86400 + 23 * 3600], pd.Timestamp("2018-01-01")).tolist()
    [0, 1, 167]
    """
    times = np.asarray(times_s, dtype=np.int64)
    return (week_offset_s(origin) + times) // 3600 % HOURS_PER_WEEK
