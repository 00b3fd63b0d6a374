"""Where a confirmed leak is: three methods on one event window, one ranking, a search area.

The event window's residual *change* at the pressure loggers (:func:`residual_change`: the
de-seasoned residual since the leak's estimated start minus the same over the day before, so
older leaks and slow drifts cancel) is compared with what a leak at each candidate junction
of the event's zone would do:

* **sensitivity**: the analytic sensitivities of the twin's model at the present operating
  point (:mod:`twin.localize.sensitivity`), as a log-likelihood of "one leak at k" with the
  leak size fitted (:func:`twin.localize.correlate.leak_log_likelihood`);
* **interpolation**: the residual change interpolated over the pipe graph
  (:mod:`twin.localize.interpolate`): the most negative junctions are the likeliest;
* **model fit**: the twin's own model re-solved now with the event's leak flow at each of the
  best candidates of the first two (:class:`ModelFit`), the leak size scaled by least squares,
  and the misfit turned into a likelihood.

The twin's demand estimate spreads a zone's unexplained inflow (the leak, until it is
found) over the zone's unmetered junctions, so the model already expects the zone-wide part
of the pressure drop; what remains at the loggers is the leak's own place minus that spread.
The sensitivities and the re-solves are taken relative to the same spread.

The methods' probabilities are pooled (:func:`twin.localize.ranking.combine`), spread onto
pipes, and the smallest connected set of pipes holding ``share`` of the probability is the
search area (:func:`twin.localize.search_area.search_area`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from twin.localize.correlate import leak_log_likelihood
from twin.localize.interpolate import interpolate_residuals
from twin.localize.ranking import combine, pipe_ranking, softmax
from twin.localize.search_area import SearchArea, search_area

__all__ = [
    "LocalizationSettings",
    "Localization",
    "ModelFit",
    "locate",
    "residual_change",
]

HOUR_S = 3600


@dataclass(frozen=True)
class LocalizationSettings:
    """Tuning of localization.

    Attributes
    ----------
    after_confirm_s : int
        Localize this long after an event is confirmed, s (the window since the leak's start
        must hold a few hours for the residual change to stand out of the noise).
    refine_after_s : int or None
        Localize once more this long after the first time, s, with the longer window; the
        crew's order changes only if the new ranking is surer. None (default): never. On
        generated L-Town cases the day-long window was no better than the first hours (a
        day of consumption swings the loggers more than a small leak does).
    before_s : int
        Length of the reference window before the leak's estimated start, s.
    share : float
        Share of the probability the search area holds.
    refit : int
        How many of the best candidates the model fit re-solves.
    size_spread : float
        Standard deviation of the log of the fitted leak size over the event's flow: how far
        the model fit may scale the inflow's leak estimate before it costs likelihood.
    weights : mapping of str to float
        Weight of each method in the pooled probability.
    same_leak_m : float
        A new event whose most likely pipe is this close to an open leak's (over the pipes)
        is that leak growing, m.
    """

    after_confirm_s: int = 2 * HOUR_S
    refine_after_s: int | None = None
    before_s: int = 24 * HOUR_S
    share: float = 0.8
    refit: int = 25
    size_spread: float = 0.5
    same_leak_m: float = 300.0
    weights: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(
            {"sensitivity": 1.0, "interpolation": 0.5, "model_fit": 2.0}
        )
    )


@dataclass(frozen=True)
class Localization:
    """One localization of one event.

    Attributes
    ----------
    candidates : list of str
        Candidate junctions.
    probability : ndarray, shape (n_candidates,)
        Pooled probability of each candidate.
    methods : dict of str to ndarray
        Each method's probability over the candidates.
    ranking : pandas.DataFrame
        Pipes, most likely first (:func:`twin.localize.ranking.pipe_ranking`).
    area : SearchArea
    """

    candidates: list[str]
    probability: npt.NDArray[np.float64]
    methods: dict[str, npt.NDArray[np.float64]]
    ranking: pd.DataFrame
    area: SearchArea

    @property
    def pipe(self) -> str:
        """The most likely pipe."""
        return str(self.ranking["pipe"].iloc[0])

    @property
    def pipe_probability(self) -> float:
        return float(self.ranking["probability"].iloc[0])


def residual_change(
    times_s: npt.NDArray[np.int64],
    residual_m: npt.NDArray[np.float64],
    start_s: int,
    now_s: int,
    before_s: int,
) -> tuple[npt.NDArray[np.float64], float, float]:
    """Mean residual since a leak's start minus the mean over the window before it.

    Parameters
    ----------
    times_s : ndarray of int, shape (n_steps,)
        Step times, s.
    residual_m : ndarray, shape (n_steps, n_sensors)
        De-seasoned residual of each logger, m (NaN: no reading).
    start_s, now_s : int
        The leak's estimated start and the present, s.
    before_s : int
        Length of the reference window, s.

    Returns
    -------
    change : ndarray, shape (n_sensors,)
        m; NaN for a logger without readings in either window.
    hours_after, hours_before : float
        Lengths of the two windows, h.
    """
    after = (times_s >= start_s) & (times_s <= now_s)
    before = (times_s >= start_s - before_s) & (times_s < start_s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a logger silent in a window: NaN
        change = np.nanmean(residual_m[after], axis=0) - np.nanmean(residual_m[before], axis=0)
    step = float(np.median(np.diff(times_s))) if len(times_s) > 1 else HOUR_S
    return change, after.sum() * step / HOUR_S, before.sum() * step / HOUR_S


class ModelFit:
    """Re-solve the twin's model with a leak at candidate junctions; pressure changes.

    Parameters
    ----------
    solve : callable
        ``solve(junction_demands) -> pressures at the loggers`` (m): the twin's model solved
        at the present without advancing (``HydraulicEngine.what_if``).
    demands_m3s : ndarray, shape (n_junctions,)
        The demands the model was last stepped with, m³/s.
    spread : ndarray, shape (n_junctions,)
        How the zone's unexplained inflow is spread over the junctions (sums to 1).
    junction_position : mapping of str to int
        Position of each junction id in the demand vector.
    """

    def __init__(
        self,
        solve: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
        demands_m3s: npt.NDArray[np.float64],
        spread: npt.NDArray[np.float64],
        junction_position: Mapping[str, int],
    ) -> None:
        self.solve = solve
        self.demands = np.asarray(demands_m3s, dtype=np.float64)
        self.spread = np.asarray(spread, dtype=np.float64)
        self.position = junction_position

    def pressure_changes(self, candidates: Sequence[str], leak_m3s: float) -> np.ndarray:
        """Change at the loggers from moving ``leak_m3s`` from the spread to each candidate.

        Returns
        -------
        ndarray, shape (n_candidates, n_sensors)
            m; NaN rows for a solve that failed.
        """
        base = self.demands - leak_m3s * self.spread
        reference = self.solve(self.demands)
        out = np.full((len(candidates), len(reference)), np.nan)
        for i, node in enumerate(candidates):
            demands = base.copy()
            demands[self.position[node]] += leak_m3s
            out[i] = self.solve(demands) - reference
        return out


def locate(
    change_m: npt.NDArray[np.float64],
    noise_m: float,
    sensitivity: npt.NDArray[np.float64],
    candidates: Sequence[str],
    sensor_nodes: Sequence[str],
    graph,
    pipes: pd.DataFrame,
    *,
    leak_m3s: float,
    model_fit: ModelFit | None = None,
    settings: LocalizationSettings | None = None,
) -> Localization:
    """Rank the candidates of one event and draw its search area (see the module doc).

    Parameters
    ----------
    change_m : ndarray, shape (n_sensors,)
        Residual change at each logger (:func:`residual_change`), m; NaN: left out.
    noise_m : float
        Standard deviation of a logger's residual change without a leak, m.
    sensitivity : ndarray, shape (n_sensors, n_candidates)
        Pressure change per unit of leak moved from the spread to each candidate, m per m³/s.
    candidates : sequence of str
        Candidate junctions (the event's zone).
    sensor_nodes : sequence of str
        Node of each logger.
    graph : networkx.Graph
        The conductance graph (:func:`twin.localize.interpolate.conductance_graph`).
    pipes : pandas.DataFrame
        :func:`twin.localize.ranking.pipe_table` of the network.
    leak_m3s : float
        The event's leak flow, m³/s (from the zone's inflow).
    model_fit : ModelFit, optional
        Re-solves for the model-fit method; None leaves that method out.
    settings : LocalizationSettings
    """
    settings = settings or LocalizationSettings()
    seen = np.isfinite(change_m)
    if not seen.any():
        raise ValueError("no pressure logger has a residual change to localize with")
    r = change_m[seen]
    S = sensitivity[seen]
    nodes = [n for n, s in zip(sensor_nodes, seen, strict=True) if s]
    methods = {
        "sensitivity": softmax(leak_log_likelihood(S, r, noise_m)),
        "interpolation": softmax(
            -interpolate_residuals(graph, nodes, r, nodes=list(candidates)) / noise_m
        ),
    }
    if model_fit is not None and leak_m3s > 0:
        first = combine(methods, _weights_of(methods, settings))
        best = np.argsort(-first)[: settings.refit]
        changes = model_fit.pressure_changes([candidates[i] for i in best], leak_m3s)[:, seen]
        score = np.full(len(candidates), -np.inf)
        score[best] = _fit_log_likelihood(changes, r, noise_m, settings.size_spread)
        methods["model_fit"] = softmax(score)
    probability = combine(methods, _weights_of(methods, settings))
    ranking = pipe_ranking(candidates, probability, pipes)
    area = search_area(ranking, share=settings.share)
    return Localization(list(candidates), probability, methods, ranking, area)


def _weights_of(methods: Mapping[str, np.ndarray], settings: LocalizationSettings) -> dict:
    """The settings' weights of the methods that ran (the model fit needs a leak size)."""
    return {m: w for m, w in settings.weights.items() if m in methods}


def _fit_log_likelihood(
    changes: npt.NDArray[np.float64], r: npt.NDArray[np.float64], noise_m: float, spread: float
) -> npt.NDArray[np.float64]:
    """Log-likelihood of each re-solved candidate: its change scaled by least squares to the
    residual (a size ≥ 0), with a log-normal prior on the scale around 1 (the inflow knows
    the leak's size)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.clip((changes @ r) / np.einsum("ij,ij->i", changes, changes), 1e-3, None)
        misfit = ((r[None, :] - scale[:, None] * changes) ** 2).sum(axis=1)
        out = -misfit / (2 * noise_m**2) - np.log(scale) ** 2 / (2 * spread**2)
    return np.where(np.isfinite(out), out, -np.inf)
