import networkx as nx
import numpy as np
import pytest

from twin.evaluate.distance import PipeDistances
from twin.hydraulics import HydraulicEngine
from twin.localize.interpolate import conductance_graph
from twin.localize.localizer import LocalizationSettings, ModelFit, locate, residual_change
from twin.localize.ranking import pipe_table
from twin.localize.sensitivity import sensitivity_matrix
from twin.model.consumption import NominalConsumption
from twin.network import load, network_areas, resolve_network
from twin.network.sensors import sidecar_layout


@pytest.fixture(scope="module")
def ltown_now():
    """L-Town's model solved at 03:00 with its nominal demands, the BattLeDIM loggers."""
    inp = resolve_network("L-TOWN")
    wn = load(inp)
    layout = sidecar_layout(inp)
    areas = network_areas(inp, wn, layout.flow)
    engine = HydraulicEngine(inp, step_s=300, demands="arrays")
    nominal = NominalConsumption(wn, engine.junction_ids)
    state = None
    while engine.time_s <= 3 * 3600:
        demands = nominal.at(engine.time_s)
        state = engine.step(demands)
    yield wn, layout, areas, engine, state, demands
    engine.close()


@pytest.mark.parametrize("leak_node", ["n332", "n615"])
def test_a_leak_is_found_within_300_m_with_a_connected_search_area(ltown_now, leak_node):
    """A 4 L/s leak moved from the zone-wide spread to one junction, seen by the 33 loggers
    with 1 cm of noise, is ranked within BattLeDIM's 300 m and its search area is walkable."""
    wn, layout, areas, engine, state, demands = ltown_now
    zone = areas.area_of(leak_node)
    position = {j: i for i, j in enumerate(engine.junction_ids)}
    spread = np.zeros(len(demands))
    members = [position[j] for j in zone.junctions]
    spread[members] = demands[members] / demands[members].sum()
    pressures = [engine.node_ids.index(n) for n in layout.pressure]

    def solve(d):
        return engine.what_if(d).pressure[pressures]

    fit = ModelFit(solve, demands, spread, position)
    leak = 0.004
    change = fit.pressure_changes([leak_node], leak)[0]
    change += np.random.default_rng(1).normal(0, 0.01, len(change))
    candidates = list(zone.junctions)
    s_zone = sensitivity_matrix(engine, state, layout.pressure, candidates)
    sensitivity = s_zone - (s_zone @ spread[members])[:, None]
    found = locate(
        change,
        0.01,
        sensitivity,
        candidates,
        list(layout.pressure),
        conductance_graph(wn),
        pipe_table(wn),
        leak_m3s=leak,
        model_fit=fit,
        settings=LocalizationSettings(),
    )
    pipes = [
        p
        for p in wn.pipe_name_list
        if leak_node in (wn.get_link(p).start_node_name, wn.get_link(p).end_node_name)
    ]
    distances = PipeDistances.from_model(wn)
    assert min(distances.pipe_distance(found.pipe, p) for p in pipes) <= 300
    assert found.probability.sum() == pytest.approx(1.0)
    graph = nx.Graph()
    for p in found.area.pipes:
        link = wn.get_link(p)
        graph.add_edge(link.start_node_name, link.end_node_name)
    assert nx.is_connected(graph) and found.area.probability >= 0.8
    assert set(found.methods) == {"sensitivity", "interpolation", "model_fit"}


def test_the_residual_change_cancels_what_was_there_before():
    """An offset present before the leak (an old leak, a biased logger) does not count."""
    t = np.arange(0, 48 * 3600, 300)
    residual = np.full((len(t), 2), 0.3)
    residual[t >= 30 * 3600, 0] -= 0.2
    change, after_h, before_h = residual_change(t, residual, 30 * 3600, 33 * 3600, 24 * 3600)
    assert change == pytest.approx([-0.2, 0.0])
    assert after_h == pytest.approx(37 / 12) and before_h == pytest.approx(24)
