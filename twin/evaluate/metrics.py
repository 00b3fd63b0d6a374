"""Detection and localization figures of a twin over cases whose leaks are known.

The matching rule (the same as ``bench/detection.py``'s):

* an event *detects* a leak when it was raised in the leak's metering zone, no earlier than
  one hour before the leak started (and, as every event, before the end of the data); each
  leak is detected at most once: events are taken in the order they were raised, and the
  earliest-starting leak of the zone not yet detected takes the event;
* every other event is a *false alarm* (a second event for a leak already detected too);
* the *delay* is the time from the leak's start (for an incipient leak, the start of its
  growth) to the event.

A detected leak is *localized* when its event names a most likely pipe. Localization figures
are shares of the detected leaks (a detected leak without a location counts as a miss) and
distances over the localized ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.evaluate.battledim import TOLERANCE_M
from twin.evaluate.distance import PipeDistances

__all__ = [
    "LEAD_TIME",
    "TOP_K",
    "false_alarms",
    "localize_leaks",
    "match_events",
    "summary",
]

LEAD_TIME = pd.Timedelta(hours=1)
"""How long before a leak's start an event may be raised and still detect it."""

TOP_K = 10
"""Length of the ranking the top-k accuracy looks into."""


def match_events(events: pd.DataFrame, leaks: pd.DataFrame) -> pd.DataFrame:
    """Give each leak the first event that detects it (see the module docstring).

    Parameters
    ----------
    events : pandas.DataFrame
        The twin's confirmed events: ``event_id``, ``detected_at`` (timestamp or
        ``YYYY-MM-DD HH:MM:SS`` text), ``area`` (zone name).
    leaks : pandas.DataFrame
        The true leaks of the same period: ``zone`` (zone name) and ``start`` (timestamp);
        any other column is kept.

    Returns
    -------
    pandas.DataFrame
        ``leaks`` with ``event_id`` (the detecting event, None if missed), ``detected_at``
        (timestamp, NaT if missed) and ``delay_h`` (h from the leak's start to the event,
        negative up to -1 h; NaN if missed).

    Examples
    --------
    >>> events = pd.DataFrame(
    ...     {"event_id": ["E1", "E2"], "detected_at": ["2018-01-02 03:00:00"] * 2,
    ...      "area": ["C", "AB"]}
    ... )
    >>> leaks = pd.DataFrame({"zone": ["AB"], "start": [pd.Timestamp("2018-01-02")]})
    >>> match_events(events, leaks)[["event_id", "delay_h"]].values.tolist()
    [['E2', 3.0]]
    """
    matched = leaks.copy()
    starts = pd.to_datetime(matched["start"])
    zones = matched["zone"].to_numpy()
    taken: list[str | None] = [None] * len(matched)
    at: list[pd.Timestamp] = [pd.NaT] * len(matched)
    raised = pd.to_datetime(pd.Series(events["detected_at"].to_numpy(), dtype=object))
    order = raised.sort_values(kind="stable").index
    for event_id, zone, when in zip(
        events["event_id"].to_numpy()[order],
        events["area"].to_numpy()[order],
        raised[order],
        strict=True,
    ):
        open_leaks = [
            k
            for k in range(len(matched))
            if taken[k] is None and zones[k] == zone and when >= starts.iat[k] - LEAD_TIME
        ]
        if open_leaks:
            k = min(open_leaks, key=lambda j: (starts.iat[j], j))
            taken[k], at[k] = event_id, when
    matched["event_id"] = pd.Series(taken, index=matched.index, dtype=object)
    matched["detected_at"] = pd.to_datetime(pd.Series(at, index=matched.index))
    matched["delay_h"] = (matched["detected_at"] - starts) / pd.Timedelta(hours=1)
    return matched


def false_alarms(events: pd.DataFrame, matched: pd.DataFrame) -> pd.DataFrame:
    """The events that detected no leak (rows of ``events``, in their order).

    Parameters
    ----------
    events : pandas.DataFrame
        The events given to :func:`match_events`.
    matched : pandas.DataFrame
        What :func:`match_events` returned.
    """
    used = set(matched["event_id"].dropna())
    return events[~events["event_id"].isin(used)]


def localize_leaks(
    matched: pd.DataFrame,
    events: pd.DataFrame,
    distances: PipeDistances,
    candidates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How well each detected leak was localized by the event that detected it.

    Parameters
    ----------
    matched : pandas.DataFrame
        :func:`match_events`' result; ``pipe`` is the true leak pipe (a leak on a junction
        has no pipe: NaN or empty).
    events : pandas.DataFrame
        The events: ``event_id`` and, when the twin localized, ``pipe`` (most likely pipe,
        empty or NaN when not localized), ``search_area_pipes`` (pipe ids joined by ``";"``)
        and ``search_area_km`` (km). Without a ``pipe`` column no leak is localized.
    distances : PipeDistances
        Pipe-to-pipe distances over the network.
    candidates : pandas.DataFrame, optional
        The twin's rankings (``candidates.csv``): ``event_id``, ``time``, ``rank`` (from 1),
        ``pipe``; of several localizations of an event the latest counts. Without it the
        top-k columns are NA (unknown).

    Returns
    -------
    pandas.DataFrame
        ``matched`` with ``localized`` (bool: detected and a pipe named), ``top_pipe`` (the
        event's most likely pipe, None), ``top1`` (bool: it is the leak's pipe), ``rank``
        (rank of the leak's pipe in the event's ranking, NaN if absent), ``top10`` (boolean,
        NA when no ranking is known), ``distance_m`` (m, from the top pipe to the leak's
        pipe; NaN if not localized), ``search_area_km`` (km) and ``in_search_area`` (bool:
        the leak's pipe is one to walk).
    """
    out = matched.copy()
    by_id = events.set_index("event_id") if len(events) else events
    top = [_event_field(by_id, e, "pipe") for e in out["event_id"]]
    out["top_pipe"] = pd.Series(top, index=out.index, dtype=object)
    out["localized"] = out["top_pipe"].notna()
    true_pipe = out["pipe"].where(out["pipe"].notna() & (out["pipe"] != ""), None)
    out["top1"] = out["localized"] & (out["top_pipe"] == true_pipe)
    known = set(distances.pipe_ids)
    out["distance_m"] = [
        distances.pipe_distance(t, p) if t in known and p in known else np.nan
        for t, p in zip(out["top_pipe"], true_pipe, strict=True)
    ]
    area_km = [_event_field(by_id, e, "search_area_km") for e in out["event_id"]]
    out["search_area_km"] = pd.to_numeric(pd.Series(area_km, index=out.index), errors="coerce")
    walk = [_event_field(by_id, e, "search_area_pipes") for e in out["event_id"]]
    out["in_search_area"] = [
        bool(p) and isinstance(w, str) and p in w.split(";")
        for p, w in zip(true_pipe, walk, strict=True)
    ]
    out["rank"] = _ranks(out["event_id"], true_pipe, candidates)
    if candidates is None:
        out["top10"] = pd.array([pd.NA] * len(out), dtype="boolean")
    else:
        out["top10"] = pd.array(out["rank"] <= TOP_K, dtype="boolean")
    return out


def _event_field(by_id: pd.DataFrame, event_id: str | None, column: str) -> object:
    """An event's value in ``column``; None when there is no event, column or value."""
    if event_id is None or column not in by_id.columns or event_id not in by_id.index:
        return None
    value = by_id.at[event_id, column]
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return None
    return value


def _ranks(
    event_ids: pd.Series, true_pipe: pd.Series, candidates: pd.DataFrame | None
) -> np.ndarray:
    """Rank of each leak's pipe in its event's latest ranking (NaN: not ranked)."""
    ranks = np.full(len(event_ids), np.nan)
    if candidates is None or len(candidates) == 0:
        return ranks
    ranked = candidates.assign(time=pd.to_datetime(candidates["time"]))
    latest = ranked.groupby("event_id")["time"].transform("max")
    ranked = ranked[ranked["time"] == latest]
    rank_of = {(e, p): float(r) for e, p, r in ranked[["event_id", "pipe", "rank"]].values}
    for k, (event_id, pipe) in enumerate(zip(event_ids, true_pipe, strict=True)):
        ranks[k] = rank_of.get((event_id, pipe), np.nan)
    return ranks


def summary(
    leaks: pd.DataFrame,
    n_false_alarms: int,
    watched_days: float,
    earned_eur: float | None = None,
    perfect_eur: float | None = None,
) -> pd.DataFrame:
    """The evaluation's figures, one row each.

    Parameters
    ----------
    leaks : pandas.DataFrame
        :func:`localize_leaks`' result over all cases (``kind`` is ``abrupt`` or
        ``incipient``).
    n_false_alarms : int
        False alarms over all cases.
    watched_days : float
        Days the twin watched, over all cases.
    earned_eur, perfect_eur : float, optional
        BattLeDIM score and perfect score, EUR, summed over the cases; None when unknown.

    Returns
    -------
    pandas.DataFrame
        Index ``figure`` (``detected``, ``false_alarms_per_30d``, ``delay_abrupt_h``,
        ``delay_incipient_h``, ``top1``, ``top10``, ``distance_median_m``,
        ``distance_p90_m``, ``within_300m``, ``in_search_area``, ``search_area_km``,
        ``battledim_share``); columns ``label`` (words), ``value`` (float: a share 0-1, h,
        m, km or per 30 days; NaN when it cannot be measured), ``shown`` (the value as text,
        ``"unavailable"`` when unknown) and ``basis`` (what it is measured on).

    Examples
    --------
    >>> leaks = pd.DataFrame({"kind": ["abrupt"], "event_id": ["E1"], "delay_h": [0.5],
    ...     "localized": [True], "top1": [True], "top10": pd.array([True], dtype="boolean"),
    ...     "distance_m": [0.0], "in_search_area": [True], "search_area_km": [1.2]})
    >>> summary(leaks, 1, 15.0).loc[["detected", "false_alarms_per_30d"], "shown"].tolist()
    ['100%', '2.00']
    """
    detected = leaks[leaks["event_id"].notna()]
    n, d = len(leaks), len(detected)
    localized = detected[detected["localized"].astype(bool)]
    rows = [
        ("detected", "leaks detected", _share(d, n), f"{d}/{n} leaks"),
        (
            "false_alarms_per_30d",
            "false alarms per 30 days",
            n_false_alarms / watched_days * 30 if watched_days > 0 else np.nan,
            f"{n_false_alarms} in {watched_days:g} watched days",
        ),
    ]
    for kind in ("abrupt", "incipient"):
        delays = detected.loc[detected["kind"] == kind, "delay_h"]
        total = int((leaks["kind"] == kind).sum())
        value = float(delays.median()) if len(delays) else np.nan
        rows.append(
            (
                f"delay_{kind}_h",
                f"median delay, {kind} (h)",
                value,
                f"{len(delays)}/{total} {kind} leaks detected",
            )
        )
    rows += _localization_rows(detected, localized)
    share = earned_eur / perfect_eur if earned_eur is not None and perfect_eur else np.nan
    basis = (
        "no leaks.txt"
        if earned_eur is None or perfect_eur is None
        else f"{earned_eur:,.0f} of {perfect_eur:,.0f} EUR"
    )
    rows.append(("battledim_share", "BattLeDIM score, share of perfect", share, basis))
    table = pd.DataFrame(rows, columns=["figure", "label", "value", "basis"]).set_index("figure")
    table["value"] = table["value"].astype(float)
    table.insert(2, "shown", [_shown(f, v) for f, v in table["value"].items()])
    return table


def _localization_rows(detected: pd.DataFrame, localized: pd.DataFrame) -> list[tuple]:
    d = len(detected)
    of_detected = f"of {d} detected"
    top10 = detected["top10"].astype("boolean")
    ranked = top10.notna()
    distance = localized["distance_m"].dropna()
    area = localized["search_area_km"].dropna()
    return [
        ("top1", "top-1 pipe accuracy", _share(detected["top1"].sum(), d), of_detected),
        (
            "top10",
            f"top-{TOP_K} pipe accuracy",
            _share(top10[ranked].sum(), ranked.sum()) if ranked.any() else np.nan,
            f"of {int(ranked.sum())} detected" if ranked.any() else "no ranking (candidates.csv)",
        ),
        (
            "distance_median_m",
            "localization distance, median (m)",
            float(distance.median()) if len(distance) else np.nan,
            f"{len(distance)} localized",
        ),
        (
            "distance_p90_m",
            "localization distance, 90th percentile (m)",
            float(np.percentile(distance, 90)) if len(distance) else np.nan,
            f"{len(distance)} localized",
        ),
        (
            "within_300m",
            f"localized within {TOLERANCE_M:.0f} m",
            _share((localized["distance_m"] <= TOLERANCE_M).sum(), d),
            of_detected,
        ),
        (
            "in_search_area",
            "leak pipe in the search area",
            _share(detected["in_search_area"].astype(bool).sum(), d),
            of_detected,
        ),
        (
            "search_area_km",
            "search area, median (km)",
            float(area.median()) if len(area) else np.nan,
            f"{len(area)} localized",
        ),
    ]


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else np.nan


def _shown(figure: str, value: float) -> str:
    """A figure's value as the table shows it."""
    if np.isnan(value):
        return "unavailable"
    if figure in ("detected", "top1", "top10", "within_300m", "in_search_area"):
        return f"{value:.0%}"
    if figure == "battledim_share":
        return f"{value:.1%}"
    if figure.endswith("_m"):
        return f"{value:,.0f}"
    return (
        f"{value:.2f}" if figure in ("false_alarms_per_30d", "search_area_km") else f"{value:.1f}"
    )
