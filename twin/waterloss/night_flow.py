"""Minimum night flow: the zone inflow at the quietest hour, and the leakage it reveals.

Between about 01:00 and 05:00 almost nobody uses water, so the inflow of a district metered
area (DMA) is mostly leakage plus a small legitimate night use (toilets, appliances, night
shifts). The minimum night flow (MNF) minus that legitimate use is the night leakage.

Leakage follows pressure (FAVAD, fixed and variable area discharges): a leak's flow is
proportional to ``P**N1``, with ``N1`` between about 0.5 (rigid pipes, fixed-area holes) and
1.5 (plastic pipes whose splits open with pressure); 1.0 is the usual assumption for a mixed
network. Pressure is highest at night, when demand and headloss are lowest, so a day's
leakage is less than 24 times the night leakage: it is the night leakage times the
night-day factor (NDF, hours/day) computed by :func:`night_day_factor`.

Nights are wall-clock hours of the series' index: ``night=(1, 5)`` is [01:00, 05:00). A
window may wrap midnight (``(23, 4)``); a night is labelled by the date its window ends on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "legitimate_night_use_m3h",
    "minimum_night_flow",
    "night_day_factor",
    "night_flow_time",
    "night_leakage_m3h",
]

Night = tuple[int, int]
"""Night window as (first hour, end hour), wall-clock, end excluded: (1, 5) is [01:00, 05:00)."""

_MIN_COVERAGE = 0.5  # a night (or day, or smoothing window) needs half its span in data


def _check_series(series: pd.Series, what: str) -> pd.Series:
    """Float copy of ``series`` sorted by time; ValueError unless on a DatetimeIndex."""
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ValueError(f"{what} needs a DatetimeIndex, got {type(series.index).__name__}")
    if series.index.has_duplicates:
        raise ValueError(f"{what} has duplicate timestamps")
    return series.astype(float).sort_index()


def _window_hours(night: Night) -> float:
    """Length of the night window in hours (wrapping midnight when night[0] > night[1])."""
    first, end = night
    if not (0 <= first <= 23 and 0 <= end <= 23) or first == end:
        raise ValueError(f"night must be two different hours in 0..23, got {night}")
    return float((end - first) % 24)


def _sampling_step(index: pd.DatetimeIndex) -> pd.Timedelta:
    """Typical sampling interval: the median spacing of the timestamps."""
    if len(index) < 2:
        raise ValueError("a series needs at least two timestamps to know its sampling step")
    return pd.Series(index).diff().median()


def _hour_of_day(index: pd.DatetimeIndex) -> np.ndarray:
    """Fractional wall-clock hour of each timestamp (h)."""
    return np.asarray(index.hour + index.minute / 60.0 + index.second / 3600.0)


def _in_night(index: pd.DatetimeIndex, night: Night) -> np.ndarray:
    """True for timestamps inside the night window."""
    hour, (first, end) = _hour_of_day(index), night
    if first < end:
        return (hour >= first) & (hour < end)
    return (hour >= first) | (hour < end)


def _night_label(index: pd.DatetimeIndex, night: Night) -> pd.DatetimeIndex:
    """Midnight of the date each timestamp's night window ends on."""
    # Shifting by (24 - end) h moves the whole window [end - length, end) into one calendar
    # day, the one whose date labels the night.
    return (index + pd.Timedelta(hours=24 - night[1])).normalize()


def _nightly_minima(inflow_m3h: pd.Series, night: Night, smoothing: str) -> pd.DataFrame:
    """Per night: minimum smoothed inflow ``mnf_m3h`` (m³/h) and its time ``at``."""
    inflow = _check_series(inflow_m3h, "inflow_m3h")
    length_h = _window_hours(night)
    step = _sampling_step(inflow.index)
    window = pd.Timedelta(smoothing)
    # Centred and closed at both ends, so the time of the minimum is the middle of the
    # quietest averaging window.
    rolling = inflow.rolling(window, center=True, closed="both")
    smoothed = rolling.mean()
    thin = rolling.count() < _MIN_COVERAGE * max(window / step, 1.0)
    smoothed[thin] = np.nan

    in_night = _in_night(inflow.index, night)
    labels = _night_label(inflow.index, night)[in_night]
    smoothed, raw = smoothed[in_night], inflow[in_night]
    if len(labels):
        nights = pd.date_range(labels.min(), labels.max(), freq="D", name="night")
    else:
        nights = pd.DatetimeIndex([], dtype=labels.dtype, freq="D", name="night")

    covered_h = raw.notna().groupby(labels).sum() * (step / pd.Timedelta(hours=1))
    covered_h = covered_h.reindex(nights, fill_value=0.0)
    result = pd.DataFrame(
        {"mnf_m3h": np.nan, "at": pd.Series(pd.NaT, index=nights, dtype=inflow.index.dtype)},
        index=nights,
    )
    for label, values in smoothed.groupby(labels):
        if covered_h[label] >= _MIN_COVERAGE * length_h and values.notna().any():
            result.loc[label, "mnf_m3h"] = values.min()
            result.loc[label, "at"] = values.idxmin()
    return result


def minimum_night_flow(
    inflow_m3h: pd.Series, night: Night = (1, 5), smoothing: str = "1h"
) -> pd.Series:
    """Minimum night flow of a zone, one value per night.

    The inflow is first averaged over a centred moving window of length ``smoothing`` (so a
    single low reading does not make the minimum), then the minimum of that average is taken
    over the samples whose time lies in the night window.

    Parameters
    ----------
    inflow_m3h : pandas.Series
        Zone inflow (m³/h) on a regular DatetimeIndex (e.g. 5-minute); NaN marks missing
        readings. A moving-average value built from less than half its window is dropped.
    night : tuple of int, default (1, 5)
        Night window (first hour, end hour), wall-clock, end excluded.
    smoothing : str, default "1h"
        Length of the moving average, any pandas Timedelta string.

    Returns
    -------
    pandas.Series
        MNF (m³/h) named ``"mnf_m3h"``, indexed by night (midnight of the date the window
        ends on; index name ``"night"``), one row per night from the first to the last night
        with a timestamp in its window (empty when there is none). A night with less than
        half its window covered by readings is NaN.
        :func:`night_flow_time` gives when each minimum occurred.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.date_range("2024-03-01", periods=2 * 288, freq="5min")
    >>> inflow = pd.Series(30.0, index=t)
    >>> inflow[(t.hour >= 2) & (t.hour < 4)] = 12.0
    >>> minimum_night_flow(inflow)
    night
    2024-03-01    12.0
    2024-03-02    12.0
    Freq: D, Name: mnf_m3h, dtype: float64
    """
    return _nightly_minima(inflow_m3h, night, smoothing)["mnf_m3h"]


def night_flow_time(
    inflow_m3h: pd.Series, night: Night = (1, 5), smoothing: str = "1h"
) -> pd.Series:
    """When each night's minimum flow occurred.

    Parameters
    ----------
    inflow_m3h, night, smoothing
        As for :func:`minimum_night_flow`.

    Returns
    -------
    pandas.Series
        Timestamp (centre of the quietest ``smoothing`` window; the first one on ties) named
        ``"at"``, indexed like :func:`minimum_night_flow`; NaT where the MNF is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> t = pd.date_range("2024-03-01", periods=288, freq="5min")
    >>> hour = t.hour + t.minute / 60
    >>> inflow = pd.Series(10.0 + 2.0 * np.abs(hour - 3.5), index=t)
    >>> night_flow_time(inflow).iloc[0]
    Timestamp('2024-03-01 03:30:00')
    """
    return _nightly_minima(inflow_m3h, night, smoothing)["at"]


def legitimate_night_use_m3h(
    service_connections: int, litres_per_connection_h: float = 1.7
) -> float:
    """Legitimate night use of a zone: the consumption hidden in its minimum night flow.

    Parameters
    ----------
    service_connections : int
        Number of service connections (households, in a residential zone).
    litres_per_connection_h : float, default 1.7
        Night use per connection (L/h); about 1.3-2.5 L/person/h is typical residential,
        so use a larger figure for connections that serve several people, and add large
        night users (industry, hospitals) separately.

    Returns
    -------
    float
        Legitimate night use (m³/h).

    Examples
    --------
    >>> legitimate_night_use_m3h(2000)
    3.4
    """
    if service_connections < 0 or litres_per_connection_h < 0:
        raise ValueError("service connections and night use per connection must be >= 0")
    return service_connections * litres_per_connection_h / 1000.0


def night_leakage_m3h(
    mnf_m3h: float | pd.Series, legitimate_night_use_m3h: float
) -> float | pd.Series:
    """Night leakage: minimum night flow minus legitimate night use, floored at 0.

    Parameters
    ----------
    mnf_m3h : float or pandas.Series
        Minimum night flow (m³/h), one value or one per night.
    legitimate_night_use_m3h : float
        Legitimate night use (m³/h), see :func:`legitimate_night_use_m3h`.

    Returns
    -------
    float or pandas.Series
        Night leakage (m³/h), same shape as ``mnf_m3h``; NaN stays NaN. A floor of 0 means
        the night use estimate is too high for this zone, not that it leaks nothing.

    Examples
    --------
    >>> night_leakage_m3h(12.0, 3.4)
    8.6
    >>> night_leakage_m3h(2.0, 3.4)
    0.0
    """
    leakage = np.maximum(mnf_m3h - legitimate_night_use_m3h, 0.0)
    return leakage if isinstance(leakage, pd.Series) else float(leakage)


def night_day_factor(pressure_m: pd.Series, night: Night = (1, 5), n1: float = 1.0) -> pd.Series:
    """FAVAD night-day factor: the hours of night-rate leakage a day's leakage amounts to.

    ``NDF = sum over the day of (P(t) / P_night)**N1 * dt``, with ``P_night`` the mean
    pressure in the day's night window; the daily leakage (m³/day) is the night leakage
    (m³/h) times the NDF (h/day). It is computed as 24 h times the mean of
    ``(P / P_night)**N1`` over the day's readings, which is the sum above for a complete
    regular record and treats missing readings as representative of the rest of the day.

    Parameters
    ----------
    pressure_m : pandas.Series
        Average zone pressure (m) on a regular DatetimeIndex; NaN marks missing readings.
        Use the average zone point (AZP) or a pressure representative of the leaks.
    night : tuple of int, default (1, 5)
        Night window (first hour, end hour); the day's night is the one ending on that date.
    n1 : float, default 1.0
        FAVAD exponent: leak flow is proportional to ``P**n1`` (0.5 rigid pipes, 1.5
        flexible; 1.0 for a mixed network).

    Returns
    -------
    pandas.Series
        NDF (h/day) named ``"ndf_h_per_day"``, indexed by calendar day (index name
        ``"day"``). NaN for a day with less than half of the day or of its night window
        covered by readings.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.date_range("2024-03-01", periods=288, freq="5min")
    >>> night_day_factor(pd.Series(45.0, index=t))
    day
    2024-03-01    24.0
    Freq: D, Name: ndf_h_per_day, dtype: float64
    """
    pressure = _check_series(pressure_m, "pressure_m")
    length_h = _window_hours(night)
    step_h = _sampling_step(pressure.index) / pd.Timedelta(hours=1)
    days = pressure.index.normalize()
    in_night = _in_night(pressure.index, night)
    night_pressure = pressure[in_night].groupby(_night_label(pressure.index, night)[in_night])
    p_night = night_pressure.mean().reindex(days).to_numpy()
    night_covered_h = night_pressure.count().reindex(days, fill_value=0).to_numpy() * step_h

    ratio = pd.Series((pressure.to_numpy() / p_night) ** n1, index=pressure.index)
    ratio[night_covered_h < _MIN_COVERAGE * length_h] = np.nan
    by_day = ratio.groupby(days)
    day_covered_h = pressure.notna().groupby(days).sum() * step_h
    ndf = 24.0 * by_day.mean()
    ndf[day_covered_h < _MIN_COVERAGE * 24.0] = np.nan
    ndf = ndf.asfreq("D")
    ndf.index.name = "day"
    return ndf.rename("ndf_h_per_day")
