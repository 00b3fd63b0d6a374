"""Sensitivity-matrix localization: the true leak node ranks first and its size is recovered."""

import networkx as nx
import numpy as np
import pytest

from twin.localize.correlate import (
    correlation_scores,
    leak_log_likelihood,
    least_squares_leak,
    reporting_sensors,
)

LEAK_M3S = 0.005  # 5 L/s, 18 m³/h: a mid-sized BattLeDIM leak
NOISE_M = 0.01


def _grid_sensitivity(side: int = 7, n_sensors: int = 9, seed: int = 3) -> np.ndarray:
    """S of a linearised grid network fed at one corner: −(grounded Laplacian)⁻¹ rows.

    Pipe conductances are ~0.02 m³/s per m, so a 5 L/s leak drops nearby pressures ~0.2 m.
    """
    rng = np.random.default_rng(seed)
    grid = nx.convert_node_labels_to_integers(nx.grid_2d_graph(side, side))
    for a, b in grid.edges:
        grid.edges[a, b]["g"] = rng.uniform(0.01, 0.03)
    laplacian = nx.laplacian_matrix(grid, weight="g").toarray()
    green = np.linalg.inv(laplacian[1:, 1:])  # node 0 is the reservoir: head fixed
    sensors = rng.choice(len(green), n_sensors, replace=False)
    return -green[sensors]  # (sensors, candidates): outflow lowers pressure


S = _grid_sensitivity()


def _residual(k: int, seed: int, windows: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (S.shape[0],) if windows is None else (windows, S.shape[0])
    return S[:, k] * LEAK_M3S + rng.normal(0.0, NOISE_M, shape)


def test_grid_sensitivity_is_negative_like_a_leak():
    """The synthetic S behaves like a network's: every entry negative, tens of m per m³/s."""
    assert (S < 0).all()
    assert 1 < np.median(-S) < 200


def test_noise_free_residuals_rank_every_leak_node_first():
    """Without noise each of the 48 candidates is ranked first for its own leak, score 1."""
    for k in range(S.shape[1]):
        scores = correlation_scores(S, S[:, k] * LEAK_M3S)
        assert int(np.argmax(scores)) == k
        assert scores[k] == pytest.approx(1.0)


def test_cosine_ranks_the_leak_node_first_despite_noise():
    """With 1 cm noise on a 5 L/s leak, the leak node is first in ≥ 75 % of 240 trials."""
    first = top3 = 0
    for k in range(S.shape[1]):
        for seed in range(5):
            order = np.argsort(-correlation_scores(S, _residual(k, seed=100 * k + seed)))
            first += order[0] == k
            top3 += k in order[:3]
    trials = 5 * S.shape[1]
    assert first / trials >= 0.75  # 0.80 here; a random ranking gives 0.02
    assert top3 / trials >= 0.9


def test_least_squares_recovers_the_leak_size():
    """At the leak node the fitted size is within 10 % of 5 L/s, the misfit about the noise."""
    k = 17
    fit = least_squares_leak(S, _residual(k, seed=1))
    assert fit.size_m3s[k] == pytest.approx(LEAK_M3S, rel=0.1)
    assert fit.residual_norm_m[k] < 3 * NOISE_M * np.sqrt(S.shape[0])
    assert fit.residual_norm_m[k] == pytest.approx(fit.residual_norm_m.min())


def test_noise_free_fit_is_exact():
    """Without noise the size is exact and the misfit zero at the leak node."""
    fit = least_squares_leak(S, S[:, 9] * LEAK_M3S)
    assert fit.size_m3s[9] == pytest.approx(LEAK_M3S, rel=1e-9)
    assert fit.residual_norm_m[9] == pytest.approx(0.0, abs=1e-9)


def test_several_windows_score_each_window():
    """Residuals of shape (windows, sensors) give scores of shape (windows, candidates)."""
    r = _residual(30, seed=2, windows=4)
    scores = correlation_scores(S, r)
    assert scores.shape == (4, S.shape[1])
    np.testing.assert_allclose(scores[2], correlation_scores(S, r[2]))
    assert (np.argmax(scores, axis=1) == 30).all()
    assert least_squares_leak(S, r).size_m3s.shape == (4, S.shape[1])


def test_centred_correlation_ignores_a_common_pressure_shift():
    """A 0.5 m shift of every sensor (inlet head change) does not move the centred ranking."""
    r = _residual(44, seed=4) - 0.5
    assert int(np.argmax(correlation_scores(S, r, centred=True))) == 44


def test_log_likelihood_peaks_at_the_leak_and_ignores_pressure_rises():
    """The likelihood is highest at the leak; a rise in pressure counts as no evidence (0)."""
    k = 17
    loglik = leak_log_likelihood(S, _residual(k, seed=5, windows=3), noise_m=NOISE_M)
    assert int(np.argmax(loglik)) == k
    assert (loglik >= 0).all()
    assert (leak_log_likelihood(S, -S[:, k] * LEAK_M3S, noise_m=NOISE_M) == 0).all()


def test_log_likelihood_of_windows_adds_up():
    """Two windows carry the evidence of each window added together."""
    r = _residual(5, seed=6, windows=2)
    both = leak_log_likelihood(S, r, noise_m=NOISE_M)
    each = sum(leak_log_likelihood(S, row, noise_m=NOISE_M) for row in r)
    np.testing.assert_allclose(both, each)


def test_blind_candidate_scores_zero():
    """A candidate no sensor sees (all-zero column) scores 0 and gets size 0, not NaN."""
    blind = np.column_stack([S[:, :3], np.zeros(S.shape[0])])
    r = _residual(1, seed=7)
    assert correlation_scores(blind, r)[3] == 0.0
    assert least_squares_leak(blind, r).size_m3s[3] == 0.0


def test_mismatched_shapes_are_refused():
    """Residuals for a different number of sensors than S has rows: a ValueError saying so."""
    with pytest.raises(ValueError, match="8 sensors but the sensitivity matrix has 9 rows"):
        correlation_scores(S, np.zeros(8))
    with pytest.raises(ValueError, match="2-D"):
        least_squares_leak(S[:, 0], np.zeros(9))


def test_nan_residual_names_the_sensor_unless_dropped():
    """A sensor that did not report is named in the error; missing="drop" leaves it out."""
    names = [f"n{i}" for i in range(S.shape[0])]
    r = _residual(30, seed=8)
    r[2] = np.nan
    with pytest.raises(ValueError, match=r"n2\b.*did not report"):
        correlation_scores(S, r, sensors=names)
    scores = correlation_scores(S, r, sensors=names, missing="drop")
    assert int(np.argmax(scores)) == 30
    np.testing.assert_allclose(scores, correlation_scores(np.delete(S, 2, 0), np.delete(r, 2)))


def test_no_reporting_sensor_is_an_error():
    """All residuals NaN: nothing to localize with, even when dropping is allowed."""
    with pytest.raises(ValueError, match="no sensor reported"):
        reporting_sensors(np.full(4, np.nan), missing="drop")


def test_bad_noise_level_is_refused():
    """The noise level sets the temperature: zero or negative makes no sense."""
    with pytest.raises(ValueError, match="noise_m"):
        leak_log_likelihood(S, _residual(1, seed=9), noise_m=0.0)
