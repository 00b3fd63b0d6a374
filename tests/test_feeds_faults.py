"""Tests of twin.feeds.faults: each sensor fault acts on its sensor in its window only."""

import numpy as np
import pytest

from twin.feeds.faults import (
    Bias,
    Drift,
    Dropout,
    FaultRates,
    Spikes,
    Stuck,
    draw_faults,
)
from twin.feeds.instruments import InstrumentBank

DAY = 86_400
IDS = ["n1", "n4", "n31"]


def _run(fault, times, truth=(50.0, 40.0, 30.0)):
    """Apply an attached fault at each time to a fresh copy of ``truth``; rows are times."""
    fault.attach(IDS, period=300)
    out = []
    for t in times:
        out.append(fault.apply(t, np.array(truth, dtype=float)))
    return np.array(out)


def test_dropout_is_nan_inside_window_only():
    """A dropout empties the sensor's readings in [start, end) and nowhere else."""
    values = _run(Dropout("n4", 600, 1200), [300, 600, 900, 1200])
    assert np.isnan(values[1:3, 1]).all()
    assert values[0, 1] == 40.0 and values[3, 1] == 40.0
    assert not np.isnan(values[:, [0, 2]]).any()


def test_stuck_repeats_value_at_fault_start():
    """A stuck sensor repeats the value it had at the fault's first sample."""
    fault = Stuck("n1", 600, 1500)
    fault.attach(IDS, period=300)
    seen = [fault.apply(t, np.array([t / 10, 0.0, 0.0]))[0] for t in range(0, 1800, 300)]
    assert seen == [0.0, 30.0, 60.0, 60.0, 60.0, 150.0]


def test_stuck_forgets_frozen_value_when_reattached():
    """Re-attaching a stuck fault (a new run) freezes at the new run's value."""
    fault = Stuck("n1", 0, 900)
    first = _run(fault, [0, 300], truth=(1.0, 0.0, 0.0))
    second = _run(fault, [0, 300], truth=(2.0, 0.0, 0.0))
    assert first[:, 0].tolist() == [1.0, 1.0]
    assert second[:, 0].tolist() == [2.0, 2.0]


def test_drift_grows_linearly_in_units_per_day():
    """A drift of 0.2 m/day adds 0.1 m after half a day and 0.4 m after two days."""
    fault = Drift("n31", DAY, 4 * DAY, rate_per_day=0.2)
    values = _run(fault, [DAY - 300, DAY, DAY + DAY // 2, 3 * DAY, 4 * DAY])
    np.testing.assert_allclose(values[:, 2] - 30.0, [0.0, 0.0, 0.1, 0.4, 0.0], atol=1e-12)


def test_bias_adds_constant_offset_in_window():
    """A bias shifts only the faulty sensor by the offset, only in its window."""
    values = _run(Bias("n1", 300, 900, offset=-1.5), [0, 300, 600, 900])
    assert values[:, 0].tolist() == [50.0, 48.5, 48.5, 50.0]
    assert (values[:, 1:] == [40.0, 30.0]).all()


def test_spikes_have_configured_size_and_rate():
    """Spikes are +-size and about rate_per_day of them happen per day."""
    days = 200
    fault = Spikes("n4", 0, days * DAY, rate_per_day=10.0, size=3.0, seed=7)
    values = _run(fault, range(0, days * DAY, 300))[:, 1]
    off = values - 40.0
    assert set(np.unique(off)) <= {-3.0, 0.0, 3.0}
    # Poisson with mean 10/day per 288 samples: P(>=1 spike per sample) * samples per day.
    expected = (1 - np.exp(-10.0 / 288)) * 288
    assert np.count_nonzero(off) / days == pytest.approx(expected, rel=0.05)


def test_spikes_are_reproducible_with_seed():
    """The same seed gives the same spikes; another seed gives others."""
    times = range(0, 5 * DAY, 300)
    a = _run(Spikes("n1", 0, 5 * DAY, rate_per_day=20, size=1, seed=3), times)
    b = _run(Spikes("n1", 0, 5 * DAY, rate_per_day=20, size=1, seed=3), times)
    c = _run(Spikes("n1", 0, 5 * DAY, rate_per_day=20, size=1, seed=4), times)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_fault_on_unknown_sensor_is_a_clear_error():
    """A fault naming a sensor the bank does not have is refused, naming the sensor."""
    with pytest.raises(ValueError, match="'n999'"):
        InstrumentBank("pressure", IDS, "m", faults=[Bias("n999", 0, 10, offset=1.0)])


def test_fault_with_empty_window_is_refused():
    """A fault that ends before it starts is refused."""
    with pytest.raises(ValueError, match="end"):
        Dropout("n1", 600, 600)


def test_draw_faults_is_reproducible_and_inside_horizon():
    """Drawn faults depend only on the seed and lie inside the horizon, on the bank's sensors."""
    rates = FaultRates.all_on(per_year=6.0, size=0.5)
    a = draw_faults(IDS, DAY, 91 * DAY, rates, seed=11)
    b = draw_faults(IDS, DAY, 91 * DAY, rates, seed=11)
    assert a == b
    assert a != draw_faults(IDS, DAY, 91 * DAY, rates, seed=12)
    assert all(DAY <= f.start < f.end <= 91 * DAY for f in a)
    assert {f.sensor_id for f in a} <= set(IDS)


def test_draw_faults_follows_rates():
    """Over many sensor-years the number of faults of a kind matches its rate; zero means none."""
    ids = [f"m{i}" for i in range(100)]
    faults = draw_faults(ids, 0, 365 * DAY, FaultRates(bias=2.0, bias_size=0.3), seed=5)
    assert all(isinstance(f, Bias) for f in faults)
    assert len(faults) == pytest.approx(200, rel=0.2)
    assert all(0.15 <= abs(f.offset) <= 0.45 for f in faults)
    assert draw_faults(ids, 0, 365 * DAY, FaultRates(), seed=5) == []
