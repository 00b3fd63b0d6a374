"""Search areas: connected, holding the share asked for, honest about length and shortfall."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from twin.localize.interpolate import conductance_graph, interpolate_residuals
from twin.localize.ranking import pipe_ranking, pipe_table, softmax
from twin.localize.search_area import SearchArea, search_area
from twin.network import load, networks_dir
from twin.network.sensors import read_sensor_layout


def _grid_pipes(side: int = 8, seed: int = 1) -> pd.DataFrame:
    """A street grid of pipes 50-150 m long, nodes "r_c"."""
    rng = np.random.default_rng(seed)
    rows = [
        (f"p{i}", f"{a[0]}_{a[1]}", f"{b[0]}_{b[1]}", rng.uniform(50.0, 150.0))
        for i, (a, b) in enumerate(nx.grid_2d_graph(side, side).edges)
    ]
    return pd.DataFrame(rows, columns=["pipe", "start_node", "end_node", "length_m"])


def _bump_ranking(pipes: pd.DataFrame, centre: str, spread_m: float) -> pd.DataFrame:
    """Pipe ranking from junction odds falling off with pipe distance from ``centre``."""
    graph = nx.from_pandas_edgelist(pipes, "start_node", "end_node", "length_m")
    distance = nx.single_source_dijkstra_path_length(graph, centre, weight="length_m")
    nodes = sorted(graph.nodes)
    p = softmax(-np.array([distance[n] for n in nodes]), temperature=spread_m)
    return pipe_ranking(nodes, p, pipes)


def _is_connected(area: SearchArea, ranking: pd.DataFrame) -> bool:
    chosen = ranking.set_index("pipe").loc[list(area.pipes)]
    return nx.is_connected(nx.from_pandas_edgelist(chosen, "start_node", "end_node"))


GRID = _grid_pipes()
RANKING = _bump_ranking(GRID, "3_4", spread_m=80.0)


def test_area_is_connected_and_holds_the_share():
    """The default area holds ≥ 80 % of the odds over pipes a crew can walk end to end."""
    area = search_area(RANKING)
    assert area.probability >= 0.8
    assert area.reached and area.stopped_by == "share"
    assert _is_connected(area, RANKING)
    assert area.pipes[0] == RANKING["pipe"].iloc[0]


def test_area_length_is_the_sum_of_its_pipes():
    """length_km is the pipes' own lengths added up, in km; probability their odds."""
    area = search_area(RANKING, share=0.6)
    chosen = RANKING.set_index("pipe").loc[list(area.pipes)]
    assert area.length_km == pytest.approx(chosen["length_m"].sum() / 1000.0)
    assert area.probability == pytest.approx(chosen["probability"].sum())
    assert len(set(area.pipes)) == len(area.pipes)


def test_area_is_about_as_short_as_pipes_picked_without_connecting_them():
    """Greedy but not wasteful: within 25 % of the densest pipes taken regardless of adjacency."""
    area = search_area(RANKING)
    densest = RANKING.assign(per_m=RANKING["probability"] / RANKING["length_m"]).sort_values(
        "per_m", ascending=False
    )
    needed = int(np.searchsorted(densest["probability"].cumsum().to_numpy(), 0.8)) + 1
    assert area.length_km <= 1.25 * densest["length_m"].iloc[:needed].sum() / 1000.0
    assert area.length_km < GRID["length_m"].sum() / 1000.0 / 3
    assert area.centre_node == "3_4"  # the odds peak there


def test_a_larger_share_needs_at_least_as_much_pipe():
    """Asking for more of the odds never gives a shorter walk."""
    lengths = [search_area(RANKING, share=s).length_km for s in (0.5, 0.8, 0.95)]
    assert lengths == sorted(lengths)


def test_greedy_takes_the_most_probability_per_metre():
    """From the top pipe, a short likely pipe is taken before a long slightly likelier one."""
    ranking = pd.DataFrame(
        {
            "pipe": ["top", "long", "short"],
            "probability": [0.6, 0.22, 0.18],
            "length_m": [100.0, 1000.0, 50.0],
            "start_node": ["a", "b", "a"],
            "end_node": ["b", "c", "d"],
        }
    )
    area = search_area(ranking, share=0.75)
    assert area.pipes == ("top", "short")
    assert area.length_km == pytest.approx(0.15)


def test_length_cap_stops_the_area_and_says_so():
    """With a 0.3 km cap the area stays within it and reports the share it does hold."""
    area = search_area(RANKING, share=0.95, max_km=0.3)
    assert area.length_km <= 0.3
    assert area.stopped_by == "max_km" and not area.reached
    assert 0 < area.probability < 0.95
    assert "not reachable within the length limit" in area.describe()
    assert _is_connected(area, RANKING)


def test_odds_split_across_unconnected_pipes_stop_at_the_network():
    """Half the odds beyond a gap in the pipes: the area holds what it can reach, and says so."""
    ranking = pd.DataFrame(
        {
            "pipe": ["p1", "p2", "q1"],
            "probability": [0.35, 0.15, 0.5],
            "length_m": [100.0, 100.0, 100.0],
            "start_node": ["a", "b", "x"],
            "end_node": ["b", "c", "y"],
        }
    )
    area = search_area(ranking, share=0.8)
    assert area.pipes == ("q1",)
    assert area.probability == pytest.approx(0.5)
    assert area.stopped_by == "network"
    assert "50% of the probability" in area.describe()


def test_describe_reads_as_a_crew_order():
    """The order names length, centre node, the first pipes and the share held."""
    area = SearchArea(
        pipes=("p257", "p258", "p259", "p260"),
        length_km=0.62,
        probability=0.81,
        centre_node="n123",
    )
    assert area.describe() == (
        "inspect 0.62 km of pipe around n123 (p257, p258, p259, …) — 81% of the probability"
    )


def test_ltown_area_from_interpolated_residuals_is_walkable():
    """L-Town end to end: residuals near n500 → a connected area near n500 holding 80 %."""
    wn = load("L-TOWN")
    sensors = list(read_sensor_layout(networks_dir() / "L-TOWN.sensors.csv").pressure)
    pipes = pipe_table(wn)
    walk = nx.from_pandas_edgelist(pipes, "start_node", "end_node", "length_m")
    distance = nx.single_source_dijkstra_path_length(walk, "n500", weight="length_m")
    r = -0.5 * np.exp(-np.array([distance.get(s, np.inf) for s in sensors]) / 500.0)
    junctions = wn.junction_name_list
    x = interpolate_residuals(conductance_graph(wn), sensors, r, nodes=junctions)
    ranking = pipe_ranking(junctions, softmax(-x, temperature=0.02), pipes)
    area = search_area(ranking, share=0.8, max_km=10.0)
    assert ranking["probability"].sum() == pytest.approx(1.0)
    assert area.reached and _is_connected(area, ranking)
    chosen = ranking.set_index("pipe").loc[list(area.pipes)]
    assert area.length_km == pytest.approx(chosen["length_m"].sum() / 1000.0)
    assert distance[area.centre_node] <= 500.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"share": 1.5}, "share must be in"),
        ({"max_km": 0.0}, "max_km must be positive"),
    ],
)
def test_bad_settings_are_refused(change, message):
    """A share outside (0, 1] or a cap of 0 km: a ValueError saying which."""
    with pytest.raises(ValueError, match=message):
        search_area(RANKING, **change)


def test_bad_rankings_are_refused():
    """Missing columns and negative probabilities are named."""
    with pytest.raises(ValueError, match="lacks column.*end_node"):
        search_area(RANKING.drop(columns="end_node"))
    broken = RANKING.assign(probability=RANKING["probability"].where(RANKING.index != 3, -0.1))
    with pytest.raises(ValueError, match="negative probability"):
        search_area(broken)
