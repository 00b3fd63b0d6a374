"""One ranking from many methods: candidate scores to probabilities, junctions to pipes.

Each localization method scores the candidate junctions its own way. A score becomes a
probability over candidates through a softmax whose temperature is in the score's own unit
and says how big a score difference is meaningful:

- :func:`twin.localize.correlate.leak_log_likelihood` is already a log-likelihood under
  Gaussian sensor noise: temperature 1.
- An interpolated residual (:mod:`twin.localize.interpolate`), score ``−x`` in m:
  temperature = the noise of a window residual, m (a junction a noise-σ less negative than
  the best is ``e`` times less likely).
- Any score without a scale: :func:`rank_probability`, which uses the order only.

Methods are combined by a linear opinion pool (weighted mean of their probabilities, default
equal weights): they read the same residuals, so their evidence is not independent and
multiplying them would be overconfident; a mixture also keeps a candidate that only one
method likes. ``pool="geometric"`` (weighted product) is there for independent evidence.

A leak sits on a pipe, not at a model junction: a junction stands for the pipes around it.
:func:`pipe_ranking` hands each junction's probability to its incident pipes in proportion to
their lengths (a junction stands for half of each incident pipe), so a pipe's probability is
the sum of its two ends' shares and the pipe probabilities sum to 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import wntr

__all__ = [
    "PIPE_RANKING_COLUMNS",
    "Pool",
    "combine",
    "junction_ranking",
    "pipe_ranking",
    "pipe_table",
    "rank_probability",
    "softmax",
]

Pool = Literal["linear", "geometric"]
"""How method probabilities combine: weighted mean, or weighted product (renormalised)."""

PIPE_RANKING_COLUMNS = (
    "pipe",
    "probability",
    "cumulative_probability",
    "length_m",
    "nearest_node",
    "start_node",
    "end_node",
)
"""Columns of :func:`pipe_ranking`, most likely pipe first."""


def softmax(score: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Probabilities ``∝ exp(score / temperature)`` over candidates.

    Parameters
    ----------
    score : numpy.ndarray, shape (n_candidates,)
        Higher is more likely. NaN or −inf means "this method rules it out" (probability 0).
    temperature : float, default 1.0
        In the unit of ``score``: the score difference that makes a candidate ``e`` times
        less likely.

    Returns
    -------
    numpy.ndarray, shape (n_candidates,)
        Probabilities summing to 1.

    Examples
    --------
    >>> softmax(np.array([0.0, -1.0, np.nan]), temperature=1.0).round(3)
    array([0.731, 0.269, 0.   ])
    """
    values = _scores(score)
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be positive, in the scores' unit, not {temperature!r}")
    usable = np.isfinite(values)
    weight = np.zeros_like(values)
    # shifted by the best score so exp() cannot overflow
    weight[usable] = np.exp((values[usable] - values[usable].max()) / temperature)
    return weight / weight.sum()


def rank_probability(score: np.ndarray, half_rank: float = 5.0) -> np.ndarray:
    """Probabilities from the order of the scores only, halving every ``half_rank`` places.

    Parameters
    ----------
    score : numpy.ndarray, shape (n_candidates,)
        Higher is more likely; NaN or −inf gets probability 0. Ties share their mean rank.
    half_rank : float, default 5.0
        How many places down the probability halves.

    Returns
    -------
    numpy.ndarray, shape (n_candidates,)
        Probabilities summing to 1.

    Examples
    --------
    >>> rank_probability(np.array([3.0, 1.0, 2.0]), half_rank=1.0).round(3)
    array([0.571, 0.143, 0.286])
    """
    from scipy.stats import rankdata

    values = _scores(score)
    if not np.isfinite(half_rank) or half_rank <= 0:
        raise ValueError(f"half_rank must be positive, not {half_rank!r}")
    usable = np.isfinite(values)
    weight = np.zeros_like(values)
    rank = rankdata(-values[usable], method="average")  # 1 = best
    weight[usable] = 0.5 ** ((rank - 1.0) / half_rank)
    return weight / weight.sum()


def combine(
    probabilities: Mapping[str, np.ndarray],
    weights: Mapping[str, float] | None = None,
    pool: Pool = "linear",
) -> np.ndarray:
    """One probability per candidate from several methods' probabilities.

    Parameters
    ----------
    probabilities : mapping of method name to numpy.ndarray, each (n_candidates,)
        Each method's probabilities over the same candidates, in the same order.
    weights : mapping of method name to float, optional
        Non-negative weights; default equal. Methods not named get weight 0.
    pool : {"linear", "geometric"}, default "linear"
        Weighted mean of the probabilities, or weighted geometric mean (renormalised).

    Returns
    -------
    numpy.ndarray, shape (n_candidates,)
        Probabilities summing to 1.

    Examples
    --------
    >>> combine({"a": np.array([0.8, 0.2, 0.0]), "b": np.array([0.4, 0.4, 0.2])}).round(2)
    array([0.6, 0.3, 0.1])
    """
    if not probabilities:
        raise ValueError("no method's probabilities to combine")
    if pool not in ("linear", "geometric"):
        raise ValueError(f'pool must be "linear" or "geometric", not {pool!r}')
    names = list(probabilities)
    if len({np.size(p) for p in probabilities.values()}) > 1:
        raise ValueError(
            "methods score different numbers of candidates: "
            + ", ".join(f"{n} {np.size(probabilities[n])}" for n in names)
        )
    stacked = np.vstack([_probabilities(probabilities[n], n) for n in names])
    w = _weights(names, weights)
    if pool == "linear":
        pooled = w @ stacked
    else:
        with np.errstate(divide="ignore"):
            log_p = np.log(stacked)
        used = w > 0  # a method of weight 0 must not veto (0 · log 0 is NaN)
        pooled = np.exp(w[used] @ log_p[used])
    if pooled.sum() <= 0:
        raise ValueError("the methods rule out every candidate between them (geometric pool)")
    return pooled / pooled.sum()


def junction_ranking(candidates: Sequence[str], probability: np.ndarray) -> pd.DataFrame:
    """Candidate junctions, most likely first.

    Parameters
    ----------
    candidates : sequence of str
        Junction ids.
    probability : numpy.ndarray, shape (n_candidates,)
        Non-negative; normalised here to sum 1.

    Returns
    -------
    pandas.DataFrame
        Columns ``node``, ``probability``, ``cumulative_probability``; ties in id order.
    """
    p = _normalised(candidates, probability)
    frame = pd.DataFrame({"node": list(candidates), "probability": p})
    frame = frame.sort_values(["probability", "node"], ascending=[False, True], kind="stable")
    frame["cumulative_probability"] = frame["probability"].cumsum()
    return frame.reset_index(drop=True)


def pipe_table(wn: wntr.network.WaterNetworkModel) -> pd.DataFrame:
    """The pipes of a model: ``pipe``, ``start_node``, ``end_node``, ``length_m`` (m).

    Pumps and valves are not pipes: a leak is searched for along pipes.

    Examples
    --------
    >>> from twin.network import load
    >>> pipe_table(load("Net1")).iloc[0].to_dict()
    {'pipe': '10', 'start_node': '10', 'end_node': '11', 'length_m': 3209.5440000000003}
    """
    rows = [
        (name, pipe.start_node_name, pipe.end_node_name, float(pipe.length))
        for name, pipe in wn.pipes()
    ]
    return pd.DataFrame(rows, columns=["pipe", "start_node", "end_node", "length_m"])


def pipe_ranking(
    candidates: Sequence[str], probability: np.ndarray, pipes: pd.DataFrame
) -> pd.DataFrame:
    """Pipes, most likely first, from probabilities of candidate junctions.

    Each junction's probability is divided over its incident pipes in proportion to their
    lengths; a pipe collects the shares of both its ends.

    Parameters
    ----------
    candidates : sequence of str
        Junction ids; each must be an end of at least one pipe.
    probability : numpy.ndarray, shape (n_candidates,)
        Non-negative; normalised here to sum 1.
    pipes : pandas.DataFrame
        Columns ``pipe``, ``start_node``, ``end_node``, ``length_m`` (m, positive), as from
        :func:`pipe_table`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PIPE_RANKING_COLUMNS`: ``probability`` (sums to 1),
        ``cumulative_probability``, ``length_m`` (m), ``nearest_node`` (the end that gave
        the pipe the larger share), ``start_node``, ``end_node``. Ties in pipe-id order.

    Raises
    ------
    ValueError
        Candidates that are no pipe's end, repeated candidates, probabilities that are not
        finite and non-negative or do not match the candidates, bad pipe table.

    Examples
    --------
    >>> pipes = pd.DataFrame({"pipe": ["p1", "p2"], "start_node": ["a", "b"],
    ...                       "end_node": ["b", "c"], "length_m": [100.0, 300.0]})
    >>> pipe_ranking(["a", "b", "c"], np.array([0.0, 1.0, 0.0]), pipes)[["pipe", "probability"]]
      pipe  probability
    0   p2         0.75
    1   p1         0.25
    """
    p = _normalised(candidates, probability)
    table = _checked_pipes(pipes)
    ends = pd.concat(
        [
            table[["pipe", "start_node", "length_m"]].rename(columns={"start_node": "node"}),
            table[["pipe", "end_node", "length_m"]].rename(columns={"end_node": "node"}),
        ],
        ignore_index=True,
    )
    incident_length = ends.groupby("node")["length_m"].sum()
    lonely = [c for c in candidates if c not in incident_length.index]
    if lonely:
        raise ValueError(
            f"candidate junction(s) at the end of no pipe: {', '.join(map(str, lonely[:10]))}"
        )
    node_p = pd.Series(p, index=list(candidates))
    share = node_p.reindex(ends["node"]).fillna(0.0).to_numpy()
    ends["share"] = share * ends["length_m"] / incident_length.reindex(ends["node"]).to_numpy()
    by_pipe = ends.groupby("pipe", sort=False)["share"]
    nearest = ends.loc[by_pipe.idxmax(), ["pipe", "node"]].set_index("pipe")["node"]
    frame = table.assign(
        probability=table["pipe"].map(by_pipe.sum()),
        nearest_node=table["pipe"].map(nearest),
    )
    frame["probability"] /= frame["probability"].sum()
    frame = frame.sort_values(["probability", "pipe"], ascending=[False, True], kind="stable")
    frame["cumulative_probability"] = frame["probability"].cumsum()
    return frame[list(PIPE_RANKING_COLUMNS)].reset_index(drop=True)


def _scores(score: np.ndarray) -> np.ndarray:
    values = np.asarray(score, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"scores must be one non-empty row over candidates, not {values.shape}")
    if np.isposinf(values).any():
        raise ValueError("scores of +inf: give finite scores (or NaN to rule a candidate out)")
    if not np.isfinite(values).any():
        raise ValueError("every score is NaN or -inf: no candidate left")
    return values


def _probabilities(values: np.ndarray, name: str) -> np.ndarray:
    p = np.asarray(values, dtype=float)
    if p.ndim != 1 or not np.isfinite(p).all() or (p < 0).any() or p.sum() <= 0:
        raise ValueError(
            f"probabilities of method {name!r} must be one row of finite, non-negative "
            "numbers with a positive sum"
        )
    return p / p.sum()


def _weights(names: list[str], weights: Mapping[str, float] | None) -> np.ndarray:
    if weights is None:
        return np.full(len(names), 1.0 / len(names))
    unknown = [n for n in weights if n not in names]
    if unknown:
        raise ValueError(f"weights for unknown method(s): {', '.join(unknown)}")
    w = np.array([float(weights.get(n, 0.0)) for n in names])
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be non-negative with a positive sum, not {dict(weights)}")
    return w / w.sum()


def _normalised(candidates: Sequence[str], probability: np.ndarray) -> np.ndarray:
    p = _probabilities(probability, "combined")
    if p.size != len(candidates):
        raise ValueError(f"{p.size} probabilities for {len(candidates)} candidates")
    if len(set(candidates)) != len(candidates):
        repeated = sorted({str(c) for c in candidates if list(candidates).count(c) > 1})
        raise ValueError(f"candidate(s) listed more than once: {', '.join(repeated[:10])}")
    return p


def _checked_pipes(pipes: pd.DataFrame) -> pd.DataFrame:
    needed = ["pipe", "start_node", "end_node", "length_m"]
    absent = [c for c in needed if c not in pipes.columns]
    if absent:
        raise ValueError(f"pipe table lacks column(s) {', '.join(absent)}; needs {needed}")
    table = pipes[needed].reset_index(drop=True)
    length = table["length_m"].to_numpy(dtype=float)
    if not (np.isfinite(length) & (length > 0)).all():
        bad = table.loc[~(np.isfinite(length) & (length > 0)), "pipe"].astype(str).tolist()
        raise ValueError(f"pipe(s) without a positive length: {', '.join(bad[:10])}")
    if table["pipe"].duplicated().any():
        repeated = table.loc[table["pipe"].duplicated(), "pipe"].astype(str).tolist()
        raise ValueError(f"pipe(s) listed more than once: {', '.join(repeated[:10])}")
    return table.astype({"length_m": float})
