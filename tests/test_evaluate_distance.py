"""Pipe distances over the network's pipes, checked against the official BattLeDIM matrix."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.evaluate import PipeDistances

DATA = Path(__file__).parent / "data" / "battledim"


@pytest.fixture(scope="module")
def l_town() -> PipeDistances:
    """Distances over the pipes of the bundled L-Town model."""
    return PipeDistances.from_network("L-TOWN")


@pytest.fixture
def line() -> PipeDistances:
    """Five 100 m pipes in a row, n0-n1-...-n5, and a 40 m pipe parallel to p3."""
    pipes = pd.DataFrame(
        {
            "start_node": ["n0", "n1", "n2", "n3", "n4", "n2"],
            "end_node": ["n1", "n2", "n3", "n4", "n5", "n3"],
            "length_m": [100.0] * 5 + [40.0],
        },
        index=["p1", "p2", "p3", "p4", "p5", "p3b"],
    )
    return PipeDistances(pipes, [f"n{k}" for k in range(6)] + ["island"])


def test_node_distances_agree_with_the_official_battledim_matrix(l_town):
    """2,000 seeded node pairs of L-Town: our shortest paths equal the official metres."""
    pairs = pd.read_csv(DATA / "L-TOWN_node_distance_pairs_m.csv")
    matrix = l_town.node_distances(sorted(set(pairs["node_a"])))
    ours = matrix.to_numpy()[
        matrix.index.get_indexer(pairs["node_a"]), matrix.columns.get_indexer(pairs["node_b"])
    ]
    official = pairs["distance_m"].to_numpy(float)
    unreachable = np.isinf(official)
    assert unreachable.sum() > 100  # pairs split by the pump or a PRV are in the sample
    np.testing.assert_array_equal(np.isinf(ours), unreachable)
    np.testing.assert_allclose(ours[~unreachable], official[~unreachable], rtol=0, atol=1e-3)


def test_pumps_and_valves_are_no_path(l_town):
    """Tank T1 is reached from n54 only through PUMP_1: no distance over pipes."""
    assert l_town.node_distance("n54", "T1") == np.inf
    assert "PUMP_1" not in l_town.pipe_ids and len(l_town.pipe_ids) == 905


def test_a_pipe_is_zero_from_itself_and_half_lengths_from_a_neighbour(l_town):
    """p257 (n350-n351) and p258 (n351-n7) share n351: apart by half of each length."""
    assert l_town.pipe_distance("p257", "p257") == 0.0
    shared = l_town.pipe_length("p257") / 2 + l_town.pipe_length("p258") / 2
    assert l_town.pipe_distance("p257", "p258") == pytest.approx(shared)
    assert shared == pytest.approx((45.6975 + 54.9718) / 2)


def test_pipe_distance_is_the_least_end_pair_path_plus_half_lengths(line):
    """Middle of p1 to middle of p4: 200 m between n1 and n3 (via the 40 m p3b) + 50 + 50."""
    assert line.pipe_distance("p1", "p2") == 100.0
    assert line.pipe_distance("p1", "p4") == pytest.approx(100 + 40 + 50 + 50)
    assert line.pipe_distance("p4", "p1") == line.pipe_distance("p1", "p4")
    assert line.pipe_distance("p3", "p3b") == pytest.approx(50 + 20)


def test_pipe_distances_are_a_matrix_over_both_lists(line):
    """Rows are the first list, columns the second, in metres."""
    table = line.pipe_distances(["p1", "p5"], ["p1", "p2", "p5"])
    assert table.index.tolist() == ["p1", "p5"] and table.columns.tolist() == ["p1", "p2", "p5"]
    np.testing.assert_allclose(table.to_numpy(), [[0, 100, 340], [340, 240, 0]])


def test_a_pipe_to_a_node_is_the_nearer_end_plus_half_its_length(line):
    """Junction n3 is 50 m from p3's middle, 90 m from p2's (over p3b), 150 m from p5's."""
    table = line.pipe_node_distances(["p3", "p2", "p5"], ["n3"])
    np.testing.assert_allclose(table["n3"].to_numpy(), [50, 90, 150])


def test_a_node_no_pipe_reaches_is_infinitely_far(line):
    """An isolated node has no path: inf, never within the 300 m tolerance."""
    assert line.node_distance("n0", "island") == np.inf


def test_an_unknown_pipe_is_named_in_the_error(line):
    """Asking for a pipe the network does not have names it."""
    with pytest.raises(ValueError, match="no pipe 'p99'"):
        line.pipe_distance("p1", "p99")
