"""Leak cases to score layouts on: which simulated leaks, with which noise, and how far apart.

A case is one simulated leak (junction, size, time of day) read once with noise drawn from a
seed: the noisy pressure change at every junction (where a logger could be), what the
noise-free change would let a logger detect, and whether a zone's supply meter sees it.
Building the cases once lets every layout, and every step of a search, be scored on the
very same draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from twin.evaluate.distance import PipeDistances
from twin.placement.settings import PlacementSettings
from twin.placement.signatures import LeakSignatures

__all__ = [
    "CaseSet",
    "draw_cases",
    "junction_distances",
    "localization_dictionary",
]


@dataclass(frozen=True)
class CaseSet:
    """Noisy leak cases, sorted by time of day (cases of one time share a dictionary).

    Attributes
    ----------
    observed : ndarray of float32, shape (n_cases, n_junctions)
        Pressure change read at every junction, m: the simulated change plus noise.
    seen : ndarray of bool, shape (n_cases, n_junctions)
        True where the noise-free change exceeds the detection threshold.
    inflow_detected : ndarray of bool, shape (n_cases,)
        A zone's supply meter sees the leak.
    leak : ndarray of int, shape (n_cases,)
        Position of the true leak junction.
    size, time, draw : ndarray of int, shape (n_cases,)
        Positions in the signatures' ``diameters_m`` and ``times_s``, and the noise draw.
    leak_flow_m3h : ndarray, shape (n_cases,)
        The leak's outflow, m³/h.
    tie_break : ndarray of float32, shape (n_cases, n_junctions)
        A tiny random score (below 1e-9) added to every candidate's correlation, so that
        equal scores (one logger gives every candidate the same) rank in a random order
        drawn from the seed rather than by junction order.
    groups : list of (int, slice)
        Each time position with the slice of cases at that time.
    """

    observed: npt.NDArray[np.float32]
    seen: npt.NDArray[np.bool_]
    inflow_detected: npt.NDArray[np.bool_]
    leak: npt.NDArray[np.int64]
    size: npt.NDArray[np.int64]
    time: npt.NDArray[np.int64]
    draw: npt.NDArray[np.int64]
    leak_flow_m3h: npt.NDArray[np.float64]
    tie_break: npt.NDArray[np.float32]
    groups: list[tuple[int, slice]]

    def __len__(self) -> int:
        return len(self.leak)

    def visible(self) -> CaseSet:
        """The cases a logger somewhere could see (noise-free change above the threshold).

        The others no layout can localize better than a guess: their random top candidates
        only add noise to a search's objective.
        """
        return self.subset(self.seen.any(axis=1))

    def subset(self, keep: npt.NDArray[np.bool_]) -> CaseSet:
        """The cases where ``keep`` is True, still sorted by time."""
        arrays = {
            name: getattr(self, name)[keep]
            for name in ("observed", "seen", "inflow_detected", "leak", "size", "time", "draw")
        }
        arrays["leak_flow_m3h"] = self.leak_flow_m3h[keep]
        arrays["tie_break"] = self.tie_break[keep]
        groups, start = [], 0
        for t, group in self.groups:
            n = int(keep[group].sum())
            groups.append((t, slice(start, start + n)))
            start += n
        return CaseSet(**arrays, groups=groups)


TIE_BREAK = 1e-9
"""Scale of :attr:`CaseSet.tie_break`: far below any real difference of two correlations."""


def draw_cases(
    signatures: LeakSignatures,
    settings: PlacementSettings,
    *,
    sizes: Sequence[int] | None = None,
    times: Sequence[int] | None = None,
    leaks: Sequence[int] | None = None,
    seed: int = 0,
) -> CaseSet:
    """Read the chosen simulated leaks ``settings.draws`` times each, with seeded noise.

    Parameters
    ----------
    signatures : LeakSignatures
    settings : PlacementSettings
        Noise, detection threshold and number of draws.
    sizes, times : sequence of int, optional
        Positions in ``signatures.diameters_m`` / ``times_s`` to use. Default: all.
    leaks : sequence of int, optional
        Positions of the junctions to put leaks at. Default: every junction.
    seed : int
        Seed of the noise and the tie-breaks.

    Returns
    -------
    CaseSet
        ``len(sizes) * len(times) * len(leaks) * draws`` cases, less those EPANET did not
        balance.
    """
    rng = np.random.default_rng(seed)
    sizes = _positions(sizes, len(signatures.diameters_m), "size")
    times = _positions(times, len(signatures.times_s), "time")
    leaks = _positions(leaks, signatures.n_junctions, "leak junction")
    threshold_m3s = settings.inflow_threshold_m3h / 3600.0
    parts: dict[str, list[np.ndarray]] = {}
    groups, start = [], 0
    for t in times:
        grid = np.array(np.meshgrid(sizes, leaks, np.arange(settings.draws), indexing="ij"))
        s, k, d = (a.ravel() for a in grid)
        ok = signatures.converged[s, t, k]
        s, k, d = s[ok], k[ok], d[ok]
        change = signatures.pressure_change[s, t, k].astype(np.float64)
        noise = rng.standard_normal(change.shape) * settings.reading_sigma_m
        noise += rng.standard_normal(change.shape) * settings.relative_error * change
        supply = np.abs(signatures.supply_change[s, t, k]).max(axis=1, initial=0.0)
        _append(parts, observed=(change + noise).astype(np.float32))
        _append(parts, seen=np.abs(change) > settings.detection_threshold_m)
        _append(parts, inflow_detected=supply > threshold_m3s, leak=k, size=s, draw=d)
        _append(parts, time=np.full(len(k), t), leak_flow_m3h=signatures.leak_flow[s, t, k] * 3600)
        tie = rng.random(change.shape, dtype=np.float32) * np.float32(TIE_BREAK)
        _append(parts, tie_break=tie)
        groups.append((t, slice(start, start + len(k))))
        start += len(k)
    joined = {key: np.concatenate(values) for key, values in parts.items()}
    return CaseSet(**joined, groups=groups)


def _append(parts: dict[str, list[np.ndarray]], **arrays: np.ndarray) -> None:
    for key, value in arrays.items():
        parts.setdefault(key, []).append(value)


def _positions(chosen: Sequence[int] | None, n: int, what: str) -> np.ndarray:
    if chosen is None:
        return np.arange(n)
    positions = np.asarray(list(chosen), dtype=np.int64)
    if len(positions) == 0 or (positions < 0).any() or (positions >= n).any():
        raise ValueError(f"{what} positions must lie in 0..{n - 1} and not be empty, got {chosen}")
    return positions


def localization_dictionary(
    signatures: LeakSignatures, kind: str = "sensitivity"
) -> npt.NDArray[np.float64]:
    """What the twin's localizer compares the pressure changes with, per time of day.

    Parameters
    ----------
    signatures : LeakSignatures
    kind : {"sensitivity", "simulated"}
        ``"sensitivity"``: the analytic sensitivity matrix at the time (what the twin's
        correlation localizer uses; the default). ``"simulated"``: the simulated changes of
        the middle leak size (a dictionary of what-if solves, as a model-fit localizer has).

    Returns
    -------
    ndarray, shape (n_times, n_junctions, n_junctions)
        ``[t, i, k]``: change at junction i for a leak at junction k (m per m³/s for the
        sensitivity, m for the simulated changes; a correlation ignores the scale).
    """
    if kind == "sensitivity":
        return signatures.sensitivity.astype(np.float64)
    if kind == "simulated":
        middle = len(signatures.diameters_m) // 2
        return np.transpose(signatures.pressure_change[middle], (0, 2, 1)).astype(np.float64)
    raise ValueError(f"dictionary must be 'sensitivity' or 'simulated', got {kind!r}")


def junction_distances(wn: object, junction_ids: Sequence[str]) -> npt.NDArray[np.float64]:
    """Walking distance along the mains between every two junctions, m.

    Pipe-path distances (:class:`twin.evaluate.distance.PipeDistances`), except that a valve
    or pump counts as a 0 m link: a crew walks past a PRV, and L-Town's areas are joined only
    through valves, which the BattLeDIM rule (pipes only) would leave infinitely far apart.
    Junctions no link joins stay as far apart as the farthest joined pair.

    Returns
    -------
    ndarray, shape (n_junctions, n_junctions)
        m; rows and columns in ``junction_ids`` order.
    """
    rows = [
        (name, link.start_node_name, link.end_node_name, float(getattr(link, "length", 0.0)))
        for name, link in wn.links()
    ]
    links = pd.DataFrame(rows, columns=["link", "start_node", "end_node", "length_m"])
    distances = PipeDistances(links.set_index("link"), wn.node_name_list)
    matrix = distances.node_distances(list(junction_ids), list(junction_ids)).to_numpy()
    finite = np.isfinite(matrix)
    if not finite.all():
        matrix[~finite] = matrix[finite].max()
    return matrix
