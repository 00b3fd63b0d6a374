"""How far apart two pipes are over the network's pipes: the BattLeDIM localisation distance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import wntr

    from twin.network.bundled import NameOrPath

__all__ = ["PipeDistances"]


class PipeDistances:
    """Shortest distances over pipes between nodes, and between the middles of pipes, in m.

    Only pipes are walked: pumps and valves are no path (as in the official BattLeDIM node
    distance matrix), so nodes joined only through a pump or a valve are ``inf`` apart.
    Parallel pipes count with the shorter one.

    The distance between two pipes is the shortest path between their end nodes (the least
    over the four pairs) plus half of each pipe's length: from the middle of one pipe to the
    middle of the other. A pipe is 0 m from itself. A node counts as a pipe of length 0 with
    both ends at the node, so a pipe is ``shortest path + half its length`` from a node.

    Shortest paths are computed from the nodes asked about only, on first use, and kept.

    Parameters
    ----------
    pipes : pandas.DataFrame
        Index: pipe ids; columns ``start_node``, ``end_node`` (node ids) and ``length_m`` (m).
    nodes : sequence of str
        Every node id of the network (nodes no pipe touches included).

    Examples
    --------
    >>> pipes = pd.DataFrame(
    ...     {"start_node": ["a", "b"], "end_node": ["b", "c"], "length_m": [100.0, 50.0]},
    ...     index=["p1", "p2"],
    ... )
    >>> d = PipeDistances(pipes, ["a", "b", "c"])
    >>> d.node_distance("a", "c"), d.pipe_distance("p1", "p2"), d.pipe_distance("p1", "p1")
    (150.0, 75.0, 0.0)
    """

    def __init__(self, pipes: pd.DataFrame, nodes: Sequence[str]) -> None:
        missing = {"start_node", "end_node", "length_m"} - set(pipes.columns)
        if missing:
            raise ValueError(f"pipes table: missing column(s) {sorted(missing)}")
        self._nodes = pd.Index(list(nodes), dtype=object)
        if not self._nodes.is_unique:
            raise ValueError("node ids must be unique")
        unknown = sorted((set(pipes.start_node) | set(pipes.end_node)) - set(self._nodes))
        if unknown:
            raise ValueError(f"pipes end at node(s) not in the node list: {unknown[:5]}")
        self._pipes = pipes.loc[:, ["start_node", "end_node", "length_m"]].copy()
        self._pipes["length_m"] = self._pipes["length_m"].astype(float)
        self._ends = np.column_stack(
            [self._nodes.get_indexer(pipes.start_node), self._nodes.get_indexer(pipes.end_node)]
        )
        self._graph = _pipe_graph(self._ends, self._pipes["length_m"].to_numpy(), len(nodes))
        self._rows: dict[int, np.ndarray] = {}

    @classmethod
    def from_model(cls, wn: wntr.network.WaterNetworkModel) -> PipeDistances:
        """Distances over the pipes of a WNTR model (lengths in m, WNTR's SI units)."""
        rows = [
            (name, pipe.start_node_name, pipe.end_node_name, float(pipe.length))
            for name, pipe in wn.pipes()
        ]
        pipes = pd.DataFrame(rows, columns=["pipe", "start_node", "end_node", "length_m"])
        return cls(pipes.set_index("pipe"), wn.node_name_list)

    @classmethod
    def from_network(cls, name_or_path: NameOrPath) -> PipeDistances:
        """Distances over the pipes of a bundled network (by name) or an .inp file."""
        from twin.network import load

        return cls.from_model(load(name_or_path))

    @property
    def node_ids(self) -> pd.Index:
        """Every node id, in the network's order."""
        return self._nodes

    @property
    def pipe_ids(self) -> pd.Index:
        """Every pipe id, in the network's order."""
        return self._pipes.index

    def pipe_length(self, pipe: str) -> float:
        """Length of ``pipe``, m."""
        return float(self._pipes.at[self._check(pipe, self._pipes.index, "pipe"), "length_m"])

    def node_distance(self, a: str, b: str) -> float:
        """Shortest path over pipes from node ``a`` to node ``b``, m (``inf``: no path)."""
        return float(self.node_distances([a], [b]).iat[0, 0])

    def node_distances(
        self, sources: Sequence[str], targets: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Shortest paths over pipes from each source node to each target node.

        Returns
        -------
        pandas.DataFrame
            Index: ``sources``; columns: ``targets`` (every node when omitted); m, ``inf``
            where no path over pipes joins the two nodes.
        """
        src = self._indexer(sources, self._nodes, "node")
        dst = (
            np.arange(len(self._nodes))
            if targets is None
            else self._indexer(targets, self._nodes, "node")
        )
        matrix = self._from_nodes(src)[:, dst]
        columns = self._nodes[dst] if targets is None else list(targets)
        return pd.DataFrame(matrix, index=list(sources), columns=columns)

    def pipe_distance(self, p: str, q: str) -> float:
        """Distance from the middle of pipe ``p`` to the middle of pipe ``q``, m."""
        return float(self.pipe_distances([p], [q]).iat[0, 0])

    def pipe_distances(self, pipes: Sequence[str], others: Sequence[str]) -> pd.DataFrame:
        """Distance between the middles of each pipe of ``pipes`` and each of ``others``.

        Returns
        -------
        pandas.DataFrame
            Index: ``pipes``; columns: ``others``; m (0 for a pipe and itself, ``inf`` where
            no path over pipes joins them).
        """
        a = self._indexer(pipes, self._pipes.index, "pipe")
        b = self._indexer(others, self._pipes.index, "pipe")
        half = self._pipes["length_m"].to_numpy() / 2.0
        matrix = self._between(self._ends[a], half[a], self._ends[b], half[b])
        matrix[a[:, None] == b[None, :]] = 0.0
        return pd.DataFrame(matrix, index=list(pipes), columns=list(others))

    def pipe_node_distances(self, pipes: Sequence[str], nodes: Sequence[str]) -> pd.DataFrame:
        """Distance from the middle of each pipe to each node (a leak at a junction), m.

        Returns
        -------
        pandas.DataFrame
            Index: ``pipes``; columns: ``nodes``; shortest path from the nearer end of the
            pipe plus half its length, m (``inf``: no path over pipes).
        """
        a = self._indexer(pipes, self._pipes.index, "pipe")
        b = self._indexer(nodes, self._nodes, "node")
        half = self._pipes["length_m"].to_numpy() / 2.0
        matrix = self._between(self._ends[a], half[a], np.column_stack([b, b]), np.zeros(len(b)))
        return pd.DataFrame(matrix, index=list(pipes), columns=list(nodes))

    def _between(
        self, ends_a: np.ndarray, half_a: np.ndarray, ends_b: np.ndarray, half_b: np.ndarray
    ) -> np.ndarray:
        """Least end-to-end path of each pair of items plus both half lengths, (n_a, n_b) m."""
        sources, position = np.unique(ends_a, return_inverse=True)
        rows = self._from_nodes(sources)[position.reshape(ends_a.shape)]  # (n_a, 2, n_nodes)
        best = np.full((len(ends_a), len(ends_b)), np.inf)
        for k in range(2):
            for m in range(2):
                np.minimum(best, rows[:, k, :][:, ends_b[:, m]], out=best)
        return best + half_a[:, None] + half_b[None, :]

    def _from_nodes(self, sources: np.ndarray) -> np.ndarray:
        """Rows of the node distance matrix for ``sources`` (node positions), m."""
        from scipy.sparse.csgraph import dijkstra

        todo = sorted({int(s) for s in sources} - self._rows.keys())
        if todo:
            for s, row in zip(
                todo, dijkstra(self._graph, directed=False, indices=todo), strict=True
            ):
                self._rows[s] = row
        if len(sources) == 0:
            return np.empty((0, len(self._nodes)))
        return np.vstack([self._rows[int(s)] for s in sources])

    @staticmethod
    def _check(name: str, known: pd.Index, what: str) -> str:
        if name not in known:
            raise ValueError(f"no {what} {name!r} in the network")
        return name

    @staticmethod
    def _indexer(names: Sequence[str], known: pd.Index, what: str) -> np.ndarray:
        position = known.get_indexer(list(names))
        if (position < 0).any():
            unknown = [n for n, p in zip(names, position, strict=True) if p < 0]
            raise ValueError(f"no {what} {unknown[0]!r} in the network")
        return position


def _pipe_graph(ends: np.ndarray, length_m: np.ndarray, n_nodes: int):
    """Symmetric sparse adjacency of the pipes, the shortest of parallel pipes kept (m)."""
    from scipy.sparse import csr_matrix

    a, b = ends.min(axis=1), ends.max(axis=1)
    keep = a != b  # a pipe from a node to itself shortens no path
    frame = pd.DataFrame({"a": a[keep], "b": b[keep], "length": length_m[keep]})
    shortest = frame.groupby(["a", "b"], as_index=False)["length"].min()
    weight = shortest["length"].to_numpy()  # an explicit 0 stays an edge for csgraph
    rows = np.concatenate([shortest["a"], shortest["b"]])
    cols = np.concatenate([shortest["b"], shortest["a"]])
    return csr_matrix((np.concatenate([weight, weight]), (rows, cols)), shape=(n_nodes, n_nodes))
