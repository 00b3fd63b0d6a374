"""Tests of twin.waterloss.night_flow: minimum night flow, night leakage and the NDF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.waterloss.night_flow import (
    legitimate_night_use_m3h,
    minimum_night_flow,
    night_day_factor,
    night_flow_time,
    night_leakage_m3h,
)

STEPS_PER_DAY = 288  # 5-minute readings


def zone_inflow(days: int, night_minimum_m3h: float = 12.0) -> pd.Series:
    """Diurnal 5-minute inflow (m³/h): 40 by day, a V-shaped dip to the minimum at 03:30."""
    t = pd.date_range("2024-03-01", periods=days * STEPS_PER_DAY, freq="5min")
    hour = np.asarray(t.hour + t.minute / 60.0)
    dip = night_minimum_m3h + 4.0 * np.abs(hour - 3.5)
    return pd.Series(np.minimum(dip, 40.0), index=t, name="inflow")


def test_mnf_is_the_night_minimum_of_each_day():
    """Each night's MNF is the flow at the bottom of the dip (1-h average of a V, + 1/6)."""
    mnf = minimum_night_flow(zone_inflow(3))
    # A centred 1-h mean of 12 + 4|h - 3.5| over 13 readings 5 min apart is 12 + 4 * 0.2564 h.
    expected = 12.0 + 4.0 * (2 * sum(range(5, 35, 5)) / 60.0) / 13.0
    assert mnf.index.name == "night"
    assert list(mnf.index) == list(pd.date_range("2024-03-01", periods=3, freq="D"))
    np.testing.assert_allclose(mnf.to_numpy(), expected, rtol=1e-12)


def test_mnf_time_is_when_the_dip_bottoms_out():
    """The time of the minimum is 03:30 each night."""
    at = night_flow_time(zone_inflow(3))
    assert list(at) == list(pd.date_range("2024-03-01 03:30", periods=3, freq="D"))


def test_night_mostly_without_data_is_nan():
    """A night with 3 of its 4 hours missing has no MNF; the nights around it keep theirs."""
    inflow = zone_inflow(3)
    inflow["2024-03-02 00:00":"2024-03-02 03:59"] = np.nan
    mnf, at = minimum_night_flow(inflow), night_flow_time(inflow)
    assert np.isnan(mnf["2024-03-02"]) and pd.isna(at["2024-03-02"])
    assert mnf.notna().sum() == 2


def test_short_gap_keeps_the_night():
    """A one-hour gap away from the minimum leaves the night's MNF unchanged."""
    inflow = zone_inflow(3)
    gappy = inflow.copy()
    gappy["2024-03-02 01:00":"2024-03-02 01:55"] = np.nan
    pd.testing.assert_series_equal(minimum_night_flow(gappy), minimum_night_flow(inflow))


def test_leak_starting_mid_period_raises_mnf_by_its_flow():
    """A 5 m³/h leak appearing on day 2 at noon lifts the MNF by 5 m³/h from night 3 on."""
    inflow = zone_inflow(4)
    leak = pd.Series(np.where(inflow.index >= "2024-03-02 12:00", 5.0, 0.0), index=inflow.index)
    change = minimum_night_flow(inflow + leak) - minimum_night_flow(inflow)
    np.testing.assert_allclose(change.to_numpy(), [0.0, 0.0, 5.0, 5.0], atol=1e-9)


def test_night_window_wrapping_midnight_is_labelled_by_its_end_date():
    """A 23:00-04:00 night is labelled by the morning it ends on."""
    mnf = minimum_night_flow(zone_inflow(3), night=(23, 4))
    # Day 1's 00:00-04:00 is 4 of its 5 hours; day 3's 23:00 starts a night with 1 of 5.
    assert list(mnf.index) == list(pd.date_range("2024-03-01", periods=4, freq="D"))
    assert mnf.iloc[:3].notna().all() and np.isnan(mnf.iloc[3])


def test_timezone_aware_series_keeps_local_hours():
    """Nights are local wall-clock hours on a timezone-aware index."""
    inflow = zone_inflow(2)
    local = inflow.tz_localize("Europe/Athens")
    np.testing.assert_allclose(minimum_night_flow(local), minimum_night_flow(inflow))


def test_mnf_needs_a_datetime_index():
    """A series indexed by step number is refused."""
    with pytest.raises(ValueError, match="DatetimeIndex"):
        minimum_night_flow(pd.Series([1.0, 2.0, 3.0]))


def test_legitimate_night_use_scales_with_connections():
    """2000 connections at 1.7 L/h use 3.4 m³/h at night."""
    assert legitimate_night_use_m3h(2000) == pytest.approx(3.4)
    assert legitimate_night_use_m3h(2000, litres_per_connection_h=2.5) == pytest.approx(5.0)


def test_night_leakage_is_floored_at_zero_and_keeps_nan():
    """Night leakage is MNF minus night use, never negative, NaN for a night without data."""
    mnf = pd.Series([12.0, 2.0, np.nan])
    np.testing.assert_allclose(night_leakage_m3h(mnf, 3.4), [8.6, 0.0, np.nan])
    assert night_leakage_m3h(12.0, 3.4) == pytest.approx(8.6)


def test_ndf_is_24_hours_for_constant_pressure():
    """With the same pressure all day, a day leaks 24 hours' worth of night leakage."""
    t = pd.date_range("2024-03-01", periods=3 * STEPS_PER_DAY, freq="5min")
    ndf = night_day_factor(pd.Series(45.0, index=t), n1=1.0)
    assert ndf.index.name == "day"
    np.testing.assert_allclose(ndf.to_numpy(), 24.0)


def test_ndf_is_below_24_when_daytime_pressure_drops():
    """Pressure 10% lower for 12 h with N1 = 1 cuts the day's leakage to 22.8 night-hours."""
    t = pd.date_range("2024-03-01", periods=STEPS_PER_DAY, freq="5min")
    pressure = pd.Series(np.where((t.hour >= 8) & (t.hour < 20), 45.0, 50.0), index=t)
    assert night_day_factor(pressure, n1=1.0).iloc[0] == pytest.approx(12 + 12 * 0.9)
    assert night_day_factor(pressure, n1=0.5).iloc[0] == pytest.approx(12 + 12 * 0.9**0.5)


def test_ndf_is_nan_without_night_pressure():
    """A day whose night window has no pressure readings has no NDF."""
    t = pd.date_range("2024-03-01", periods=2 * STEPS_PER_DAY, freq="5min")
    pressure = pd.Series(45.0, index=t)
    pressure["2024-03-02 00:00":"2024-03-02 05:00"] = np.nan
    ndf = night_day_factor(pressure)
    assert ndf.iloc[0] == pytest.approx(24.0) and np.isnan(ndf.iloc[1])
