"""Hour-of-week baselines: what is normal for each series, and residuals standardised by it."""

import numpy as np
import pandas as pd
import pytest

from twin.detect.baseline import HourOfWeekBaseline, hour_of_week

ORIGIN = pd.Timestamp("2018-03-14 13:25")  # a Wednesday afternoon, not on the hour
WEEK = 7 * 86400
STEP = 300


def _weekly(weeks: int, sigma: tuple[float, ...], seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """5-minute series: a level per hour of the week plus normal noise of the given σ each."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, weeks * WEEK, STEP)
    pattern = rng.uniform(30.0, 60.0, size=(168, len(sigma)))  # e.g. pressures in m
    values = pattern[hour_of_week(t, ORIGIN)] + rng.normal(size=(len(t), len(sigma))) * sigma
    return t, values


def test_slot_follows_the_wall_clock_of_the_origin():
    """The hour of the week of a time agrees with the calendar (Monday 00:00 is slot 0)."""
    t = np.arange(0, 3 * WEEK, 1234)
    stamps = ORIGIN + pd.to_timedelta(t, unit="s")
    expected = stamps.day_of_week * 24 + stamps.hour
    np.testing.assert_array_equal(hour_of_week(t, ORIGIN), expected)


def test_weekly_pattern_plus_noise_standardises_to_unit_normal():
    """Fitted on 12 weeks, the next 4 weeks standardise to mean ≈ 0 and σ ≈ 1 per series."""
    # 144 values per slot: the sampling error of the slot medians and MADs inflates σ by 1-5 %
    t, values = _weekly(16, sigma=(0.05, 0.5, 2.0))
    history = t < 12 * WEEK
    base = HourOfWeekBaseline.fit(t[history], values[history], ORIGIN, ["n1", "n2", "p3"])
    z = base.standardize(t[~history], values[~history])
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=0.07)


def test_per_step_call_matches_array_call():
    """Standardising one step at a time gives the same z as a whole block of times."""
    t, values = _weekly(2, sigma=(0.5, 1.0))
    base = HourOfWeekBaseline.fit(t, values, ORIGIN, ["a", "b"])
    block = base.standardize(t[:500], values[:500])
    steps = np.array(
        [base.standardize(int(ti), row) for ti, row in zip(t[:500], values[:500], strict=True)]
    )
    np.testing.assert_array_equal(block, steps)


def test_missing_values_are_ignored_and_stay_missing():
    """NaN in the history does not spoil the fit, and a NaN value gives a NaN z."""
    t, values = _weekly(4, sigma=(0.5,))
    holes = values.copy()
    holes[::3] = np.nan
    clean = HourOfWeekBaseline.fit(t, values, ORIGIN, ["n1"])
    holed = HourOfWeekBaseline.fit(t, holes, ORIGIN, ["n1"])
    np.testing.assert_allclose(holed.location_by_slot, clean.location_by_slot, atol=0.3)
    assert np.isnan(holed.standardize(600, np.array([np.nan]))).all()


def test_thin_slot_falls_back_to_hour_of_day_then_series():
    """A slot with too few values takes its hour of the day; a thin hour takes the series."""
    t = np.arange(0, 2 * WEEK, 3600)  # hourly: two samples per slot
    hod = (hour_of_week(t, ORIGIN) % 24).astype(float)
    values = np.column_stack([hod, np.where(hod == 5, np.nan, hod)])
    base = HourOfWeekBaseline.fit(t, values, ORIGIN, ["a", "b"], min_samples=3)
    frame = base.to_frame()
    assert set(frame.loc[frame.series == "a", "source"]) == {"hour-of-day"}
    at_five = frame[(frame.series == "b") & (frame.hour == 5)]
    assert set(at_five.source) == {"series"}
    assert (frame.loc[frame.series == "a", "location"] == frame.hour[frame.series == "a"]).all()


def test_scale_floor_keeps_quiet_slots_finite():
    """A constant (quantised) series has σ equal to the floor, so z stays finite."""
    t = np.arange(0, 2 * WEEK, STEP)
    base = HourOfWeekBaseline.fit(
        t, np.full((len(t), 2), 4.0), ORIGIN, ["q1", "q2"], scale_floor=[0.1, 0.5]
    )
    np.testing.assert_array_equal(base.scale(0), [0.1, 0.5])
    np.testing.assert_allclose(base.standardize(0, np.array([4.1, 5.0])), [1.0, 2.0])


def test_series_without_data_gives_nan_not_an_error():
    """A meter dead for the whole history is marked 'none' and its z is NaN."""
    t, values = _weekly(1, sigma=(0.5, 0.5))
    values[:, 1] = np.nan
    base = HourOfWeekBaseline.fit(t, values, ORIGIN, ["alive", "dead"])
    z = base.standardize(0, np.array([40.0, 40.0]))
    assert np.isfinite(z[0]) and np.isnan(z[1])
    assert set(base.to_frame().query("series == 'dead'").source) == {"none"}


def test_mismatched_history_is_refused_with_shapes():
    """A values array that does not match times and names is refused with both shapes."""
    t = np.arange(0, 3600, STEP)
    with pytest.raises(ValueError, match=r"\(12, 2\)"):
        HourOfWeekBaseline.fit(t, np.zeros((12, 3)), ORIGIN, ["a", "b"])


def test_to_frame_has_one_row_per_series_and_hour():
    """The report table has 168 rows per series with weekday names and hours."""
    t, values = _weekly(1, sigma=(0.5, 0.5))
    frame = HourOfWeekBaseline.fit(t, values, ORIGIN, ["a", "b"]).to_frame()
    assert len(frame) == 2 * 168
    assert frame.iloc[0][["series", "weekday", "hour"]].tolist() == ["a", "Mon", 0]
    assert frame.iloc[-1][["series", "weekday", "hour"]].tolist() == ["b", "Sun", 23]
