"""The leak events as the control room sees them: flow, water and money lost, operator state.

Pure functions over the gold ``events`` and ``candidates`` tables and the operator actions.
"""

from __future__ import annotations

import pandas as pd

from twin.dashboard.network_view import NetworkView
from twin.units import M3S_TO_M3H

__all__ = [
    "ACTION_LABELS",
    "EVENT_COLUMNS",
    "event_rows",
    "operator_states",
    "operator_times",
    "search_area",
    "shown_events",
]

ACTION_LABELS = {"acknowledged": "acknowledged", "crew_sent": "crew sent", "repaired": "repaired"}
"""How each stored operator action reads on screen."""

EVENT_COLUMNS = (
    ("event_id", "Event"),
    ("area", "Zone"),
    ("raised_at", "Raised at"),
    ("start_estimate", "Start (estimate)"),
    ("flow_m3h", "Flow [m³/h]"),
    ("lost_m3", "Lost so far [m³]"),
    ("cost", "Cost so far"),
    ("state", "State"),
    ("acted_at", "Operator action at"),
    ("twin_state", "Twin's state"),
    ("pipe", "Most likely pipe"),
    ("search_area_km", "Search area [km]"),
)
"""Columns of the event table: key and header (the cost header gets the currency)."""


def shown_events(events: pd.DataFrame) -> pd.DataFrame:
    """The events worth a row: confirmed ones and open suspicions, not merged growths.

    Parameters
    ----------
    events : pandas.DataFrame
        Gold ``events`` rows (columns as in :mod:`twin.store.schema`).
    """
    if events.empty:
        return events
    merged = events["note"].fillna("").str.startswith("merged into")
    confirmed = events["confirmed_time"].notna()
    open_suspicion = (events["state"] == "suspected") & events["closed_time"].isna()
    return events[(confirmed | open_suspicion) & ~merged]


def operator_states(actions: pd.DataFrame) -> dict[str, str]:
    """Each event's latest operator action (its screen label), by event id.

    Parameters
    ----------
    actions : pandas.DataFrame
        ``operator_actions`` rows, columns ``event_id``, ``action``, ``time``.

    Examples
    --------
    >>> acts = pd.DataFrame({"event_id": ["E1", "E1"], "action": ["acknowledged", "crew_sent"],
    ...                      "time": pd.to_datetime(["2018-01-02 10:00", "2018-01-02 11:00"])})
    >>> operator_states(acts)
    {'E1': 'crew sent'}
    """
    if actions.empty:
        return {}
    latest = actions.sort_values("time", kind="stable").groupby("event_id").tail(1)
    return {
        e: ACTION_LABELS.get(a, a)
        for e, a in zip(latest["event_id"], latest["action"], strict=True)
    }


def operator_times(actions: pd.DataFrame, origin: pd.Timestamp) -> dict[str, str]:
    """When each event's latest operator action happened on the run's clock, by event id.

    The store keeps the wall-clock time of an action and the run time shown on screen when
    it was taken (``run_time``, s since the origin); a replayed run's events carry run
    times, so the table shows the action's run time beside them ("" where none was stored).

    Parameters
    ----------
    actions : pandas.DataFrame
        ``operator_actions`` rows, columns ``event_id``, ``time``, ``run_time``.
    origin : pandas.Timestamp
        The run's time 0.
    """
    if actions.empty:
        return {}
    latest = actions.sort_values("time", kind="stable").groupby("event_id").tail(1)
    return {
        e: _stamp(origin, t) for e, t in zip(latest["event_id"], latest["run_time"], strict=True)
    }


def search_area(candidates: pd.DataFrame, event_id: str) -> pd.DataFrame:
    """The latest ranking of one event: ``element_id, probability, in_search_area`` by rank."""
    if candidates.empty:
        return candidates
    return candidates[candidates["event_id"] == event_id].sort_values("rank")


def event_rows(
    events: pd.DataFrame,
    candidates: pd.DataFrame,
    states: dict[str, str],
    origin: pd.Timestamp,
    now_s: int,
    view: NetworkView | None,
    price_per_m3: float,
    acted_at: dict[str, str] | None = None,
) -> list[dict]:
    """One table row per shown event, as of run time ``now_s``.

    Parameters
    ----------
    events, candidates : pandas.DataFrame
        Gold tables (candidates: each event's latest ranking).
    states : dict of str to str
        Operator state by event id (:func:`operator_states`).
    origin : pandas.Timestamp
        The run's time 0.
    now_s : int
        Run time the table is for (s): events raised later are left out, volumes counted
        up to it.
    view : NetworkView or None
        The network, to measure search areas (None: no lengths).
    price_per_m3 : float
        Cost of a lost m³.
    acted_at : dict of str to str, optional
        Run time of each event's latest operator action (:func:`operator_times`).

    Returns
    -------
    list of dict
        Keys of :data:`EVENT_COLUMNS`: ``lost_m3`` (m³) is the estimated flow from the
        estimated start to the close or ``now_s``; ``cost`` is that times the price;
        ``state`` the operator's word when there is one, else the twin's.
    """
    rows = []
    for event in shown_events(events).itertuples(index=False):
        if event.raised_time > now_s:
            continue
        flow_m3h = float(event.flow) * M3S_TO_M3H if pd.notna(event.flow) else float("nan")
        until = now_s if pd.isna(event.closed_time) else min(int(event.closed_time), now_s)
        lost = max(until - int(event.start_time), 0) / 3600 * flow_m3h
        ranked = search_area(candidates, event.event_id)
        area = (
            ranked[ranked["in_search_area"].fillna(False).astype(bool)] if len(ranked) else ranked
        )
        rows.append(
            {
                "event_id": event.event_id,
                "area": event.area,
                "raised_at": _stamp(origin, event.raised_time),
                "start_estimate": _stamp(origin, event.start_time),
                "flow_m3h": round(flow_m3h, 2),
                "lost_m3": round(lost, 1),
                "cost": round(lost * price_per_m3, 2),
                "state": states.get(event.event_id, str(event.state)),
                "acted_at": (acted_at or {}).get(event.event_id, ""),
                "twin_state": str(event.state),
                "pipe": str(ranked["element_id"].iloc[0]) if len(ranked) else "",
                "search_area_km": (
                    round(view.length_km(list(area["element_id"])), 3)
                    if view is not None and len(area)
                    else None
                ),
            }
        )
    return rows


def _stamp(origin: pd.Timestamp, seconds: float) -> str:
    if pd.isna(seconds):
        return ""
    return f"{origin + pd.Timedelta(seconds=int(seconds)):%Y-%m-%d %H:%M}"
