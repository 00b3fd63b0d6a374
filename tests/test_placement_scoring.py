"""Scoring a layout: equal to a case-by-case recomputation, and more loggers localize better."""

import numpy as np
import pytest

from twin.placement import PlacementSettings, prepare_problem
from twin.placement.layouts import random_layouts


@pytest.fixture(scope="module")
def hanoi():
    return prepare_problem("Hanoi", settings=PlacementSettings(draws=2))


def brute_force(problem, cases, layout):
    """Top candidate distance and detection of each case, one case at a time."""
    distances, detected = [], []
    threshold = problem.settings.detection_threshold_m
    for c in range(len(cases)):
        t = int(cases.time[c])
        reading = cases.observed[c, layout].astype(float)
        best, best_score = None, -np.inf
        for k in range(problem.dictionary.shape[2]):
            column = problem.dictionary[t][layout, k]
            norm = np.linalg.norm(reading) * np.linalg.norm(column)
            cosine = min(max(reading @ column / norm, -1.0), 1.0) if norm > 0 else 0.0
            score = cosine + cases.tie_break[c, k]
            if score > best_score:
                best, best_score = k, score
        distances.append(problem.distances[cases.leak[c], best])
        s, k = cases.size[c], cases.leak[c]
        change = problem.signatures.pressure_change[s, t, k, layout]
        detected.append(cases.inflow_detected[c] or bool((np.abs(change) > threshold).any()))
    return np.array(distances), np.array(detected)


def test_scoring_equals_a_case_by_case_recomputation(hanoi):
    """Distances of the top candidates and detections match a plain loop over the cases."""
    cases = hanoi.cases(seed=3, times=[1], draws=1)
    layout = [2, 11, 19, 27]
    score = hanoi.score(cases, layout)
    distance, detected = brute_force(hanoi, cases, layout)
    np.testing.assert_allclose(score.cases["distance_m"].to_numpy(), distance)
    np.testing.assert_array_equal(score.cases["detected"].to_numpy(), detected)
    assert score.summary["expected_distance_m"] == pytest.approx(distance.mean())


def test_the_incremental_objective_equals_the_scorer(hanoi):
    """Loggers added and removed one by one give the objective the scorer computes."""
    cases = hanoi.cases(seed=5)
    state = hanoi.incremental(cases, [0, 5, 9])
    state.add(20)
    state.remove(5)
    state.add(14)
    expected = hanoi.score(cases, state.layout).summary["objective"]
    assert state.objective() == pytest.approx(expected, rel=1e-9)
    tried = state.try_adding([3, 25])
    for j, value in zip([3, 25], tried, strict=True):
        with_j = hanoi.score(cases, [*state.layout, j]).summary["objective"]
        assert value == pytest.approx(with_j, rel=1e-9)


def test_every_junction_a_logger_localizes_better_than_a_few_random_ones(hanoi):
    """A logger at every candidate finds leaks closer than 5 random loggers (3 seeds)."""
    cases = hanoi.cases(seed=0)
    everywhere = hanoi.score(cases, list(range(31))).summary
    for layout in random_layouts(5, range(31), [], seeds=[1, 2, 3]):
        random = hanoi.score(cases, layout).summary
        assert everywhere["expected_distance_m"] < random["expected_distance_m"]
        assert everywhere["within_m"] >= random["within_m"]


def test_no_logger_leaves_only_the_inflow_meter_and_a_random_guess(hanoi):
    """Without loggers, detection is the inflow meter's alone and the guess is far off."""
    cases = hanoi.cases(seed=0)
    none = hanoi.score(cases, []).summary
    assert none["detection_rate"] == pytest.approx(cases.inflow_detected.mean())
    assert (
        none["expected_distance_m"] > hanoi.score(cases, [3, 15, 25]).summary["expected_distance_m"]
    )


def test_visible_cases_score_as_they_did_among_all_cases(hanoi):
    """The cases some logger could see keep their readings: same top candidates as before."""
    cases = hanoi.cases(seed=0)
    visible = cases.visible()
    could_see = cases.seen.any(axis=1)
    assert 0 < len(visible) == could_see.sum() < len(cases)
    layout = [3, 15, 25]
    before = hanoi.score(cases, layout).cases[could_see].reset_index(drop=True)
    after = hanoi.score(visible, layout).cases
    np.testing.assert_array_equal(after["located_junction"], before["located_junction"])
