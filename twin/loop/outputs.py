"""What a twin run leaves behind: events.csv, water_balance.json, report.html and gold tables."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.detect.events import EventBook
from twin.evaluate.results import HEADER as LEAKS_TXT_HEADER
from twin.loop.twin_run import Trace
from twin.network.areas import NetworkAreas
from twin.store.gold import GOLD_COLUMNS
from twin.units import M3S_TO_M3H
from twin.waterloss import WaterBalance, minimum_night_flow, water_balance

__all__ = [
    "balance_json",
    "balances",
    "event_rows",
    "events_table",
    "gold_tables",
    "inflow_frame",
    "residual_frame",
    "write_atomic",
]


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _stamp(origin: pd.Timestamp, seconds: Any) -> str:
    if seconds is None or (isinstance(seconds, float) and np.isnan(seconds)):
        return ""
    return (origin + pd.Timedelta(seconds=int(seconds))).strftime("%Y-%m-%d %H:%M:%S")


def event_rows(book: EventBook, origin: pd.Timestamp, end_s: int) -> pd.DataFrame:
    """One row per event that was confirmed (transients the twin dropped, and events merged
    into an earlier leak as its growth, are left out).

    Columns: ``event_id, detected_at, start_estimate, flow_m3h, area, state, detector,
    confirmed_at, closed_at, volume_m3, sensors`` (times ``YYYY-MM-DD HH:MM:SS``); the
    volume is the estimated flow from the estimated start to the close (or ``end_s``).
    """
    frame = book.to_frame(origin)
    kept = [e for e in book if e.confirmed_at is not None and not _merged(e)]
    frame = frame[frame["event_id"].isin([e.event_id for e in kept])].reset_index(drop=True)
    volume = [
        e.flow_m3h * ((e.closed_at if e.closed_at is not None else end_s) - e.start_estimate) / 3600
        for e in kept
    ]
    frame.insert(frame.columns.get_loc("closed_at") + 1, "volume_m3", np.round(volume, 1))
    frame["flow_m3h"] = frame["flow_m3h"].astype(float).round(2)
    return frame


def _merged(event) -> bool:
    """Whether an event was closed as the growth of another (see LeakDetector.merge)."""
    return any(note.startswith("merged into") for _, _, note in event.history)


def events_table(book: EventBook, origin: pd.Timestamp, end_s: int) -> str:
    """``events.csv`` text (see :func:`event_rows`)."""
    return event_rows(book, origin, end_s).to_csv(index=False, lineterminator="\n")


def _index(trace: Trace, origin: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(origin + pd.to_timedelta(trace.times, unit="s"), name="time")


def inflow_frame(trace: Trace, zones: list[str], origin: pd.Timestamp) -> pd.DataFrame:
    """Measured and expected consumption per zone, m³/h, for the report."""
    columns = {}
    for k, zone in enumerate(zones):
        columns[f"{zone} measured [m3/h]"] = trace.consumption[:, k] * M3S_TO_M3H
        columns[f"{zone} expected [m3/h]"] = trace.expected[:, k] * M3S_TO_M3H
    return pd.DataFrame(columns, index=_index(trace, origin))


def residual_frame(trace: Trace, pressure_ids: list[str], origin: pd.Timestamp) -> pd.DataFrame:
    """Pressure residual per logger, m, for the report."""
    return pd.DataFrame(
        trace.pressure_residual,
        index=_index(trace, origin),
        columns=[f"pressure {p} [m]" for p in pressure_ids],
    )


def balances(
    trace: Trace, areas: NetworkAreas, origin: pd.Timestamp, step_s: int
) -> list[WaterBalance]:
    """IWA water balance of each metered zone over the whole run.

    System input is the zone's measured consumption (inlets minus storage) integrated over
    the steps with a reading; billed metered is what the AMR meters read; billed unmetered is
    the twin's expectation for the customers without a smart meter (their zone's typical
    consumption x level), so real losses are what the zone took beyond what its customers
    are expected to have used. Steps without a measured consumption are left out of every
    term, and the period's days count only the steps used.
    """
    out = []
    index = _index(trace, origin)
    for k, area in enumerate(areas.areas):
        used = np.isfinite(trace.consumption[:, k])
        if not used.any():
            continue
        unmetered_expected = trace.expected[:, k] - trace.metered[:, k]
        inflow = pd.Series(trace.consumption[:, k] * M3S_TO_M3H, index=index)
        mnf = minimum_night_flow(inflow)
        pressure = np.nanmean(trace.zone_pressure[used, k]) if used.any() else np.nan
        out.append(
            water_balance(
                area=area.name,
                start=index[0],
                end=index[-1] + pd.Timedelta(seconds=step_s),
                system_input_m3=float(trace.consumption[used, k].sum() * step_s),
                billed_metered_m3=float(np.nansum(trace.metered[used, k]) * step_s),
                billed_unmetered_m3=float(np.nansum(unmetered_expected[used]) * step_s),
                average_pressure_m=float(pressure) if np.isfinite(pressure) else 0.0,
                mains_length_km=area.mains_length_km,
                service_connections=area.service_connections,
                private_pipe_km=area.private_pipe_km,
                mnf_m3h=float(mnf.mean()) if mnf.notna().any() else float("nan"),
                night_use_l_per_connection_h=area.night_use_l_per_connection_h,
                water_price_per_m3=areas.water_price_per_m3,
                currency=areas.currency,
            )
        )
    return out


CANDIDATE_COLUMNS = ("event_id", "time", "rank", "pipe", "probability", "in_search_area")
"""Columns of ``candidates.csv``: each localization's most likely pipes."""


def no_candidates() -> pd.DataFrame:
    """An empty candidate table (a run that localized nothing)."""
    return pd.DataFrame(columns=list(CANDIDATE_COLUMNS))


def leaks_txt(book: EventBook, origin: pd.Timestamp) -> str:
    """``leaks.txt`` in BattLeDIM's result layout: one line per location the twin named.

    A ``# linkID, startTime`` header, then ``pipe, YYYY-MM-DD HH:MM`` for each localization
    of each event in time order (a refined location that names the same pipe again is left
    out). Times are rounded up to the minute: a location is never claimed early.
    """
    lines = []
    for event in book:
        if _merged(event):
            continue  # its location is the earlier leak's, already named
        named = set()
        for time_s, pipe in event.locations:
            if pipe not in named:
                lines.append((time_s, pipe))
                named.add(pipe)
    body = [
        f"{pipe}, {(origin + pd.Timedelta(seconds=t)).ceil('min'):%Y-%m-%d %H:%M}"
        for t, pipe in sorted(lines)
    ]
    return "\n".join([LEAKS_TXT_HEADER, *body]) + "\n"


def gold_tables(
    book: EventBook,
    balance: list[WaterBalance],
    trace: Trace,
    pressure_ids: list[str],
    origin: pd.Timestamp,
    candidates: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The run's gold tables (events, candidates, KPIs, hourly pressure residuals) in SI."""
    events = pd.DataFrame(
        [
            {
                "event_id": e.event_id,
                "area": e.area,
                "detector": e.detector,
                "state": str(e.state),
                "raised_time": e.raised_at,
                "start_time": e.start_estimate,
                "flow": e.flow_m3h / M3S_TO_M3H,
                "confirmed_time": e.confirmed_at,
                "closed_time": e.closed_at,
                "sensors": list(e.sensors),
                "note": e.history[-1][2] if e.history else "",
            }
            for e in book
        ],
        columns=list(GOLD_COLUMNS["events"]),
    )
    for column in ("confirmed_time", "closed_time"):
        events[column] = events[column].astype("Int64")
    kpis = []
    for b in balance:
        start = int((b.start - origin).total_seconds())
        end = int((b.end - origin).total_seconds())
        for kpi, value, unit in (
            ("system_input", b.system_input_m3, "m3"),
            ("real_losses", b.real_losses_m3, "m3"),
            ("nrw", b.nrw_percent, "%"),
            ("ili", b.ili, "1"),
            ("mnf", b.mnf_m3h / M3S_TO_M3H, "m3/s"),
        ):
            kpis.append((kpi, b.area, start, end, value, unit, "iwa-top-down"))
    kpi_frame = pd.DataFrame(
        kpis, columns=["kpi", "area", "period_start", "period_end", "value", "unit", "method"]
    )
    hourly = residual_frame(trace, pressure_ids, origin)
    hourly = hourly.resample("1h").mean() if len(hourly) else hourly
    long = hourly.reset_index().melt(id_vars="time", var_name="sensor", value_name="residual")
    residuals = pd.DataFrame(
        {
            "sensor_id": long["sensor"].str.split(" ").str[1],
            "unit": "m",
            "time": ((long["time"] - origin).dt.total_seconds()).astype("int64"),
            "measured": np.nan,
            "expected": np.nan,
            "residual": long["residual"],
            "model": "hourly mean",
        }
    )
    ranked = no_candidates() if candidates is None else candidates
    gold_candidates = pd.DataFrame(
        {
            "event_id": ranked["event_id"].astype(str),
            "time": ((pd.to_datetime(ranked["time"]) - origin).dt.total_seconds()).astype("int64"),
            "rank": ranked["rank"].astype("int64"),
            "element_id": ranked["pipe"].astype(str),
            "element_kind": "link",
            "probability": ranked["probability"].astype(float),
            "in_search_area": ranked["in_search_area"].astype(bool),
            "method": "pooled",
        },
        columns=list(GOLD_COLUMNS["candidates"]),
    )
    return {
        "events": events,
        "candidates": gold_candidates,
        "kpis": kpi_frame,
        "residuals": residuals,
    }


def balance_json(balance: list[WaterBalance]) -> str:
    """``water_balance.json`` text: one object per zone."""
    return json.dumps([b.to_dict() for b in balance], indent=2, allow_nan=False) + "\n"
