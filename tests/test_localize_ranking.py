"""One ranking: method scores to probabilities, combined, and handed from junctions to pipes."""

import numpy as np
import pandas as pd
import pytest

from twin.localize.ranking import (
    PIPE_RANKING_COLUMNS,
    combine,
    junction_ranking,
    pipe_ranking,
    pipe_table,
    rank_probability,
    softmax,
)
from twin.network import load

# a T of pipes around junction b:  a --p1(100 m)-- b --p2(300 m)-- c,  b --p3(100 m)-- d
PIPES = pd.DataFrame(
    {
        "pipe": ["p1", "p2", "p3"],
        "start_node": ["a", "b", "b"],
        "end_node": ["b", "c", "d"],
        "length_m": [100.0, 300.0, 100.0],
    }
)


def test_softmax_temperature_is_in_the_scores_unit():
    """A score one temperature (here 5 cm) lower is e times less likely."""
    p = softmax(np.array([0.30, 0.25, 0.10]), temperature=0.05)
    assert p.sum() == pytest.approx(1.0)
    assert p[0] / p[1] == pytest.approx(np.e)
    assert p[0] / p[2] == pytest.approx(np.e**4)


def test_softmax_survives_huge_log_likelihoods():
    """Log-likelihoods in the thousands do not overflow; NaN means ruled out."""
    p = softmax(np.array([5000.0, 4999.0, np.nan]))
    np.testing.assert_allclose(p, [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1)), 0.0])


def test_rank_probability_follows_the_order_only():
    """Ranks, not magnitudes: rescaling the scores changes nothing; ties share."""
    scores = np.array([0.9, 0.1, 0.5, 0.5])
    p = rank_probability(scores, half_rank=2.0)
    np.testing.assert_allclose(p, rank_probability(scores * 1000.0, half_rank=2.0))
    assert p[0] > p[2] == p[3] > p[1]
    assert p.sum() == pytest.approx(1.0)


def test_linear_pool_is_the_weighted_mean():
    """Weights 3:1 give three quarters of the first method plus a quarter of the second."""
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.5, 0.5])
    p = combine({"correlation": a, "interpolation": b}, {"correlation": 3, "interpolation": 1})
    np.testing.assert_allclose(p, [0.75, 0.125, 0.125])


def test_linear_pool_keeps_what_one_method_rules_out():
    """A candidate one method gives 0 keeps the other's share; the geometric pool drops it."""
    a, b = np.array([0.5, 0.5, 0.0]), np.array([0.2, 0.2, 0.6])
    assert combine({"a": a, "b": b})[2] == pytest.approx(0.3)
    geometric = combine({"a": a, "b": b}, pool="geometric")
    assert geometric[2] == 0.0
    np.testing.assert_allclose(geometric, [0.5, 0.5, 0.0])


def test_methods_of_different_lengths_are_refused():
    """Scores over different candidate lists cannot be combined: counts named."""
    with pytest.raises(ValueError, match="a 2, b 3"):
        combine({"a": np.array([0.5, 0.5]), "b": np.array([0.2, 0.2, 0.6])})


def test_junction_ranking_is_sorted_and_cumulative():
    """Most likely junction first; the cumulative probability ends at 1."""
    ranking = junction_ranking(["a", "b", "c"], np.array([1.0, 3.0, 0.0]))
    assert ranking["node"].tolist() == ["b", "a", "c"]
    assert ranking["cumulative_probability"].iloc[-1] == pytest.approx(1.0)


def test_a_junction_shares_its_probability_by_pipe_length():
    """All odds at b: its 500 m of pipe take 100/500, 300/500, 100/500; b is their node."""
    ranking = pipe_ranking(["a", "b", "c", "d"], np.array([0.0, 1.0, 0.0, 0.0]), PIPES)
    assert list(ranking.columns) == list(PIPE_RANKING_COLUMNS)
    by_pipe = ranking.set_index("pipe")
    assert by_pipe.loc["p2", "probability"] == pytest.approx(0.6)
    assert by_pipe.loc["p1", "probability"] == pytest.approx(0.2)
    assert ranking["pipe"].tolist() == ["p2", "p1", "p3"]  # ties in id order
    assert (ranking["nearest_node"] == "b").all()


def test_a_pipe_collects_from_both_ends():
    """A dead-end junction gives all its probability to its one pipe, which names it."""
    ranking = pipe_ranking(["a", "b", "c", "d"], np.array([0.5, 0.5, 0.0, 0.0]), PIPES)
    top = ranking.iloc[0]
    assert top["pipe"] == "p1"
    assert top["probability"] == pytest.approx(0.5 + 0.5 * 100 / 500)
    assert top["nearest_node"] == "a"


def test_pipe_probabilities_sum_to_one_on_a_real_network():
    """Net1 with random junction odds: pipe probabilities sum to 1, lengths from the model."""
    wn = load("Net1")
    junctions = wn.junction_name_list
    p = np.random.default_rng(0).random(len(junctions))
    ranking = pipe_ranking(junctions, p, pipe_table(wn))
    assert len(ranking) == wn.num_pipes
    assert ranking["probability"].sum() == pytest.approx(1.0)
    assert ranking["probability"].is_monotonic_decreasing
    assert ranking["cumulative_probability"].iloc[-1] == pytest.approx(1.0)
    assert ranking.set_index("pipe").loc["10", "length_m"] == pytest.approx(
        wn.get_link("10").length
    )


def test_candidate_without_a_pipe_is_named():
    """A junction that ends no pipe cannot be searched: a ValueError naming it."""
    with pytest.raises(ValueError, match="end of no pipe: z"):
        pipe_ranking(["a", "z"], np.array([0.5, 0.5]), PIPES)


def test_probabilities_not_matching_candidates_are_refused():
    """Two probabilities for four candidates: counts named."""
    with pytest.raises(ValueError, match="2 probabilities for 4 candidates"):
        pipe_ranking(["a", "b", "c", "d"], np.array([0.5, 0.5]), PIPES)


def test_nan_probability_is_refused():
    """NaN probabilities would poison the ranking: refused with a message."""
    with pytest.raises(ValueError, match="finite, non-negative"):
        pipe_ranking(["a", "b", "c", "d"], np.array([0.5, np.nan, 0.0, 0.0]), PIPES)


def test_pipe_table_without_lengths_is_refused():
    """A pipe table missing its length column: the column is named."""
    with pytest.raises(ValueError, match="lacks column.*length_m"):
        pipe_ranking(["a"], np.array([1.0]), PIPES.drop(columns="length_m"))
