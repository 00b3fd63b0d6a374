"""Tests of twin.plant.uncertainty: the perturbed network the plant runs on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wntr

from twin.plant.uncertainty import perturb_network

NETWORKS = Path(__file__).resolve().parents[1] / "networks"


@pytest.fixture(scope="module")
def net1() -> wntr.network.WaterNetworkModel:
    """EPANET's Net1, one hour long (9 junctions, 12 pipes)."""
    wn = wntr.network.WaterNetworkModel(str(NETWORKS / "Net1.inp"))
    wn.options.time.duration = 3600
    return wn


@pytest.fixture(scope="module")
def ltown() -> wntr.network.WaterNetworkModel:
    """BattLeDIM's L-Town (782 junctions, 905 pipes)."""
    return wntr.network.WaterNetworkModel(str(NETWORKS / "L-TOWN.inp"))


def _pipe_values(wn, attribute: str) -> np.ndarray:
    return np.array([getattr(wn.get_link(p), attribute) for p in wn.pipe_name_list])


def _junction_base_demands(wn) -> np.ndarray:
    return np.array(
        [
            sum(d.base_value for d in wn.get_node(j).demand_timeseries_list)
            for j in wn.junction_name_list
        ]
    )


def test_factors_lie_within_the_requested_range(ltown):
    """Every factor drawn lies in [1 - x, 1 + x] and each parameter gets its own factor."""
    _, record = perturb_network(ltown, roughness=0.1, diameter=0.05, base_demand=0.2, seed=4)
    for factors, x in ((record.roughness, 0.1), (record.diameter, 0.05), (record.base_demand, 0.2)):
        assert factors.between(1 - x, 1 + x).all()
        assert factors.std() > x / 4  # spread over the range, not stuck at 1
    assert list(record.roughness.index) == ltown.pipe_name_list
    assert list(record.base_demand.index) == ltown.junction_name_list
    assert record.fractions == (0.1, 0.05, 0.2)


def test_perturbed_values_are_nominal_times_recorded_factors(ltown):
    """The copy's roughness, diameter and base demand are the nominal values times the record."""
    perturbed, record = perturb_network(ltown, seed=5)
    for attribute, factors in (("roughness", record.roughness), ("diameter", record.diameter)):
        expected = _pipe_values(ltown, attribute) * factors.to_numpy()
        np.testing.assert_allclose(_pipe_values(perturbed, attribute), expected, rtol=1e-12)
    expected = _junction_base_demands(ltown) * record.base_demand.to_numpy()
    np.testing.assert_allclose(_junction_base_demands(perturbed), expected, rtol=1e-12)


def test_input_model_is_not_modified(net1):
    """Perturbing returns a new model and leaves the utility's model exactly as it was."""
    before = wntr.network.to_dict(net1)
    perturbed, _ = perturb_network(net1, roughness=0.3, diameter=0.3, base_demand=0.3, seed=6)
    assert perturbed is not net1
    assert wntr.network.to_dict(net1) == before


def test_same_seed_gives_identical_model(net1):
    """The same seed draws the same truth; another seed draws another one."""
    first, record = perturb_network(net1, seed=7)
    again, record_again = perturb_network(net1, seed=7)
    other, _ = perturb_network(net1, seed=8)
    assert wntr.network.to_dict(first) == wntr.network.to_dict(again)
    assert record.roughness.equals(record_again.roughness)
    assert wntr.network.to_dict(first) != wntr.network.to_dict(other)


def test_zero_fractions_leave_model_equal(net1):
    """With every fraction 0 the copy equals the nominal model and all factors are 1."""
    perturbed, record = perturb_network(net1, roughness=0, diameter=0, base_demand=0, seed=9)
    assert wntr.network.to_dict(perturbed) == wntr.network.to_dict(net1)
    assert (record.roughness == 1).all() and (record.base_demand == 1).all()


def test_switching_one_part_off_keeps_the_others(net1):
    """Turning roughness off does not change the diameter or demand factors drawn."""
    _, full = perturb_network(net1, seed=10)
    _, no_roughness = perturb_network(net1, roughness=0, seed=10)
    assert full.diameter.equals(no_roughness.diameter)
    assert full.base_demand.equals(no_roughness.base_demand)


@pytest.mark.parametrize("bad", [-0.01, 0.5, 1.0, float("nan")])
def test_fraction_outside_range_is_refused(net1, bad):
    """A fraction outside [0, 0.5) raises a ValueError that names the parameter."""
    with pytest.raises(ValueError, match="diameter"):
        perturb_network(net1, diameter=bad, seed=1)


def test_fraction_that_is_not_a_number_is_refused(net1):
    """A fraction given as text raises a TypeError that names the parameter."""
    with pytest.raises(TypeError, match="roughness"):
        perturb_network(net1, roughness="10%", seed=1)


def test_perturbed_network_simulates_with_plausible_pressure_change(net1, tmp_path):
    """EPANET runs the perturbed model; pressures move by centimetres to metres, not more."""
    perturbed, _ = perturb_network(net1, seed=11)
    nominal = wntr.sim.EpanetSimulator(net1).run_sim(file_prefix=str(tmp_path / "nominal"))
    truth = wntr.sim.EpanetSimulator(perturbed).run_sim(file_prefix=str(tmp_path / "truth"))
    junctions = net1.junction_name_list
    pressure = truth.node["pressure"][junctions]
    change = (pressure - nominal.node["pressure"][junctions]).abs()
    assert np.isfinite(pressure.to_numpy()).all() and (pressure.to_numpy() > 0).all()
    assert 0.01 < change.to_numpy().mean() < 5.0
    assert change.to_numpy().max() < 10.0
