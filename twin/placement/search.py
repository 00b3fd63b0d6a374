"""Swap search: improve a layout by moving one logger at a time to a better junction.

Starting from a layout (usually the greedy one), each logger that may move is taken out in
turn and put back wherever the objective is lowest (:func:`twin.placement.greedy.best_addition`);
a move is kept only if it lowers the objective. The passes repeat until one moves nothing,
or the pass or time limit is reached. Greedy search cannot undo an early choice that later
ones made redundant; a swap can.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from twin.placement.greedy import ScreeningSettings, best_addition, screening_rows
from twin.placement.incremental import IncrementalLayout

__all__ = ["SwapResult", "swap_search"]

IMPROVEMENT_M = 0.01
"""A move must lower the objective by more than this, m (no churn on rounding)."""


@dataclass(frozen=True)
class SwapResult:
    """What the swap search did.

    Attributes
    ----------
    layout : list of int
        Junction positions of the final layout.
    objective_m : float
        Its exact objective, m.
    moves : list of (int, int, float)
        ``(from, to, objective_m)`` for every logger moved, in order.
    passes : int
        Passes made over the movable loggers.
    seconds : float
        Wall time, s.
    """

    layout: list[int]
    objective_m: float
    moves: list[tuple[int, int, float]]
    passes: int
    seconds: float


def swap_search(
    state: IncrementalLayout,
    candidates: Sequence[int],
    *,
    fixed: Sequence[int] = (),
    screening: ScreeningSettings | None = None,
    seed: int = 0,
    max_passes: int = 2,
    time_limit_s: float | None = None,
    on_move: Callable[[int, int, float], None] | None = None,
) -> SwapResult:
    """Move loggers of ``state``'s layout while that lowers the objective (``state`` changes).

    Parameters
    ----------
    state : IncrementalLayout
        Holds the starting layout; ends with the improved one.
    candidates : sequence of int
        Junction positions where a logger may go.
    fixed : sequence of int
        Loggers that stay (the existing ones).
    screening : ScreeningSettings, optional
    seed : int
        Seed of the screening sample.
    max_passes : int
        Passes over the movable loggers at most.
    time_limit_s : float, optional
        No new move is tried after this many seconds.
    on_move : callable, optional
        ``on_move(loggers_tried, loggers_movable, objective_m)`` after each logger tried.

    Returns
    -------
    SwapResult
    """
    started = time.perf_counter()
    screening = screening or ScreeningSettings()
    rows = screening_rows(len(state.cases), screening, seed)
    allowed = [int(j) for j in dict.fromkeys(candidates)]
    current = state.objective()
    moves: list[tuple[int, int, float]] = []
    passes = 0
    for passes in range(1, max_passes + 1):  # noqa: B007 (reported after the loop)
        movable = [j for j in state.layout if j not in set(fixed)]
        moved = False
        for tried, logger in enumerate(movable, start=1):
            if time_limit_s is not None and time.perf_counter() - started > time_limit_s:
                return SwapResult(list(state.layout), current, moves, passes, _since(started))
            state.remove(logger)
            free = [j for j in allowed if j not in state.layout]
            j, value = best_addition(state, free, rows, screening)
            if j != logger and value < current - IMPROVEMENT_M:
                state.add(j)
                moves.append((logger, j, value))
                current, moved = value, True
            else:
                state.add(logger)
            if on_move is not None:
                on_move(tried, len(movable), current)
        if not moved:
            break
    return SwapResult(list(state.layout), current, moves, passes, _since(started))


def _since(started: float) -> float:
    return time.perf_counter() - started
