"""Pressure sensitivities by sensor and candidate id: ordering, subsets, refusals, reciprocity."""

import numpy as np
import pytest

from twin.hydraulics import HydraulicEngine
from twin.hydraulics.jacobian import linearise
from twin.localize.sensitivity import pressure_sensitivities, sensitivity_matrix
from twin.network import networks_dir
from twin.network.sensors import read_sensor_layout

SENSORS = list(read_sensor_layout(networks_dir() / "L-TOWN.sensors.csv").pressure)


@pytest.fixture(scope="module")
def l_town():
    """L-Town linearised at midnight."""
    with HydraulicEngine("L-TOWN", step_s=300) as engine:
        yield linearise(engine, engine.step())


@pytest.fixture(scope="module")
def net1():
    """Net1 linearised at midnight (no control valves)."""
    with HydraulicEngine("Net1", step_s=3600) as engine:
        yield linearise(engine, engine.step())


def test_all_junctions_are_the_default_candidates(l_town):
    """33 sensors x 782 junctions, in m per m³/s, all negative or zero."""
    matrix = pressure_sensitivities(l_town, SENSORS)
    assert matrix.shape == (33, 782)
    assert (matrix <= 1e-9).all()
    assert matrix.min() < -50.0  # some sensor loses over 5 cm per L/s


def test_sensor_order_does_not_change_the_values(l_town):
    """Asking for the sensors in another order permutes the rows and nothing else."""
    order = np.random.default_rng(3).permutation(len(SENSORS))
    matrix = pressure_sensitivities(l_town, SENSORS)
    shuffled = pressure_sensitivities(l_town, [SENSORS[i] for i in order])
    np.testing.assert_allclose(shuffled, matrix[order], rtol=1e-12, atol=1e-12)


def test_candidate_subset_gives_the_same_columns(l_town):
    """A few candidates, in any order, read the same columns as the full matrix."""
    matrix = pressure_sensitivities(l_town, SENSORS)
    chosen = ["n495", "n13", "n660", "n13"]
    columns = [l_town.junction_ids.index(c) for c in chosen]
    subset = pressure_sensitivities(l_town, SENSORS, chosen)
    np.testing.assert_allclose(subset, matrix[:, columns], rtol=1e-12, atol=1e-12)


def test_sensor_on_a_tank_reads_zero(l_town):
    """A tank holds its head within a step: a leak anywhere moves it by nothing."""
    matrix = pressure_sensitivities(l_town, ["T1", "n1"])
    assert (matrix[0] == 0.0).all()
    assert (matrix[1] < 0.0).any()


def test_unknown_nodes_and_tank_candidates_are_refused(l_town):
    """A misspelt sensor is a KeyError naming it; a tank cannot be a leak candidate."""
    with pytest.raises(KeyError, match="n99999"):
        pressure_sensitivities(l_town, ["n1", "n99999"])
    with pytest.raises(ValueError, match="T1"):
        pressure_sensitivities(l_town, ["n1"], ["n4", "T1"])


def test_sensitivities_are_reciprocal_without_control_valves(net1):
    """Without active valves the Jacobian is symmetric: dP_i/dq_j equals dP_j/dq_i."""
    junctions = net1.junction_ids
    matrix = pressure_sensitivities(net1, junctions, junctions)
    np.testing.assert_allclose(matrix, matrix.T, rtol=1e-9)


def test_sensitivity_matrix_linearises_the_state_it_is_given():
    """The one-call form equals linearise + pressure_sensitivities."""
    with HydraulicEngine("Net1", step_s=3600) as engine:
        state = engine.step()
        direct = sensitivity_matrix(engine, state, ["11", "32"])
        two_steps = pressure_sensitivities(linearise(engine, state), ["11", "32"])
    np.testing.assert_array_equal(direct, two_steps)
