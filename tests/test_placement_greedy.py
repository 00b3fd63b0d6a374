"""Greedy placement and swap search: each logger added helps, swaps never make it worse."""

import numpy as np
import pytest

from twin.placement import PlacementSettings, greedy_placement, prepare_problem, swap_search
from twin.placement.greedy import ScreeningSettings


@pytest.fixture(scope="module")
def hanoi():
    return prepare_problem("Hanoi", settings=PlacementSettings(draws=2))


def test_greedy_objective_never_rises_as_loggers_are_added(hanoi):
    """Hanoi, 8 loggers: the objective after each addition is at most the one before."""
    state = hanoi.incremental(hanoi.cases(seed=0))
    result = greedy_placement(state, 8, range(31), seed=0)
    values = [result.start_objective_m, *result.objective_m]
    assert all(b <= a + 1e-9 for a, b in zip(values, values[1:], strict=False))
    assert len(set(result.added)) == 8


def test_greedy_records_the_objective_the_scorer_gives(hanoi):
    """The objective recorded for the greedy layout is the scorer's for the same cases."""
    cases = hanoi.cases(seed=1)
    state = hanoi.incremental(cases)
    result = greedy_placement(state, 5, range(31), seed=1)
    scored = hanoi.score(cases, result.added).summary["objective"]
    assert result.objective_m[-1] == pytest.approx(scored, rel=1e-9)


def test_screening_on_a_sample_still_beats_random_layouts(hanoi):
    """With screening on 40 cases and a shortlist of 4, greedy beats random layouts' mean."""
    cases = hanoi.cases(seed=2)
    state = hanoi.incremental(cases)
    screening = ScreeningSettings(sample_cases=40, shortlist=4)
    result = greedy_placement(state, 4, range(31), screening=screening, seed=2)
    rng = np.random.default_rng(7)
    randoms = [
        hanoi.score(cases, rng.choice(31, 4, replace=False)).summary["objective"] for _ in range(5)
    ]
    assert result.objective_m[-1] < np.mean(randoms)


def test_existing_loggers_stay_and_count(hanoi):
    """Greedy adds to the existing loggers and never moves them; the swap search neither."""
    state = hanoi.incremental(hanoi.cases(seed=3), [4, 17])
    greedy_placement(state, 3, range(31), seed=3)
    swap_search(state, range(31), fixed=[4, 17], seed=3)
    assert {4, 17} <= set(state.layout) and len(state.layout) == 5


def test_swap_search_never_worsens_the_greedy_layout(hanoi):
    """Swaps keep the greedy objective or lower it, and report the scorer's objective."""
    cases = hanoi.cases(seed=4)
    state = hanoi.incremental(cases)
    greedy = greedy_placement(state, 4, range(31), seed=4)
    swapped = swap_search(state, range(31), seed=4)
    assert swapped.objective_m <= greedy.objective_m[-1] + 1e-9
    assert swapped.objective_m == pytest.approx(
        hanoi.score(cases, swapped.layout).summary["objective"], rel=1e-9
    )


def test_a_budget_larger_than_the_candidates_is_refused(hanoi):
    """Asking for more loggers than free candidates names both numbers."""
    state = hanoi.incremental(hanoi.cases(seed=0))
    with pytest.raises(ValueError, match="between 0 and the 3 free"):
        greedy_placement(state, 4, [1, 2, 3])
