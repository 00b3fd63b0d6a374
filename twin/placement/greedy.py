"""Greedy placement: add, one at a time, the logger that lowers the objective most.

Each step tries every free candidate junction. Trying one costs a pass over
(cases x leak candidates), so with hundreds of candidates the step first screens them on a
seeded sample of the cases in single precision and then scores the most promising few
exactly on every case (:func:`best_addition`); the objective recorded is always the exact
one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.placement.incremental import IncrementalLayout

__all__ = ["GreedyResult", "ScreeningSettings", "best_addition", "greedy_placement"]


@dataclass(frozen=True)
class ScreeningSettings:
    """How a search step narrows the candidates before scoring them exactly.

    Attributes
    ----------
    sample_cases : int
        Cases (drawn once from the seed) the screening scores every candidate on [512].
    shortlist : int
        Candidates with the best screening objective scored exactly on every case [12].
    """

    sample_cases: int = 512
    shortlist: int = 12


@dataclass(frozen=True)
class GreedyResult:
    """The loggers in the order the greedy search added them.

    Attributes
    ----------
    added : list of int
        Junction positions, in the order added (after any existing loggers).
    objective_m : list of float
        Exact objective (m) after each addition: ``objective_m[i]`` is the layout of the
        existing loggers plus ``added[: i + 1]``.
    start_objective_m : float
        Objective of the existing loggers alone (no logger at all without them), m.
    seconds : float
        Wall time, s.
    """

    added: list[int]
    objective_m: list[float]
    start_objective_m: float
    seconds: float


def screening_rows(n_cases: int, settings: ScreeningSettings, seed: int) -> np.ndarray | None:
    """The sample of case rows a search screens on (None: few cases, screen on all)."""
    if n_cases <= settings.sample_cases:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_cases, size=settings.sample_cases, replace=False))


def best_addition(
    state: IncrementalLayout,
    free: Sequence[int],
    rows: npt.NDArray[np.int64] | None,
    settings: ScreeningSettings,
) -> tuple[int, float]:
    """The free candidate whose logger lowers the objective most, and that objective (m)."""
    free = np.asarray(free, dtype=np.int64)
    if len(free) > settings.shortlist and rows is not None:
        screened = state.try_adding(free, rows=rows, dtype=np.float32)
        free = free[np.argsort(screened, kind="stable")[: settings.shortlist]]
    exact = state.try_adding(free)
    best = int(np.argmin(exact))
    return int(free[best]), float(exact[best])


def greedy_placement(
    state: IncrementalLayout,
    budget: int,
    candidates: Sequence[int],
    *,
    screening: ScreeningSettings | None = None,
    seed: int = 0,
    on_step: Callable[[int, int, float], None] | None = None,
) -> GreedyResult:
    """Add ``budget`` loggers to ``state``'s layout, greedily (``state`` is changed).

    Parameters
    ----------
    state : IncrementalLayout
        Starts with the existing loggers (kept); ends with the greedy layout.
    budget : int
        Loggers to add.
    candidates : sequence of int
        Junction positions where a logger may go.
    screening : ScreeningSettings, optional
    seed : int
        Seed of the screening sample.
    on_step : callable, optional
        ``on_step(added_so_far, budget, objective_m)`` after each addition.

    Returns
    -------
    GreedyResult
    """
    started = time.perf_counter()
    screening = screening or ScreeningSettings()
    free = [int(j) for j in dict.fromkeys(candidates) if j not in state.layout]
    if budget < 0 or budget > len(free):
        raise ValueError(
            f"budget must be between 0 and the {len(free)} free candidate junctions, got {budget}"
        )
    rows = screening_rows(len(state.cases), screening, seed)
    start = state.objective()
    added, objectives = [], []
    for step in range(budget):
        j, value = best_addition(state, free, rows, screening)
        state.add(j)
        free.remove(j)
        added.append(j)
        objectives.append(value)
        if on_step is not None:
            on_step(step + 1, budget, value)
    return GreedyResult(added, objectives, start, time.perf_counter() - started)
