"""Score a scenario run against its truth and condense it into flat summary figures.

The matching and the figures are :mod:`twin.evaluate`'s (the same as ``twin evaluate``'s):
a leak is detected by the first event in its zone raised after it started, false alarms are
the confirmed events that detected nothing, localization distances are measured over the
pipes, and the BattLeDIM score is computed from the run's ``leaks.txt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.evaluate.metrics import false_alarms, localize_leaks, match_events
from twin.evaluate.metrics import summary as evaluation_summary

__all__ = ["Score", "balance_totals", "score_run"]


@dataclass(frozen=True)
class Score:
    """A run matched against its truth.

    Attributes
    ----------
    leaks : pandas.DataFrame
        One row per true leak that started during the watch: ``leak_id, pipe, zone,
        diameter_mm, kind, start`` then :func:`~twin.evaluate.metrics.match_events`' and
        :func:`~twin.evaluate.metrics.localize_leaks`' columns (``delay_h`` in h,
        ``distance_m`` in m).
    false_alarms : pandas.DataFrame
        The confirmed events that detected no leak (rows of ``events.csv``).
    figures : dict of str to float or int
        See :func:`score_run`.
    """

    leaks: pd.DataFrame
    false_alarms: pd.DataFrame
    figures: dict[str, Any]


def score_run(
    out: Path,
    truth_dir: Path,
    events: pd.DataFrame,
    wn,
    areas,
    watch_start: pd.Timestamp,
    watched_days: float,
) -> Score:
    """Match the run's events to the true leaks and measure detection and localization.

    Parameters
    ----------
    out : Path
        The run's folder (``candidates.csv``, ``leaks.txt``).
    truth_dir : Path
        The truth folder the plant wrote.
    events : pandas.DataFrame
        The twin's confirmed events (``events.csv``).
    wn : wntr.network.WaterNetworkModel
    areas : NetworkAreas
    watch_start : pandas.Timestamp
        Leaks that started before it (in the history) are not scored.
    watched_days : float

    Returns
    -------
    Score
        ``figures``: ``leaks`` (started in the watch), ``leaks_in_history``,
        ``leaks_detected``, ``false_alarms``, ``false_alarms_per_30d``,
        ``detection_delay_median_h``, ``delay_abrupt_median_h``,
        ``delay_incipient_median_h``, ``leaks_localized``, ``top1_share``, ``top10_share``,
        ``localization_distance_median_m``, ``localization_distance_p90_m``,
        ``within_300m_share``, ``in_search_area_share``, ``search_area_median_km``,
        ``battledim_score_eur``, ``battledim_perfect_eur``, ``battledim_share``,
        ``true_leak_volume_m3``; NaN where a figure cannot be measured.
    """
    from twin.evaluate.cases import battledim_score, true_leaks
    from twin.evaluate.distance import PipeDistances
    from twin.evaluate.truth import read_truth

    truth = read_truth(truth_dir)
    every = true_leaks(0, truth, wn, areas).drop(columns="case")
    in_watch = pd.to_datetime(every["start"]) >= watch_start
    leaks = every[in_watch].reset_index(drop=True)
    distances = PipeDistances.from_model(wn)
    matched = match_events(events, leaks)
    ranking = out / "candidates.csv"
    candidates = pd.read_csv(ranking, dtype={"pipe": str}) if ranking.is_file() else None
    located = localize_leaks(matched, events, distances, candidates)
    alarms = false_alarms(events, matched)
    earned, perfect = battledim_score(out / "leaks.txt", truth, distances)
    table = evaluation_summary(located, len(alarms), watched_days, earned, perfect)["value"]
    detected = located[located["event_id"].notna()]
    figures = {
        "leaks": len(leaks),
        "leaks_in_history": int((~in_watch).sum()),
        "leaks_detected": len(detected),
        "false_alarms": len(alarms),
        "false_alarms_per_30d": table["false_alarms_per_30d"],
        "detection_delay_median_h": _median(detected["delay_h"]),
        "delay_abrupt_median_h": table["delay_abrupt_h"],
        "delay_incipient_median_h": table["delay_incipient_h"],
        "leaks_localized": int(detected["localized"].astype(bool).sum()),
        "top1_share": table["top1"],
        "top10_share": table["top10"],
        "localization_distance_median_m": table["distance_median_m"],
        "localization_distance_p90_m": table["distance_p90_m"],
        "within_300m_share": table["within_300m"],
        "in_search_area_share": table["in_search_area"],
        "search_area_median_km": table["search_area_km"],
        "battledim_score_eur": np.nan if earned is None else float(earned),
        "battledim_perfect_eur": np.nan if perfect is None else float(perfect),
        "battledim_share": table["battledim_share"],
        "true_leak_volume_m3": _volume_m3(truth.outflow_m3s),
    }
    return Score(located, alarms, {k: _plain(v) for k, v in figures.items()})


def _volume_m3(outflow_m3s: pd.DataFrame | None) -> float:
    """Water all leaks lost over the run, m³ (each rate holds until the next stamp)."""
    if outflow_m3s is None or len(outflow_m3s) < 2:
        return float("nan")
    step_s = (outflow_m3s.index[1] - outflow_m3s.index[0]).total_seconds()
    return float(outflow_m3s.to_numpy().sum() * step_s)


def balance_totals(balance: list[dict[str, Any]]) -> dict[str, float]:
    """The water balance summed over the zones: volumes in m³, NRW as % of system input.

    Parameters
    ----------
    balance : list of dict
        :meth:`WaterBalance.to_dict` of each zone over the watch.

    Returns
    -------
    dict of str to float
        ``system_input_m3``, ``billed_metered_m3``, ``real_losses_m3``,
        ``apparent_losses_m3``, ``nrw_m3``, ``nrw_percent`` (NaN without input),
        ``cost_of_real_losses``.
    """
    keys = (
        "system_input_m3",
        "billed_metered_m3",
        "real_losses_m3",
        "apparent_losses_m3",
        "nrw_m3",
        "cost_of_real_losses",
    )
    totals = {k: float(np.nansum([_number(row.get(k)) for row in balance])) for k in keys}
    source = totals["system_input_m3"]
    totals["nrw_percent"] = totals["nrw_m3"] / source * 100 if source > 0 else float("nan")
    return totals


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _median(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.median()) if len(values) else float("nan")


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: NumPy numbers to Python ones."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
