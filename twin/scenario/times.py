"""Scenario times: absolute timestamps or offsets from the start of the watch."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

__all__ = ["OFFSET", "TIME_HELP", "normalise_time", "time_seconds"]

OFFSET = re.compile(r"^([+-])((?:\d+(?:\.\d+)?(?:d|h|min))+)$")
"""An offset from the start of the watch (spaces removed): sign, then amounts with units."""
_PART = re.compile(r"(\d+(?:\.\d+)?)(d|h|min)")
_UNIT_S = {"d": 86_400, "h": 3_600, "min": 60}
TIME_HELP = (
    'a timestamp ("2018-03-01 02:00") or an offset from the watch start ("+26h", "+2d 9h", '
    '"+90min", "-2d")'
)


def normalise_time(value: object) -> str:
    """The canonical text of a scenario time, or ValueError saying what is allowed.

    Examples
    --------
    >>> normalise_time("+ 26h"), normalise_time("+2d 9h"), normalise_time("2018-03-01 2:00")
    ('+26h', '+2d 9h', '2018-03-01 02:00:00')
    """
    if isinstance(value, dt.datetime | dt.date):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    if not isinstance(value, str):
        raise ValueError(f"expected {TIME_HELP}")
    text = value.strip()
    offset = OFFSET.match(text.replace(" ", ""))
    if offset:
        sign, amounts = offset.groups()
        return sign + " ".join(f"{float(n):g}{u}" for n, u in _PART.findall(amounts))
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"expected {TIME_HELP}") from None
    if stamp is pd.NaT or stamp.tzinfo is not None:
        raise ValueError(f"expected {TIME_HELP} (local time, no time zone)")
    return stamp.strftime("%Y-%m-%d %H:%M:%S")


def time_seconds(text: str, origin: pd.Timestamp, watch_start_s: int) -> int:
    """Seconds since the run's origin of a normalised scenario time (rounded to 1 s).

    Parameters
    ----------
    text : str
        A time from :func:`normalise_time`.
    origin : pandas.Timestamp
        Wall-clock time of the run's second 0 (the first instant of the history).
    watch_start_s : int
        The watch's start, s since ``origin`` (offsets count from it).
    """
    offset = OFFSET.match(text.replace(" ", ""))
    if offset:
        sign, amounts = offset.groups()
        seconds = sum(float(n) * _UNIT_S[u] for n, u in _PART.findall(amounts))
        return watch_start_s + round(seconds if sign == "+" else -seconds)
    return round((pd.Timestamp(text) - origin).total_seconds())
