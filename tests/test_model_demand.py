import numpy as np
import pandas as pd
import pytest
import wntr

from twin.hydraulics import EngineError, HydraulicEngine
from twin.model import DemandEstimator, NominalConsumption, ZoneBalance
from twin.network import network_areas, resolve_network
from twin.network.sensors import sidecar_layout

ORIGIN = pd.Timestamp("2018-01-01")


@pytest.fixture(scope="module")
def ltown():
    inp = resolve_network("L-TOWN")
    wn = wntr.network.WaterNetworkModel(str(inp))
    layout = sidecar_layout(inp)
    return inp, wn, layout, network_areas(inp, wn, layout.flow)


def test_unmetered_demands_are_scaled_to_the_measured_zone_consumption(ltown):
    """Each zone's junction demands add up to its measured consumption."""
    _, wn, layout, areas = ltown
    nominal = NominalConsumption(wn)
    estimator = DemandEstimator(nominal, areas, layout.amr_demand, ORIGIN)
    amr = nominal.at(0)[estimator.amr_positions] * 1.1
    measured = np.array([0.040, 0.006])
    demands, expected = estimator.estimate(0, amr, measured)[:2]
    totals = np.bincount(estimator.zone_of, demands, minlength=2)
    assert totals == pytest.approx(measured, rel=1e-9)
    assert demands[estimator.amr_positions] == pytest.approx(amr)  # meters read as is
    assert np.all(expected > 0)


def test_amr_readings_set_the_consumption_level(ltown):
    """Meters reading 20% above the model move the level to 1.2; a missing step keeps it."""
    _, wn, layout, areas = ltown
    nominal = NominalConsumption(wn)
    estimator = DemandEstimator(nominal, areas, layout.amr_demand, ORIGIN)
    for t in range(0, 86_400, 300):
        estimator.update_level(t, nominal.at(t)[estimator.amr_positions] * 1.2)
    assert estimator.level == pytest.approx(1.2)
    estimator.update_level(86_400, np.full(len(layout.amr_demand), np.nan))
    assert estimator.level == pytest.approx(1.2)


def test_a_zone_with_a_tank_consumes_inflow_minus_storage(ltown):
    """Zone C's consumption is the pump's flow minus the tank's volume change over the hour."""
    _, wn, layout, areas = ltown
    area = {"T1": 100.0}
    zones = ZoneBalance(areas, layout.flow, layout.tank_level, area, step_s=300)
    flows = np.zeros(len(layout.flow))
    flows[layout.flow.index("PUMP_1")] = 0.01
    out = None
    for step in range(13):  # the level rises 0.01 m per step: 1/300 m3/s stored
        out = zones.update(flows, np.array([2.0 + 0.01 * step]))
    c = [a.name for a in areas.areas].index("C")
    assert out[c] == pytest.approx(0.01 - 100.0 * 0.01 / 300)


def test_the_engine_follows_measured_tank_levels():
    """set_tank_levels puts a tank at the measured level; out of range is refused."""
    with HydraulicEngine("L-TOWN", step_s=300) as engine:
        engine.step()
        engine.set_tank_levels([2.0])
        assert engine.step().tank_level[0] == pytest.approx(2.0)
        with pytest.raises(EngineError, match="outside its range"):
            engine.set_tank_levels([500.0])


def test_with_profiles_the_level_and_expectation_follow_history_not_the_patterns(ltown):
    """Meters reading 10% above their typical week give level 1.1, whatever the model's
    patterns say; a zone without a measurement is expected at its typical week x 1.1."""
    from twin.model.profile import WeekProfile

    _, wn, layout, areas = ltown
    nominal = NominalConsumption(wn)
    n_amr, n_zones = len(layout.amr_demand), len(areas.areas)
    amr_typical = np.linspace(1e-4, 5e-4, n_amr)
    zone_typical = np.array([0.03, 0.004])
    week = np.ones((672, 1))
    estimator = DemandEstimator(
        nominal,
        areas,
        layout.amr_demand,
        ORIGIN,
        amr_profile=WeekProfile(layout.amr_demand, ORIGIN, week * amr_typical),
        zone_profile=WeekProfile([a.name for a in areas.areas], ORIGIN, week * zone_typical),
    )
    for t in range(0, 86_400, 300):
        estimator.update_level(t, amr_typical * 1.1)
    assert estimator.level == pytest.approx(1.1)
    estimate = estimator.estimate(86_400, amr_typical * 1.1, np.full(n_zones, np.nan))
    metered = estimator.zone_sums(estimate.demands, estimator.metered)
    assert estimate.expected == pytest.approx(metered + zone_typical * 1.1)
    totals = np.bincount(estimator.zone_of, estimate.demands, minlength=n_zones)
    assert totals == pytest.approx(estimate.expected)  # the model shares the zone's total
