"""CUSUM change detection: rare false alarms on noise, quick detection of a shift, its start."""

import numpy as np
import pytest

from twin.detect.cusum import Cusum, average_run_length

YEAR_STEPS = 105_120  # a year of 5-minute steps
STEP = 300
NAMES = [f"s{i}" for i in range(40)]


def _first_alarms(cusum: Cusum, z: np.ndarray, shift_at: int) -> tuple[np.ndarray, np.ndarray]:
    """Run z (steps x series); reset alarms before ``shift_at``; first later alarm step/start."""
    n = z.shape[1]
    alarm_step = np.full(n, -1)
    start_step = np.full(n, -1)
    for k, row in enumerate(z):
        for i in np.flatnonzero(cusum.update(k * STEP, row)):
            if k < shift_at:
                cusum.reset(int(i))  # a false alarm before the leak: dismissed
            elif alarm_step[i] < 0:
                alarm_step[i], start_step[i] = k, cusum.change_time(int(i)) // STEP
    return alarm_step, start_step


def test_false_alarms_on_noise_match_the_average_run_length():
    """On N(0,1) noise a year gives ≈ 5.5 alarms per series (ARL0 ≈ 19,100 steps), no more."""
    rng = np.random.default_rng(7)
    cusum = Cusum(NAMES)
    alarms = 0
    for k in range(YEAR_STEPS):
        for i in np.flatnonzero(cusum.update(k * STEP, rng.standard_normal(len(NAMES)))):
            alarms += 1
            cusum.reset(int(i))
    expected = len(NAMES) * YEAR_STEPS / average_run_length(0.0)  # ≈ 220, Poisson σ ≈ 15
    assert 0.7 * expected <= alarms <= 1.3 * expected


def test_one_sigma_fall_is_detected_within_a_bounded_delay():
    """A -1 σ shift alarms every series, after ≈ ARL1 (16 steps) on average, at most 60."""
    rng = np.random.default_rng(11)
    z = rng.standard_normal((1000, len(NAMES)))
    z[288:] -= 1.0
    alarm_step, _ = _first_alarms(Cusum(NAMES), z, shift_at=288)
    delay = alarm_step - 288
    assert (alarm_step >= 288).all()
    assert delay.mean() <= 1.25 * average_run_length(1.0)
    assert delay.max() <= 60


def test_change_time_estimates_the_start_of_the_shift():
    """The change time is within 2 steps of the true shift in the median series."""
    rng = np.random.default_rng(13)
    z = rng.standard_normal((1000, len(NAMES)))
    z[288:] -= 1.0
    _, start_step = _first_alarms(Cusum(NAMES), z, shift_at=288)
    error = np.abs(start_step - 288)
    assert np.median(error) <= 2
    assert np.mean(error <= 10) >= 0.8


def test_alarm_is_reported_once_until_reset():
    """A series keeps its alarm without reporting it again; reset re-arms it."""
    cusum = Cusum(["n1"], threshold=2.5)  # z = -2 adds 1.5 per step: crosses at the 2nd
    reports = [bool(cusum.update(k * STEP, np.array([-2.0]))[0]) for k in range(5)]
    assert reports == [False, True, False, False, False]
    assert cusum.in_alarm.tolist() == [True]
    cusum.reset("n1")
    assert cusum.statistic.tolist() == [0.0] and cusum.change_time("n1") is None
    again = [bool(cusum.update(k * STEP, np.array([-2.0]))[0]) for k in range(5, 7)]
    assert again == [False, True]


def test_missing_residual_leaves_statistic_unchanged():
    """A NaN z neither raises nor lowers the statistic of its series."""
    cusum = Cusum(["a", "b"])
    cusum.update(0, np.array([-2.0, -2.0]))
    before = cusum.statistic.copy()
    cusum.update(STEP, np.array([np.nan, 0.0]))
    assert cusum.statistic[0] == before[0]
    assert cusum.statistic[1] == before[1] - 0.5


def test_direction_up_watches_rises():
    """An 'up' CUSUM alarms on a rise of the mean and ignores a fall."""
    cusum = Cusum(["rise", "fall"], threshold=3.0, direction="up")
    for k in range(10):
        cusum.update(k * STEP, np.array([1.5, -1.5]))
    assert cusum.in_alarm.tolist() == [True, False]


def test_change_time_is_frozen_while_in_alarm():
    """After the alarm the start estimate stays put even if the statistic returns to zero."""
    cusum = Cusum(["n1"], threshold=2.0)
    z = [0.0, -2.0, -2.0, 5.0, 5.0, -2.0]
    for k, value in enumerate(z):
        cusum.update(k * STEP, np.array([value]))
    assert cusum.change_time(0) == STEP


def test_reset_all_clears_every_series():
    """reset_all zeroes all statistics and alarms."""
    cusum = Cusum(["a", "b"], threshold=1.0)
    cusum.update(0, np.array([-5.0, -5.0]))
    cusum.reset_all()
    assert cusum.statistic.tolist() == [0.0, 0.0] and not cusum.in_alarm.any()


def test_wrong_width_and_unknown_names_are_refused():
    """A z vector of the wrong length or an unknown series name gives a clear error."""
    cusum = Cusum(["a", "b"])
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        cusum.update(0, np.zeros(3))
    with pytest.raises(KeyError, match="'c'"):
        cusum.reset("c")
