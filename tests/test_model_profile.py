import numpy as np
import pandas as pd
import pytest

from twin.model.profile import WeekProfile

MONDAY = pd.Timestamp("2018-01-01")
STEP = 300


def week_of(values_by_time, days=14, origin=MONDAY):
    t = np.arange(0, days * 86_400, STEP)
    wall = origin + pd.to_timedelta(t, unit="s")
    return t, np.array([values_by_time(w) for w in wall])[:, None]


def test_weekdays_and_weekends_are_learned_apart():
    """A town that uses twice as much on weekends gets two profiles, not their average."""
    t, values = week_of(lambda w: 2.0 if w.day_of_week >= 5 else 1.0)
    profile = WeekProfile.fit(t, values, MONDAY, ["zone"])
    assert profile.at(2 * 86_400 + 12 * 3600)[0] == pytest.approx(1.0)  # Wednesday noon
    assert profile.at(5 * 86_400 + 12 * 3600)[0] == pytest.approx(2.0)  # Saturday noon


def test_a_ramp_is_read_back_where_it_was_measured():
    """Readings stamped every 5 min on a linear ramp are read back exactly at those times:
    the slot's value belongs to the mean time of its readings, not the slot's middle."""
    t, values = week_of(lambda w: w.hour * 3600 + w.minute * 60.0)
    profile = WeekProfile.fit(t, values, MONDAY, ["ramp"])
    for at in (6 * 3600, 6 * 3600 + 300, 14 * 3600 + 600):
        assert profile.at(at)[0] == pytest.approx(at, abs=1e-6)


def test_median_ignores_a_leak_on_a_minority_of_days():
    """A leak running on two of ten weekdays does not move the typical weekday."""
    t, values = week_of(lambda w: 5.0 + (3.0 if w.day in (4, 5) else 0.0))
    profile = WeekProfile.fit(t, values, MONDAY, ["zone"])
    assert profile.at(8 * 86_400 + 3600)[0] == pytest.approx(5.0)


def test_a_profile_is_read_by_a_run_with_another_origin():
    """Learned on a history starting Monday, read by a run starting on a Saturday 06:00."""
    t, values = week_of(lambda w: 2.0 if w.day_of_week >= 5 else 1.0)
    profile = WeekProfile.fit(t, values, MONDAY, ["zone"])
    later = profile.rebased(pd.Timestamp("2018-03-03 06:00"))  # a Saturday
    assert later.at(3600)[0] == pytest.approx(2.0)
    assert later.at(2 * 86_400 + 3600)[0] == pytest.approx(1.0)  # Monday 07:00
    assert later.over(np.array([3600, 2 * 86_400 + 3600])) == pytest.approx(
        np.array([[2.0], [1.0]])
    )


def test_gaps_fall_back_to_the_same_time_of_any_day():
    """Weekend readings all lost: the weekend takes the weekday profile, not NaN."""
    t, values = week_of(lambda w: np.nan if w.day_of_week >= 5 else float(w.hour))
    profile = WeekProfile.fit(t, values, MONDAY, ["zone"])
    assert profile.at(5 * 86_400 + 10 * 3600)[0] == pytest.approx(10.0, abs=0.5)
    assert np.isfinite(profile.by_slot).all()


def test_bad_shapes_and_slots_are_refused():
    with pytest.raises(ValueError, match="must divide a day"):
        WeekProfile.fit(np.arange(3) * STEP, np.ones((3, 1)), MONDAY, ["a"], slot_s=7000)
    with pytest.raises(ValueError, match="one column per series"):
        WeekProfile(["a", "b"], MONDAY, np.ones((672, 1)))
