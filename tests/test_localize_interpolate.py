"""Residual interpolation over the graph: linear along a pipe run, points at the leak in L-Town."""

import networkx as nx
import numpy as np
import pytest

from twin.localize.interpolate import conductance_graph, interpolate_residuals
from twin.network import load, networks_dir
from twin.network.sensors import read_sensor_layout


def _pipe_run(lengths: list[float]) -> nx.Graph:
    """A chain of pipes n0 - n1 - ... with conductance 1/length."""
    graph = nx.Graph()
    for i, length in enumerate(lengths):
        graph.add_edge(f"n{i}", f"n{i + 1}", conductance=1.0 / length)
    return graph


@pytest.fixture(scope="module")
def ltown():
    """L-Town, its conductance graph, its 33 pressure sensors, pipe distances (m)."""
    wn = load("L-TOWN")
    sensors = list(read_sensor_layout(networks_dir() / "L-TOWN.sensors.csv").pressure)
    pipes = nx.Graph()
    pipes.add_weighted_edges_from(
        (p.start_node_name, p.end_node_name, p.length) for _, p in wn.pipes()
    )
    return wn, conductance_graph(wn), sensors, pipes


def test_pipe_run_interpolates_linearly_in_distance():
    """Between two sensors the residual varies linearly with the distance along the pipes."""
    lengths = [50.0, 150.0, 100.0, 200.0]
    graph = _pipe_run(lengths)
    x = interpolate_residuals(graph, ["n0", "n4"], np.array([-0.5, 0.1]))
    distance = np.concatenate([[0.0], np.cumsum(lengths)])
    np.testing.assert_allclose(x, -0.5 + 0.6 * distance / distance[-1], atol=1e-12)


def test_sensors_keep_their_own_residuals():
    """At a sensor node the map equals what the sensor measured."""
    graph = nx.convert_node_labels_to_integers(nx.grid_2d_graph(5, 5))
    nx.set_edge_attributes(graph, 0.01, "conductance")
    r = np.array([-0.3, -0.1, 0.05])
    x = interpolate_residuals(graph, [0, 12, 24], r)
    np.testing.assert_allclose(x[[0, 12, 24]], r)
    assert -0.3 <= x.min() and x.max() <= 0.05  # harmonic: no value beyond the sensors'


def test_reservoirs_are_pinned_at_zero():
    """A fixed-head node holds residual 0: between it and a sensor the drop fades linearly."""
    graph = _pipe_run([100.0, 100.0, 100.0])
    graph.nodes["n3"]["fixed_head"] = True
    x = interpolate_residuals(graph, ["n0"], np.array([-0.6]))
    np.testing.assert_allclose(x, [-0.6, -0.4, -0.2, 0.0], atol=1e-12)
    unpinned = interpolate_residuals(graph, ["n0"], np.array([-0.6]), pin_fixed_heads=False)
    np.testing.assert_allclose(unpinned, -0.6)


def test_several_windows_match_one_at_a_time():
    """Residuals (windows, sensors) give (windows, nodes), each row as if solved alone."""
    graph = _pipe_run([80.0, 120.0, 60.0, 90.0])
    r = np.array([[-0.2, 0.0, -0.1], [0.1, -0.4, 0.0]])
    sensors = ["n0", "n2", "n4"]
    x = interpolate_residuals(graph, sensors, r, nodes=["n1", "n3"])
    assert x.shape == (2, 2)
    np.testing.assert_allclose(
        x[1], interpolate_residuals(graph, sensors, r[1], nodes=["n1", "n3"])
    )


def test_part_of_the_graph_without_sensors_is_nan():
    """Nodes cut off from every sensor and fixed head get NaN, not a made-up value."""
    graph = _pipe_run([100.0, 100.0])
    graph.add_edge("x", "y", conductance=0.01)
    x = interpolate_residuals(graph, ["n0", "n2"], np.array([-0.2, 0.0]), nodes=["n1", "x", "y"])
    assert x[0] == pytest.approx(-0.1)
    assert np.isnan(x[1:]).all()


def test_ltown_pumps_and_valves_are_weak_edges(ltown):
    """In L-Town every pipe, pump and valve is an edge; a PRV conducts 1000x less than a pipe."""
    wn, graph, _, _ = ltown
    assert graph.number_of_nodes() == wn.num_nodes
    prv = graph.edges["n303", "n300"]
    assert prv["links"] == ["PRV-1"]
    median = np.median([g for *_, g in graph.edges(data="conductance")])
    assert prv["conductance"] == pytest.approx(1e-3 * median, rel=0.05)
    assert graph.nodes["R1"]["fixed_head"] and not graph.nodes["n1"]["fixed_head"]


@pytest.mark.parametrize("target", ["n200", "n500", "n700"])
def test_ltown_top_ranked_nodes_are_near_the_leak(ltown, target):
    """Residuals falling off with pipe distance from a leak: the 10 lowest nodes are near it."""
    wn, graph, sensors, pipes = ltown
    distance = nx.single_source_dijkstra_path_length(pipes, target)
    to_sensor = np.array([distance.get(s, np.inf) for s in sensors])
    r = -0.5 * np.exp(-to_sensor / 500.0)  # m: a leak's drop fades over a few hundred metres
    junctions = wn.junction_name_list
    x = interpolate_residuals(graph, sensors, r, nodes=junctions)
    top = [junctions[i] for i in np.argsort(x)[:10]]
    radius = to_sensor.min() + 300.0  # m: the nearest sensor, then BattLeDIM's 300 m
    assert max(distance[j] for j in top) <= radius
    near = np.mean([distance.get(j, np.inf) <= radius for j in junctions])
    assert near < 0.2  # at most 1 junction in 5 is that close: the top 10 are not luck


def test_ltown_resistance_weights_also_point_at_the_leak(ltown):
    """Weighting pipes by hydraulic resistance still puts the lowest node near the leak."""
    wn, _, sensors, pipes = ltown
    graph = conductance_graph(wn, weight="resistance")
    distance = nx.single_source_dijkstra_path_length(pipes, "n500")
    r = -0.5 * np.exp(-np.array([distance.get(s, np.inf) for s in sensors]) / 500.0)
    x = interpolate_residuals(graph, sensors, r, nodes=wn.junction_name_list)
    assert distance[wn.junction_name_list[int(np.argmin(x))]] <= 400.0


def test_unknown_sensor_node_is_named():
    """A sensor on a node the network does not have: a ValueError naming it."""
    with pytest.raises(ValueError, match="not in the network graph: n99"):
        interpolate_residuals(_pipe_run([100.0]), ["n0", "n99"], np.array([-0.1, 0.0]))


def test_residuals_not_matching_the_sensors_are_refused():
    """Three residuals for two sensors: a ValueError giving both counts."""
    with pytest.raises(ValueError, match="3 sensors but 2 sensor nodes"):
        interpolate_residuals(_pipe_run([100.0]), ["n0", "n1"], np.zeros(3))


def test_repeated_sensor_is_refused():
    """The same node twice would give it two values."""
    with pytest.raises(ValueError, match="more than once: n0"):
        interpolate_residuals(_pipe_run([100.0]), ["n0", "n0"], np.zeros(2))


def test_nan_residual_is_named_or_dropped():
    """A silent sensor is named; with missing="drop" the map uses the others."""
    graph = _pipe_run([100.0, 100.0, 100.0])
    r = np.array([-0.3, np.nan, 0.0])
    with pytest.raises(ValueError, match="n2.*did not report"):
        interpolate_residuals(graph, ["n0", "n2", "n3"], r)
    x = interpolate_residuals(graph, ["n0", "n2", "n3"], r, missing="drop")
    np.testing.assert_allclose(x, [-0.3, -0.2, -0.1, 0.0], atol=1e-12)


def test_edge_without_conductance_is_refused():
    """An edge with no usable conductance would make the map meaningless: named."""
    graph = _pipe_run([100.0])
    graph.add_edge("n1", "n2", conductance=0.0)
    with pytest.raises(ValueError, match="n1-n2"):
        interpolate_residuals(graph, ["n0"], np.array([-0.1]))
