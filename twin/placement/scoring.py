"""Score a layout of pressure loggers on every leak case: detection and localization distance.

For each case the readings at the layout's loggers are ranked against the localizer's
dictionary by correlation (:func:`twin.localize.correlate.correlation_scores`, the twin's
sensitivity method); the top candidate's walking distance to the true leak is the case's
localization error. A case is detected when a zone's supply meter or one of the layout's
loggers sees the leak (:class:`~twin.placement.settings.PlacementSettings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from twin.localize.correlate import correlation_scores
from twin.placement.cases import CaseSet
from twin.placement.settings import PlacementSettings
from twin.placement.signatures import LeakSignatures

__all__ = ["LayoutScore", "located_candidates", "score_layout", "summarise"]

CHUNK = 4096
"""Cases ranked at once: bounds the (cases x candidates) score array to ~25 MB."""


@dataclass(frozen=True)
class LayoutScore:
    """How one layout does on a set of leak cases.

    Attributes
    ----------
    cases : pandas.DataFrame
        One row per case (noise draw of a leak), columns: ``leak_junction``,
        ``diameter_mm``, ``hour`` (time of day, h), ``draw``, ``leak_flow_m3h``,
        ``detected`` (bool), ``detected_by`` (``"inflow"``, ``"pressure"`` or ``"none"``),
        ``located_junction`` (top candidate), ``distance_m`` (walking distance from the true
        leak to the top candidate, m), ``true_rank`` (rank of the true junction, 1 = top).
    summary : dict
        See :func:`summarise`.
    """

    cases: pd.DataFrame
    summary: dict[str, float]


def located_candidates(
    cases: CaseSet, dictionary: npt.NDArray[np.float64], layout: Sequence[int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Top candidate of every case, and the rank of the true leak junction.

    Parameters
    ----------
    cases : CaseSet
    dictionary : ndarray, shape (n_times, n_junctions, n_junctions)
        From :func:`twin.placement.cases.localization_dictionary`.
    layout : sequence of int
        Junction positions of the loggers.

    Returns
    -------
    top, true_rank : ndarray of int, shape (n_cases,)
        Position of the top candidate; rank of the true junction (1 = top).
    """
    layout = np.asarray(layout, dtype=np.int64)
    top = np.zeros(len(cases), dtype=np.int64)
    rank = np.zeros(len(cases), dtype=np.int64)
    for t, group in cases.groups:
        columns = dictionary[t][layout]  # loggers x candidates
        for start in range(group.start, group.stop, CHUNK):
            rows = slice(start, min(start + CHUNK, group.stop))
            readings = cases.observed[rows][:, layout].astype(np.float64)
            if len(layout):
                scores = correlation_scores(columns, readings) + cases.tie_break[rows]
            else:  # no logger: every candidate scores alike, the tie-break picks one
                scores = cases.tie_break[rows].astype(np.float64)
            top[rows] = scores.argmax(axis=1)
            truth = scores[np.arange(len(scores)), cases.leak[rows]]
            rank[rows] = (scores > truth[:, None]).sum(axis=1) + 1
    return top, rank


def detected(cases: CaseSet, layout: Sequence[int]) -> npt.NDArray[np.bool_]:
    """Cases a zone's supply meter or one of the layout's loggers sees (bool, (n_cases,))."""
    layout = np.asarray(layout, dtype=np.int64)
    by_pressure = cases.seen[:, layout].any(axis=1) if len(layout) else False
    return cases.inflow_detected | by_pressure


def score_layout(
    cases: CaseSet,
    dictionary: npt.NDArray[np.float64],
    distances: npt.NDArray[np.float64],
    layout: Sequence[int],
    signatures: LeakSignatures,
    settings: PlacementSettings,
) -> LayoutScore:
    """Score one layout over every case (see the module doc).

    Parameters
    ----------
    cases : CaseSet
    dictionary : ndarray, shape (n_times, n_junctions, n_junctions)
    distances : ndarray, shape (n_junctions, n_junctions)
        Walking distance between junctions, m (:func:`~twin.placement.cases.junction_distances`).
    layout : sequence of int
        Junction positions of the loggers.
    signatures : LeakSignatures
        For the junction ids, sizes and times the cases refer to.
    settings : PlacementSettings

    Returns
    -------
    LayoutScore
    """
    top, rank = located_candidates(cases, dictionary, layout)
    seen = detected(cases, layout)
    ids = signatures.junction_ids
    frame = pd.DataFrame(
        {
            "leak_junction": ids[cases.leak],
            "diameter_mm": signatures.diameters_m[cases.size] * 1000.0,
            "hour": signatures.times_s[cases.time] / 3600.0,
            "draw": cases.draw,
            "leak_flow_m3h": cases.leak_flow_m3h,
            "detected": seen,
            "detected_by": np.where(
                cases.inflow_detected, "inflow", np.where(seen, "pressure", "none")
            ),
            "located_junction": ids[top],
            "distance_m": distances[cases.leak, top],
            "true_rank": rank,
        }
    )
    return LayoutScore(frame, summarise(frame, len(layout), settings))


def summarise(frame: pd.DataFrame, n_sensors: int, settings: PlacementSettings) -> dict:
    """The figures of a layout from its per-case frame.

    Returns
    -------
    dict
        ``sensors`` (count), ``cases``, ``expected_distance_m`` (mean over cases, m),
        ``median_distance_m``, ``p90_distance_m`` (m), ``within_m`` (share of cases whose
        top candidate is within ``settings.near_m`` of the leak, 0-1), ``detection_rate``
        (0-1), ``objective`` (m, lower is better: see
        :class:`~twin.placement.settings.PlacementSettings`).
    """
    distance = frame["distance_m"].to_numpy()
    rate = float(frame["detected"].mean())
    expected = float(distance.mean())
    return {
        "sensors": n_sensors,
        "cases": len(frame),
        "expected_distance_m": expected,
        "median_distance_m": float(np.median(distance)),
        "p90_distance_m": float(np.percentile(distance, 90)),
        "within_m": float((distance <= settings.near_m).mean()),
        "detection_rate": rate,
        "objective": objective(expected, rate, settings),
    }


def objective(expected_distance_m: float, detection_rate: float, settings: PlacementSettings):
    """Expected distance plus the miss penalty for the undetected share, m."""
    return expected_distance_m + settings.miss_penalty_m * (1.0 - detection_rate)
