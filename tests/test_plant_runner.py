"""The plant runner: the hidden truth stepped by the clock, seen only through the feeds."""

import numpy as np
import pytest

from twin.feeds.channels import Inbox
from twin.hydraulics import Leak
from twin.network.sensors import SensorLayout
from twin.plant import Plant, PlantUncertainty, all_faults_on

DAY = 86_400
NET1 = SensorLayout(
    pressure=("11", "22", "32"), flow=("9", "110"), tank_level=("2",), amr_demand=("12", "21", "22")
)


def _run(seed=1, leaks=(), faults=None, duration_s=DAY, layout=NET1):
    """Run Net1 as a plant and return everything delivered and the truth."""
    inbox = Inbox()
    with Plant(
        "Net1", seed=seed, duration_s=duration_s, layout=layout, leaks=leaks, faults=faults
    ) as plant:
        truth = plant.run(inbox)
    return inbox.readings(), truth, inbox


def _series(readings, sensor, unit):
    """One sensor's (event time, value) pairs within the first day, in time order."""
    keep = (readings.sensor_id == sensor) & (readings.unit == unit) & (readings.event_time <= DAY)
    order = np.argsort(readings.event_time[keep], kind="stable")
    return readings.event_time[keep][order], readings.value[keep][order]


def test_every_instrument_reports_every_five_minutes_through_scada_and_ami():
    """A day gives 288 readings per instrument, pressures/flows/levels by SCADA, AMR by AMI."""
    readings, _, inbox = _run()
    assert {b.channel for b in inbox.batches} == {"scada", "ami"}
    for sensor, unit in [("11", "m"), ("9", "m3/h"), ("2", "m"), ("21", "L/h")]:
        times, _ = _series(readings, sensor, unit)
        assert times.tolist() == list(range(300, DAY + 1, 300))


def test_the_same_seed_gives_the_same_readings_and_another_seed_does_not():
    """Scenarios are reproducible from their seed alone."""
    first, second, other = _run(seed=7)[0], _run(seed=7)[0], _run(seed=8)[0]
    assert np.array_equal(first.value, second.value, equal_nan=True)
    assert not np.array_equal(_series(first, "11", "m")[1], _series(other, "11", "m")[1])


def _supply(readings):
    """Water entering Net1's town, m3/h: the pump plus what the tank gives (pipe 110)."""
    return _series(readings, "9", "m3/h")[1] + _series(readings, "110", "m3/h")[1]


def test_a_leak_raises_the_supply_but_not_the_consumption_amr_meters_read():
    """AMR meters sit on the service connections: the leak shows in the supply only."""
    leak = Leak("22", 0.02, start_s=6 * 3600, leak_id="L22", on="junction")
    calm, _, _ = _run(seed=3)
    leaking, truth, _ = _run(seed=3, leaks=[leak])
    np.testing.assert_allclose(_series(leaking, "22", "L/h")[1], _series(calm, "22", "L/h")[1])
    after = _series(calm, "9", "m3/h")[0] > 7 * 3600
    lost = truth.leak_outflow["L22"].iloc[-1]
    gained = (_supply(leaking) - _supply(calm))[after]
    assert lost > 5.0  # m3/h from a 20 mm orifice
    assert abs(np.median(gained) - lost) < 0.1 * lost


def test_the_truth_keeps_leak_outflows_and_parameter_factors_out_of_the_readings():
    """The truth says when the leak ran and how the parameters were drawn; readings never do."""
    leak = Leak("22", 0.02, start_s=6 * 3600, leak_id="L22", on="junction")
    readings, truth, _ = _run(leaks=[leak])
    before = truth.leak_outflow.index < truth.origin + np.timedelta64(6, "h")
    assert (truth.leak_outflow["L22"][before] == 0).all()
    assert (truth.leak_outflow["L22"][~before] > 0).all()
    assert len(truth.leak_outflow) == DAY // 300 + 1
    assert truth.perturbation.fractions == (0.1, 0.1, 0.1)
    assert truth.perturbation.roughness.between(0.9, 1.1).all()
    assert "L22" not in set(readings.sensor_id.tolist())


def test_without_uncertainty_the_plant_has_the_nominal_parameters():
    """Fractions of 0 leave the model as the utility has it."""
    with Plant(
        "Net1", seed=1, duration_s=3600, layout=NET1, uncertainty=PlantUncertainty(0.0, 0.0, 0.0)
    ) as plant:
        truth = plant.run(Inbox())
    assert (truth.perturbation.diameter == 1.0).all()
    assert (truth.perturbation.base_demand == 1.0).all()


def test_switching_faults_on_corrupts_some_readings():
    """With frequent faults some readings differ from the fault-free run of the same seed."""
    clean = _run(seed=5)[0]
    faulty = _run(seed=5, faults=all_faults_on(per_year=3000.0))[0]
    _, clean_p = _series(clean, "11", "m")
    _, faulty_p = _series(faulty, "11", "m")
    assert len(faulty_p) <= len(clean_p)
    differ = len(faulty_p) < len(clean_p) or not np.array_equal(clean_p, faulty_p, equal_nan=True)
    assert differ


def test_bad_settings_are_refused_with_a_clear_error():
    """A duration off the step grid, or a network with no layout, is refused up front."""
    with pytest.raises(ValueError, match="multiple of step_s"):
        Plant("Net1", seed=1, duration_s=1000, layout=NET1)
    with pytest.raises(ValueError, match="no sensor layout"):
        Plant("Net1", seed=1, duration_s=3600)
    with pytest.raises(ValueError, match="unknown instrument kinds"):
        Plant(
            "Net1", seed=1, duration_s=3600, layout=NET1, faults={"valve": all_faults_on()["flow"]}
        )
