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
    "DAILY_METHOD",
    "PRESSURE_MODEL",
    "WHOLE_RUN_METHOD",
    "ZONE_MODEL",
    "balance_json",
    "balances",
    "daily_balances",
    "event_rows",
    "events_table",
    "gold_tables",
    "inflow_frame",
    "residual_frame",
    "write_atomic",
    "write_table",
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


def write_table(frame, path: Path) -> None:
    """Write ``frame`` as CSV or Parquet (by extension), atomically: no half-written file."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"--out {path}: the file must end in .csv or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    if suffix == ".csv":
        frame.to_csv(partial, date_format="%Y-%m-%d %H:%M:%S", float_format="%.6g")
    else:
        frame.to_parquet(partial)
    os.replace(partial, path)


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
    index = _index(trace, origin)
    out = []
    for k, area in enumerate(areas.areas):
        if not np.isfinite(trace.consumption[:, k]).any():
            continue
        end = index[-1] + pd.Timedelta(seconds=step_s)
        out.append(_zone_balance(trace, index, k, area, areas, index[0], end, step_s))
    return out


def daily_balances(
    trace: Trace, areas: NetworkAreas, origin: pd.Timestamp, step_s: int
) -> list[WaterBalance]:
    """IWA water balance of each metered zone per calendar day (as :func:`balances`).

    A day runs from midnight to midnight, cut to the steps recorded (the first and the last
    day of a run may be partial). A zone's day with less than an hour of measured
    consumption (too short to say anything), or with a system input that is not positive
    (its storage metered badly), is left out.
    """
    if not len(trace.times):
        return []
    index = _index(trace, origin)
    day = index.floor("D")
    out = []
    for midnight in day.unique():
        rows = np.flatnonzero(day == midnight)
        part = _rows(trace, rows)
        start = max(index[rows[0]], midnight)
        end = min(index[rows[-1]] + pd.Timedelta(seconds=step_s), midnight + pd.Timedelta(days=1))
        for k, area in enumerate(areas.areas):
            used = np.isfinite(part.consumption[:, k])
            if used.sum() * step_s < 3600 or not part.consumption[used, k].sum() > 0:
                continue
            out.append(_zone_balance(part, index[rows], k, area, areas, start, end, step_s))
    return out


def _rows(trace: Trace, rows: np.ndarray) -> Trace:
    """The steps ``rows`` of a trace (the arrays the water balance reads)."""
    return Trace(
        trace.times[rows],
        trace.consumption[rows],
        trace.expected[rows],
        trace.metered[rows],
        trace.pressure_measured[rows],
        trace.pressure_expected[rows],
        trace.zone_pressure[rows],
        trace.level[rows],
        trace.converged[rows],
        trace.amr[rows],
        len(rows),
    )


def _zone_balance(
    trace: Trace,
    index: pd.DatetimeIndex,
    k: int,
    area,
    areas: NetworkAreas,
    start: pd.Timestamp,
    end: pd.Timestamp,
    step_s: int,
) -> WaterBalance:
    """The water balance of zone ``k`` over the steps of ``trace`` (see :func:`balances`)."""
    used = np.isfinite(trace.consumption[:, k])
    # where meters cover (almost) every junction the model's expectation may fall a hair
    # below what they read; unmetered use is never negative
    unmetered_expected = np.maximum(trace.expected[:, k] - trace.metered[:, k], 0.0)
    inflow = pd.Series(trace.consumption[:, k] * M3S_TO_M3H, index=index)
    # a day cut to one step has no sampling step, so no night flow
    mnf = minimum_night_flow(inflow) if len(inflow) > 1 else pd.Series(dtype=float)
    # a step EPANET could not balance may carry any pressure at all, and a zone cut off from
    # supply (a tank run dry) shows huge negative ones: the average operating pressure of
    # UARL is over the steps the zone was really supplied
    zone_pressure = trace.zone_pressure[:, k]
    supplied = used & trace.converged.astype(bool) & (zone_pressure >= 0.0)
    pressure = np.nanmean(zone_pressure[supplied]) if supplied.any() else np.nan
    return water_balance(
        area=area.name,
        start=start,
        end=end,
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


ZONE_MODEL = "zone consumption"
"""``residuals.model`` of the hourly zone consumption rows (sensor_id: the zone's name)."""
PRESSURE_MODEL = "hourly mean"
"""``residuals.model`` of the hourly pressure rows (sensor_id: the logger's node)."""
WHOLE_RUN_METHOD = "iwa-top-down"
"""``kpis.method`` of the KPIs over the whole watched span."""
DAILY_METHOD = "iwa-top-down daily"
"""``kpis.method`` of the KPIs per calendar day."""


def gold_tables(
    book: EventBook,
    balance: list[WaterBalance],
    trace: Trace,
    pressure_ids: list[str],
    origin: pd.Timestamp,
    candidates: pd.DataFrame | None = None,
    *,
    zones: list[str] | None = None,
    daily: list[WaterBalance] | None = None,
) -> dict[str, pd.DataFrame]:
    """The run's gold tables (events, candidates, KPIs, hourly residuals) in SI.

    Parameters
    ----------
    book : EventBook
    balance : list of WaterBalance
        Whole-run balances: KPIs with method :data:`WHOLE_RUN_METHOD`.
    trace : Trace
    pressure_ids : list of str
        The loggers, in the order of the trace's pressure columns.
    origin : pandas.Timestamp
    candidates : pandas.DataFrame, optional
        ``candidates.csv`` rows.
    zones : list of str, optional
        The zones, in the order of the trace's zone columns: their hourly measured and
        expected consumption become residual rows (model :data:`ZONE_MODEL`, m³/s).
    daily : list of WaterBalance, optional
        Balances per day (:func:`daily_balances`): KPIs with method :data:`DAILY_METHOD`.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``events``, ``candidates``, ``kpis`` and ``residuals`` with the store's columns
        (:data:`twin.store.gold.GOLD_COLUMNS`); times in s since ``origin``. Residual rows
        are hourly means (bins from midnight, stamped at the hour's start) of the steps where
        both the measured and the expected value are known.
    """
    kpis = [
        *_kpi_rows(balance, origin, WHOLE_RUN_METHOD),
        *_kpi_rows(daily or [], origin, DAILY_METHOD),
    ]
    kpi_frame = pd.DataFrame(kpis, columns=list(GOLD_COLUMNS["kpis"]))
    residuals = _hourly_rows(
        trace.pressure_measured,
        trace.pressure_expected,
        pressure_ids,
        trace,
        origin,
        unit="m",
        model=PRESSURE_MODEL,
    )
    if zones:
        zone_rows = _hourly_rows(
            trace.consumption,
            trace.expected,
            zones,
            trace,
            origin,
            unit="m3/s",
            model=ZONE_MODEL,
        )
        residuals = pd.concat([residuals, zone_rows], ignore_index=True)
    return {
        "events": _event_frame(book),
        "candidates": _candidate_frame(candidates, origin),
        "kpis": kpi_frame,
        "residuals": residuals,
    }


def _event_frame(book: EventBook) -> pd.DataFrame:
    """Gold ``events``: every event of the book (flow in m³/s)."""
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
    return events


def _kpi_rows(balance: list[WaterBalance], origin: pd.Timestamp, method: str) -> list[tuple]:
    """KPI rows ``kpi, area, period_start, period_end, value, unit, method`` of balances."""
    rows = []
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
            rows.append((kpi, b.area, start, end, value, unit, method))
    return rows


def _hourly_rows(
    measured: np.ndarray,
    expected: np.ndarray,
    names: list[str],
    trace: Trace,
    origin: pd.Timestamp,
    *,
    unit: str,
    model: str,
) -> pd.DataFrame:
    """Long gold residual rows: hourly means of measured, expected and their difference."""
    columns = list(GOLD_COLUMNS["residuals"])
    if not len(trace.times) or not names:
        return pd.DataFrame(columns=columns)
    index = _index(trace, origin)
    residual = measured - expected
    known = np.isfinite(residual)
    hourly = {
        name: pd.DataFrame(values, index=index, columns=names).resample("1h").mean()
        for name, values in (
            ("residual", residual),
            ("measured", np.where(known, measured, np.nan)),
            ("expected", np.where(known, expected, np.nan)),
        )
    }
    hours = hourly["residual"].index
    seconds = ((hours - origin).total_seconds()).astype("int64").to_numpy()
    return pd.DataFrame(
        {
            "sensor_id": np.repeat(np.asarray(names, dtype=object), len(hours)),
            "unit": unit,
            "time": np.tile(seconds, len(names)),
            "measured": hourly["measured"].to_numpy().T.ravel(),
            "expected": hourly["expected"].to_numpy().T.ravel(),
            "residual": hourly["residual"].to_numpy().T.ravel(),
            "model": model,
        },
        columns=columns,
    )


def _candidate_frame(candidates: pd.DataFrame | None, origin: pd.Timestamp) -> pd.DataFrame:
    """Gold ``candidates`` from ``candidates.csv`` rows."""
    ranked = no_candidates() if candidates is None else candidates
    return pd.DataFrame(
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


def balance_json(balance: list[WaterBalance]) -> str:
    """``water_balance.json`` text: one object per zone."""
    return json.dumps([b.to_dict() for b in balance], indent=2, allow_nan=False) + "\n"
