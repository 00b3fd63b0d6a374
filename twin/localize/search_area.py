"""The search area: a connected stretch of pipes a field crew can walk, holding most of the odds.

Finding the shortest connected set of pipes that holds a given share of the probability is a
budgeted connected-subgraph problem (NP-hard in general), so :func:`search_area` is greedy:
it starts at the most likely pipe and keeps adding, among the pipes that share a node with the
area, the one with the most probability per metre, until the area holds the share asked for,
the next pipe would break a length cap, or no neighbouring pipe is left. The area is connected
over pipes only: it does not cross a pump or a valve (beyond a PRV lies another pressure zone,
and another walk).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_SHARE", "SearchArea", "StopReason", "search_area"]

DEFAULT_SHARE = 0.8
"""Share of the pipe probability a search area aims to hold."""

StopReason = Literal["share", "max_km", "network"]
"""Why the area stopped growing: share reached, length cap, no connected pipe left."""

_TOLERANCE = 1e-9  # probabilities are sums of floats: 0.8 must count as reaching 0.8


@dataclass(frozen=True)
class SearchArea:
    """Where to send the crew.

    Attributes
    ----------
    pipes : tuple of str
        Pipe ids, in the order the area took them (most likely first).
    length_km : float
        Total length of those pipes, km.
    probability : float
        Share of the pipe probability they hold, 0-1.
    centre_node : str
        The node of the area with the least probability-weighted walk (along the area's
        pipes) to the middle of its pipes: where to start.
    target_share : float
        The share asked for.
    stopped_by : {"share", "max_km", "network"}
        Why the area stopped growing.
    """

    pipes: tuple[str, ...]
    length_km: float
    probability: float
    centre_node: str
    target_share: float = DEFAULT_SHARE
    stopped_by: StopReason = "share"

    @property
    def reached(self) -> bool:
        """Whether the area holds the share asked for."""
        return self.probability >= self.target_share - _TOLERANCE

    def describe(self, listed: int = 3) -> str:
        """A crew order, e.g. ``inspect 0.62 km of pipe around n123 (p257, p258, …) — 81% …``.

        Parameters
        ----------
        listed : int, default 3
            How many pipe ids to name.
        """
        names = ", ".join(self.pipes[:listed]) + (", …" if len(self.pipes) > listed else "")
        order = (
            f"inspect {self.length_km:.2f} km of pipe around {self.centre_node} ({names}) "
            f"— {self.probability:.0%} of the probability"
        )
        if self.reached:
            return order
        why = {
            "max_km": "within the length limit",
            "network": "without crossing a pump, a valve or a gap in the pipes",
        }.get(self.stopped_by, "")
        return f"{order} ({self.target_share:.0%} asked for is not reachable {why})".rstrip()


def search_area(
    ranking: pd.DataFrame, share: float = DEFAULT_SHARE, max_km: float | None = None
) -> SearchArea:
    """Grow a connected set of pipes from the most likely one until it holds ``share``.

    Parameters
    ----------
    ranking : pandas.DataFrame
        One row per pipe with columns ``pipe``, ``probability``, ``length_m`` (m),
        ``start_node``, ``end_node``, as from :func:`twin.localize.ranking.pipe_ranking`.
        Probabilities are normalised here.
    share : float, default 0.8
        Share of the probability to hold, in (0, 1].
    max_km : float, optional
        Length cap, km: the area stops before a pipe that would take it past the cap (its
        first pipe is always taken). Default no cap.

    Returns
    -------
    SearchArea
        Connected over shared pipe nodes; ``probability`` says the share actually held,
        which is below ``share`` when the cap or the network stopped it.

    Raises
    ------
    ValueError
        Missing columns, an empty table, repeated pipes, non-positive lengths, negative or
        non-finite probabilities, ``share`` outside (0, 1], or a non-positive ``max_km``.

    Examples
    --------
    >>> ranking = pd.DataFrame({
    ...     "pipe": ["p1", "p2", "p3", "p4"], "probability": [0.5, 0.3, 0.15, 0.05],
    ...     "length_m": [100.0, 200.0, 100.0, 100.0],
    ...     "start_node": ["a", "b", "x", "c"], "end_node": ["b", "c", "y", "d"]})
    >>> area = search_area(ranking, share=0.8)
    >>> area.pipes, area.length_km, area.centre_node
    (('p1', 'p2'), 0.3, 'b')
    >>> area.describe()
    'inspect 0.30 km of pipe around b (p1, p2) — 80% of the probability'
    """
    table = _checked_ranking(ranking)
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], not {share!r}")
    if max_km is not None and not max_km > 0:
        raise ValueError(f"max_km must be positive, not {max_km!r}")
    pipe = table["pipe"].astype(str).to_numpy()
    p = table["probability"].to_numpy(dtype=float)
    p = p / p.sum()
    length = table["length_m"].to_numpy(dtype=float)
    ends = table[["start_node", "end_node"]].to_numpy()
    at_node: dict[object, list[int]] = defaultdict(list)
    for i, (a, b) in enumerate(ends):
        at_node[a].append(i)
        at_node[b].append(i)

    first = min(range(len(pipe)), key=lambda i: (-p[i], pipe[i]))
    taken, held, metres = [first], p[first], length[first]
    in_area = np.zeros(len(pipe), dtype=bool)
    in_area[first] = True
    frontier: list[tuple[float, str, int]] = []
    _push_neighbours(first, ends, at_node, in_area, p, length, pipe, frontier)
    stopped_by: StopReason = "share"
    while held < share - _TOLERANCE:
        if not frontier:
            stopped_by = "network"
            break
        _, _, i = heapq.heappop(frontier)
        if in_area[i]:
            continue
        if max_km is not None and metres + length[i] > max_km * 1000.0:
            stopped_by = "max_km"
            break
        in_area[i] = True
        taken.append(i)
        held += p[i]
        metres += length[i]
        _push_neighbours(i, ends, at_node, in_area, p, length, pipe, frontier)
    return SearchArea(
        pipes=tuple(pipe[taken]),
        length_km=float(length[taken].sum() / 1000.0),
        probability=float(min(p[taken].sum(), 1.0)),
        centre_node=_centre_node(ends[taken], length[taken], p[taken]),
        target_share=float(share),
        stopped_by=stopped_by,
    )


def _push_neighbours(
    i: int,
    ends: np.ndarray,
    at_node: dict[object, list[int]],
    in_area: np.ndarray,
    p: np.ndarray,
    length: np.ndarray,
    pipe: np.ndarray,
    frontier: list[tuple[float, str, int]],
) -> None:
    """Put the pipes sharing a node with pipe ``i`` on the frontier, densest first."""
    for node in ends[i]:
        for j in at_node[node]:
            if not in_area[j]:
                heapq.heappush(frontier, (-p[j] / length[j], pipe[j], j))


def _centre_node(ends: np.ndarray, length: np.ndarray, p: np.ndarray) -> str:
    """Area node minimising the probability-weighted walk to the middle of its pipes."""
    from scipy.sparse.csgraph import csgraph_from_dense, dijkstra

    nodes, index = np.unique(ends.astype(str), return_inverse=True)
    index = index.reshape(ends.shape)
    hop = np.full((len(nodes), len(nodes)), np.inf)  # dense: an area is at most a few km
    np.minimum.at(hop, (index[:, 0], index[:, 1]), length)  # parallel pipes: the shorter
    np.minimum.at(hop, (index[:, 1], index[:, 0]), length)
    np.fill_diagonal(hop, np.inf)
    distance = dijkstra(csgraph_from_dense(hop, null_value=np.inf))  # (nodes, nodes), m
    to_middle = np.minimum(distance[:, index[:, 0]], distance[:, index[:, 1]]) + length / 2
    weight = p if p.sum() > 0 else np.ones_like(p)
    expected_walk = to_middle @ weight
    return str(nodes[np.argmin(expected_walk)])  # ties: first id in sorted order


def _checked_ranking(ranking: pd.DataFrame) -> pd.DataFrame:
    needed = ["pipe", "probability", "length_m", "start_node", "end_node"]
    absent = [c for c in needed if c not in ranking.columns]
    if absent:
        raise ValueError(f"pipe ranking lacks column(s) {', '.join(absent)}; needs {needed}")
    table = ranking[needed].reset_index(drop=True)
    if table.empty:
        raise ValueError("pipe ranking is empty: no pipe to search")
    if table["pipe"].duplicated().any():
        repeated = table.loc[table["pipe"].duplicated(), "pipe"].astype(str).tolist()
        raise ValueError(f"pipe(s) listed more than once: {', '.join(repeated[:10])}")
    length = table["length_m"].to_numpy(dtype=float)
    bad_length = ~(np.isfinite(length) & (length > 0))
    if bad_length.any():
        bad = table.loc[bad_length, "pipe"].astype(str).tolist()
        raise ValueError(f"pipe(s) without a positive length: {', '.join(bad[:10])}")
    p = table["probability"].to_numpy(dtype=float)
    bad_p = ~(np.isfinite(p) & (p >= 0))
    if bad_p.any():
        bad = table.loc[bad_p, "pipe"].astype(str).tolist()
        raise ValueError(f"pipe(s) with a NaN, infinite or negative probability: {bad[:10]}")
    if p.sum() <= 0:
        raise ValueError("every pipe has probability 0: nothing to search for")
    return table
