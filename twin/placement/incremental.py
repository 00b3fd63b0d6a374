"""A layout's score kept up to date as loggers come and go, for searches that try thousands.

Scoring a layout from scratch costs a (cases x loggers) by (loggers x candidates) product per
time of day. A search asks "what if I add logger j?" for every free junction j at every step,
so it keeps, per case, the running dot products of the readings with every candidate's
dictionary column, and per candidate the running squared norm of its column:
adding or removing one logger updates them in O(cases x candidates), and trying logger j
costs one pass over the same array. The correlation and ranking are those of
:func:`twin.placement.scoring.located_candidates` (same tie-break), so the objective
found here equals the one the scorer reports.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from twin.placement.cases import CaseSet
from twin.placement.settings import PlacementSettings

__all__ = ["IncrementalLayout"]

ROW_CHUNK = 1024
"""Cases evaluated at once in :meth:`IncrementalLayout.try_adding`."""

ELEMENTS = 2_000_000
"""Size of the (cases x loggers tried x candidates) arrays evaluated at once (memory bound)."""


class IncrementalLayout:
    """A layout and the running sums that score it; loggers can be added and removed.

    Parameters
    ----------
    cases : CaseSet
    dictionary : ndarray, shape (n_times, n_junctions, n_junctions)
        The localizer's dictionary (:func:`~twin.placement.cases.localization_dictionary`).
    distances : ndarray, shape (n_junctions, n_junctions)
        Walking distances between junctions, m.
    settings : PlacementSettings
    layout : sequence of int
        Junction positions of the loggers to start with.
    """

    def __init__(
        self,
        cases: CaseSet,
        dictionary: npt.NDArray[np.float64],
        distances: npt.NDArray[np.float64],
        settings: PlacementSettings,
        layout: Sequence[int] = (),
    ) -> None:
        self.cases, self.dictionary, self.distances = cases, dictionary, distances
        self.settings = settings
        n_cases, n_candidates = len(cases), dictionary.shape[2]
        self.dot = np.zeros((n_cases, n_candidates))  # Σ_i r_ci S_t[i, k]
        self.reading_energy = np.zeros(n_cases)  # Σ_i r_ci²
        self.column_energy = np.zeros((dictionary.shape[0], n_candidates))  # Σ_i S_t[i, k]²
        self.pressure_seen = np.zeros(n_cases, dtype=np.int64)  # loggers that see the case
        self.layout: list[int] = []
        for j in layout:
            self.add(int(j))

    # --- changing the layout -------------------------------------------------------------
    def add(self, j: int) -> None:
        """Put a logger at junction position ``j``."""
        if j in self.layout:
            raise ValueError(f"junction position {j} already has a logger")
        self.layout.append(j)
        self._update(j, +1.0)

    def remove(self, j: int) -> None:
        """Take the logger at junction position ``j`` away."""
        self.layout.remove(j)
        self._update(j, -1.0)

    def _update(self, j: int, sign: float) -> None:
        r = self.cases.observed[:, j].astype(np.float64)
        for t, group in self.cases.groups:
            row = self.dictionary[t][j]
            self.dot[group] += sign * r[group, None] * row[None, :]
        # The norms are summed afresh (O(loggers x candidates)): a running sum would leave
        # rounding residue where a removal should bring it back to exactly 0.
        layout = np.asarray(self.layout, dtype=np.int64)
        self.column_energy = np.einsum("tik,tik->tk", *(self.dictionary[:, layout],) * 2)
        readings = self.cases.observed[:, layout].astype(np.float64)
        self.reading_energy = np.einsum("ci,ci->c", readings, readings)
        self.pressure_seen += int(sign) * self.cases.seen[:, j]

    # --- scoring ---------------------------------------------------------------------------
    def objective(self) -> float:
        """Objective of the current layout, m (see :class:`PlacementSettings`)."""
        return float(self.try_adding([])[0])

    def try_adding(
        self,
        candidates: Sequence[int],
        rows: npt.NDArray[np.int64] | None = None,
        dtype: type = np.float64,
    ) -> npt.NDArray[np.float64]:
        """Objective (m) of the layout with each candidate logger added, one at a time.

        Parameters
        ----------
        candidates : sequence of int
            Junction positions to try; an empty sequence scores the layout as it is
            (returned as a one-element array).
        rows : ndarray of int, optional
            Score on these cases only (a sample, for screening). Default: every case.
        dtype : numpy float type
            ``np.float32`` halves the work for screening; ``np.float64`` (default) matches
            the scorer exactly.

        Returns
        -------
        ndarray, shape (n_candidates,) or (1,)
        """
        wanted = np.asarray(candidates, dtype=np.int64)
        as_is = len(wanted) == 0
        rows = np.arange(len(self.cases)) if rows is None else np.asarray(rows)
        distance_sum = np.zeros(1 if as_is else len(wanted))
        n_candidates = self.dictionary.shape[2]
        for t, group in self.cases.groups:
            in_group = rows[(rows >= group.start) & (rows < group.stop)]
            for start in range(0, len(in_group), ROW_CHUNK):
                chunk = in_group[start : start + ROW_CHUNK]
                batch = max(1, ELEMENTS // (len(chunk) * n_candidates))
                leak = self.cases.leak[chunk][:, None]
                for first in range(0, max(len(wanted), 1), batch):
                    some = wanted[first : first + batch]
                    top = self._top(t, chunk, some, as_is, dtype)  # (n_rows, n_some)
                    distance_sum[first : first + top.shape[1]] += self.distances[leak, top].sum(0)
        seen = self.cases.inflow_detected[rows] | (self.pressure_seen[rows] > 0)
        if as_is:
            detected = seen.sum(keepdims=True)
        else:
            detected = (seen[:, None] | self.cases.seen[rows][:, wanted]).sum(axis=0)
        n = len(rows)
        return distance_sum / n + self.settings.miss_penalty_m * (1.0 - detected / n)

    def _top(
        self, t: int, rows: np.ndarray, wanted: np.ndarray, as_is: bool, dtype: type
    ) -> npt.NDArray[np.int64]:
        """Top candidate of each case (rows) with each wanted logger added: (rows, wanted)."""
        # Inlined for performance: this is the search's inner loop; the arithmetic is that of
        # twin.localize.correlate.correlation_scores (cosine, 0 where a norm is 0).
        dot = self.dot[rows].astype(dtype)
        energy = self.reading_energy[rows].astype(dtype)[:, None]
        column = self.column_energy[t].astype(dtype)[None, :]
        if as_is:
            cosine = (dot * _inverse_root(column))[:, None, :]
        else:
            reading = self.cases.observed[rows][:, wanted].astype(dtype)  # (rows, wanted)
            row = self.dictionary[t][wanted].astype(dtype)  # (wanted, candidates)
            energy = energy + reading**2
            column = column + row**2
            cosine = reading[:, :, None] * row[None, :, :]  # in place from here: big arrays
            cosine += dot[:, None, :]
            cosine *= _inverse_root(column)[None, :, :]
        cosine *= _inverse_root(energy)[:, :, None]
        cosine += self.cases.tie_break[rows][:, None, :]
        return cosine.argmax(axis=2)


def _inverse_root(values: np.ndarray) -> np.ndarray:
    """``1 / sqrt(values)``, and 0 where ``values`` is 0 (a cosine with a zero vector is 0)."""
    root = np.sqrt(values)
    return np.divide(1.0, root, out=np.zeros_like(root), where=root > 0)
