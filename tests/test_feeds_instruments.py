"""Tests of twin.feeds.instruments: what the banks report for a known truth."""

import numpy as np
import pytest

from twin.feeds.faults import Bias, Dropout, Stuck
from twin.feeds.instruments import (
    InstrumentBank,
    amr_meters,
    flow_meters,
    pressure_loggers,
    tank_levels,
)


def _observe_steps(bank, times, values):
    """Feed the bank one true vector per plant step."""
    for t, v in zip(times, values, strict=True):
        bank.observe(t, v)


def test_noise_has_configured_std():
    """Readings of a constant truth scatter around it with the configured std."""
    n = 2000
    bank = InstrumentBank("pressure", [f"n{i}" for i in range(n)], "m", noise_std=0.1, seed=3)
    errors = []
    for t in range(0, 3000, 300):
        bank.observe(t, np.full(n, 50.0))
        errors.append(bank.sample(t + 300).value - 50.0)
    errors = np.concatenate(errors)
    assert errors.std() == pytest.approx(0.1, rel=0.03)
    assert abs(errors.mean()) < 0.005


def test_quantisation_rounds_to_resolution():
    """Without noise, readings are the truth rounded to the nearest multiple of the resolution."""
    truth = np.array([50.004, 50.006, 49.99499, 3.14159])
    bank = InstrumentBank("pressure", ["a", "b", "c", "d"], "m", resolution=0.01)
    bank.observe(0, truth)
    value = bank.sample(300).value
    assert value.tolist() == [50.0, 50.01, 49.99, 3.14]


def test_five_minute_mean_is_mean_of_plant_steps():
    """A logger's 5-minute reading is the mean of the five 60-s plant steps of that period."""
    bank = InstrumentBank("pressure", ["n1", "n4"], "m", period=300)
    steps = np.array([[50.0, 40.0], [51.0, 41.0], [52.0, 39.0], [53.0, 44.0], [54.0, 41.0]])
    _observe_steps(bank, range(0, 300, 60), steps)
    first = bank.sample(300)
    bank.observe(300, [60.0, 60.0])
    second = bank.sample(600)
    np.testing.assert_allclose(first.value, steps.mean(axis=0))
    np.testing.assert_allclose(second.value, [60.0, 60.0])
    assert first.event_time.tolist() == [300, 300]


def test_mean_does_not_depend_on_whether_step_at_t_came_first():
    """Sampling at t before or after the plant's step at t gives the same mean."""
    a = flow_meters(["p227"], noise_std=0.0)
    b = flow_meters(["p227"], noise_std=0.0)
    _observe_steps(a, [0, 60, 120, 180, 240], [[1.0], [2.0], [3.0], [4.0], [5.0]])
    _observe_steps(b, [0, 60, 120, 180, 240], [[1.0], [2.0], [3.0], [4.0], [5.0]])
    a.observe(300, [100.0])
    assert a.sample(300).value == b.sample(300).value == pytest.approx(3.0)


def test_mean_weights_irregular_steps_by_duration():
    """An intermediate plant step (e.g. a tank control) counts for the time it holds."""
    bank = flow_meters(["p227"], noise_std=0.0, resolution=0.0)
    _observe_steps(bank, [0, 240], [[10.0], [40.0]])
    assert bank.sample(300).value[0] == pytest.approx((10.0 * 240 + 40.0 * 60) / 300)


def test_tank_level_reports_instantaneous_value():
    """A tank gauge reports the level at the sample time, not a mean."""
    bank = tank_levels(["T1"], noise_std=0.0)
    _observe_steps(bank, range(0, 360, 60), [[3.0], [3.1], [3.2], [3.3], [3.4], [3.5]])
    assert bank.sample(300).value.tolist() == [3.5]


def test_amr_reports_mean_rate_over_its_period():
    """An AMR meter reports its mean consumption rate (L/h) over the hour."""
    bank = amr_meters(["c1", "c2"], noise_std=0.0)
    half_hour = [[100.0, 0.0], [300.0, 50.0]]
    _observe_steps(bank, [0, 1800], half_hour)
    readings = bank.sample(3600)
    assert readings.value.tolist() == [200.0, 25.0]
    assert readings.unit.tolist() == ["L/h", "L/h"]


def test_amr_register_accumulates_volume_in_m3():
    """A register-read meter counts the cumulative volume in m3 from its start reading."""
    bank = amr_meters(["c1"], register=True, register_start=[12.5])
    bank.observe(0, [1000.0])  # 1000 L/h for two hours = 2 m3
    first = bank.sample(3600)
    second = bank.sample(7200)
    assert (first.value[0], second.value[0]) == (13.5, 14.5)
    assert first.unit[0] == "m3"


def test_order_is_noise_then_faults_then_quantisation():
    """A stuck sensor repeats a quantised value; a bias is applied before rounding."""
    faults = [Stuck("n1", 300, 3301), Bias("n4", 0, 3301, offset=0.004)]
    bank = pressure_loggers(["n1", "n4"], noise_std=0.05, seed=1, faults=faults)
    values = []
    for t in range(0, 3000, 300):
        bank.observe(t, [50.0, 40.0])
        values.append(bank.sample(t + 300).value)
    values = np.array(values)
    assert len(set(values[:, 0])) == 1
    assert len(set(values[:, 1])) > 1
    assert np.allclose(values * 100, np.round(values * 100))


def test_faults_change_only_their_sensor():
    """A fault on one logger leaves the other loggers' readings as they were."""
    clean = pressure_loggers(["n1", "n4"], seed=5)
    faulty = pressure_loggers(["n1", "n4"], seed=5, faults=[Bias("n4", 0, 900, offset=2.0)])
    for bank in (clean, faulty):
        bank.observe(0, [50.0, 40.0])
    a, b = clean.sample(300), faulty.sample(300)
    assert a.value[0] == b.value[0]
    assert b.value[1] - a.value[1] == pytest.approx(2.0)


def test_drop_empty_leaves_out_dropouts():
    """With drop_empty, a sensor in dropout sends no reading at all."""
    bank = pressure_loggers(["n1", "n4"], drop_empty=True, faults=[Dropout("n1", 300, 600)])
    bank.observe(0, [50.0, 40.0])
    first, second = bank.sample(300), bank.sample(600)
    assert first.sensor_id.tolist() == ["n4"]
    assert second.sensor_id.tolist() == ["n1", "n4"]


def test_same_seed_same_readings():
    """Two banks with the same seed report the same bytes; another seed differs."""

    def run(seed):
        bank = pressure_loggers(["n1", "n4", "n31"], seed=seed)
        out = []
        for t in range(0, 3000, 60):
            bank.observe(t, [50.0 + t / 1000, 40.0, 30.0])
            if t % 300 == 0 and t:
                out.append(bank.sample(t).value)
        return np.concatenate(out)

    assert run(9).tobytes() == run(9).tobytes()
    assert run(9).tobytes() != run(10).tobytes()


def test_factories_report_in_utility_units():
    """The factories give the units, kinds and periods a utility's instruments have."""
    banks = [
        pressure_loggers(["n1"]),
        flow_meters(["p227"]),
        tank_levels(["T1"]),
        amr_meters(["c1"]),
    ]
    assert [(b.kind, b.unit, b.period) for b in banks] == [
        ("pressure", "m", 300),
        ("flow", "m3/h", 300),
        ("level", "m", 300),
        ("amr", "L/h", 3600),
    ]


def test_wrong_number_of_values_is_a_clear_error():
    """Observing a vector of the wrong length names the bank and both sizes."""
    bank = pressure_loggers(["n1", "n4"])
    with pytest.raises(ValueError, match="'pressure'.*3 values for 2 sensors"):
        bank.observe(0, [1.0, 2.0, 3.0])


def test_sampling_before_any_observation_is_a_clear_error():
    """A bank sampled before the plant observed anything says so."""
    with pytest.raises(ValueError, match="nothing was observed"):
        pressure_loggers(["n1"]).sample(300)
