"""Overview: is water being lost, what does it cost, which leaks are open, are the feeds healthy."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import Dash, Input, Output, dcc, html

from twin.dashboard import ids
from twin.dashboard.components import (
    PageContext,
    data_table,
    key_figure,
    position_of,
    reader_note,
    stamp,
)
from twin.dashboard.event_table import EVENT_COLUMNS, event_rows, operator_states
from twin.dashboard.reader import RunReader

__all__ = [
    "NAME",
    "PATH",
    "feed_health",
    "kpi_totals",
    "layout",
    "loss_figures",
    "open_events",
    "register",
]

PATH = "/"
NAME = "Overview"

_OPEN_COLUMNS = ("event_id", "area", "raised_at", "flow_m3h", "lost_m3", "cost", "state", "pipe")
_KIND_OF_UNIT = {"m": "pressure and level", "m3/s": "flow and AMR"}


def layout(reader: RunReader, context: PageContext) -> html.Div:
    """The overview page at the replay position."""
    summary = reader.summary()
    day = 86_400
    marks = {
        t: f"{summary.origin + pd.Timedelta(seconds=t):%m-%d}"
        for t in range(summary.first_s, summary.last_s + 1, day)
    }
    return html.Div(
        [
            html.H2("Overview"),
            html.P(reader_note(reader), className="run-note"),
            html.Label("Replay position"),
            dcc.Slider(
                id=ids.REPLAY_SLIDER,
                min=summary.first_s,
                max=summary.last_s,
                step=summary.step_s,
                value=context.position_s,
                marks=marks,
                updatemode="mouseup",
                # the box beside the slider would show raw seconds: the time is written below
                allow_direct_input=False,
            ),
            html.Div(
                stamp(summary, context.position_s),
                id=ids.REPLAY_STAMP,
                style={"margin": "0.2rem 0 0.8rem", "fontWeight": 600},
            ),
            html.Div(
                id=ids.OVERVIEW_KPIS, style={"display": "flex", "gap": "1rem", "flexWrap": "wrap"}
            ),
            html.H3("Open leak events"),
            html.Div(id=ids.OPEN_EVENTS),
            html.H3("Feed health"),
            html.Div(id=ids.FEED_HEALTH),
        ]
    )


def loss_figures(reader: RunReader, now_s: int) -> list[html.Div]:
    """Headline figures: NRW and real losses of the run, and the open leaks at ``now_s``."""
    price, currency = reader.price()
    totals = _balance_totals(reader.water_balance())
    detail = ""
    if totals is None:  # a live run writes water_balance.json at its end: the days so far
        totals = kpi_totals(reader.kpis(), now_s)
        detail = " (days so far)"
    cards = []
    if totals is not None:
        system_input, nrw, real_per_day = totals
        share = 100 * nrw / system_input if system_input else float("nan")
        cards += [
            key_figure(
                "Non-revenue water" + detail,
                f"{share:.1f} %",
                f"{nrw:,.0f} m³ of {system_input:,.0f} m³",
                "alarm" if share > 20 else "warn" if share > 10 else "normal",
            ),
            key_figure(
                "Real losses" + detail,
                f"{real_per_day:,.0f} m³/day",
                f"{real_per_day * price:,.0f} {currency}/day at {price:.2f} {currency}/m³",
            ),
        ]
    rows = [r for r in _rows(reader, now_s) if r["state"] != "repaired"]
    flow = sum(r["flow_m3h"] for r in rows if pd.notna(r["flow_m3h"]))
    lost = sum(r["lost_m3"] for r in rows if pd.notna(r["lost_m3"]))
    cards += [
        key_figure(
            "Open leaks",
            str(len(rows)),
            f"{flow:,.1f} m³/h together",
            "alarm" if rows else "normal",
        ),
        key_figure(
            "Lost by open leaks so far", f"{lost:,.0f} m³", f"{lost * price:,.0f} {currency}"
        ),
    ]
    return cards


def _balance_totals(balance: list[dict]) -> tuple[float, float, float] | None:
    """System input (m³), NRW (m³) and real losses (m³/day) of water_balance.json's rows."""
    if not balance:
        return None
    system_input = sum(float(row.get("system_input_m3") or 0) for row in balance)
    nrw = sum(float(row.get("nrw_m3") or 0) for row in balance)
    real_per_day = sum(float(row.get("real_losses_m3_per_day") or 0) for row in balance)
    return system_input, nrw, real_per_day


def kpi_totals(kpis: pd.DataFrame, now_s: int) -> tuple[float, float, float] | None:
    """System input (m³), NRW (m³) and real losses (m³/day) of the periods ended by ``now_s``.

    Parameters
    ----------
    kpis : pandas.DataFrame
        Gold KPI rows (``kpi, area, period_start, period_end, value, unit``, times in s
        since the origin): ``system_input`` (m³), ``nrw`` (% of system input) and
        ``real_losses`` (m³) per zone and period.
    now_s : int
        Run time, s.

    Returns
    -------
    tuple of float or None
        None when no period has ended yet.
    """
    if kpis.empty:
        return None
    done = kpis[kpis["period_end"] <= now_s]
    wide = done.pivot_table(
        index=["area", "period_start", "period_end"], columns="kpi", values="value"
    )
    if wide.empty or "system_input" not in wide:
        return None
    system_input = wide["system_input"]
    nrw = float((wide["nrw"] * system_input / 100).sum()) if "nrw" in wide else 0.0
    periods = wide.index.to_frame(index=False)
    days = (periods["period_end"] - periods["period_start"]).groupby(periods["area"]).sum() / 86_400
    real = wide["real_losses"].groupby(level="area").sum() if "real_losses" in wide else days * 0
    real_per_day = float((real / days).sum())
    return float(system_input.sum()), nrw, real_per_day


def open_events(reader: RunReader, now_s: int) -> Any:
    """A table of the events open at ``now_s`` (not closed and not repaired by an operator)."""
    rows = [r for r in _rows(reader, now_s) if r["state"] not in ("repaired", "closed")]
    if not rows:
        return html.P(f"No open leak event at {stamp(reader.summary(), now_s)}.")
    _, currency = reader.price()
    headers = {k: h for k, h in EVENT_COLUMNS}
    headers["cost"] = f"Cost so far [{currency}]"
    return data_table(ids.OPEN_EVENTS + "-table", rows, [(k, headers[k]) for k in _OPEN_COLUMNS])


def feed_health(reader: RunReader, now_s: int) -> html.Div:
    """Share of readings arrived up to ``now_s``, sensors flagged, late batches."""
    arrived = reader.arrivals_until(now_s)
    quality = reader.quality()
    flagged = quality[quality["flagged"] > 0]
    late = reader.batches()
    late = late[(late["delay_s"] > 3600) & (late["last_event_time"] <= now_s)]
    cards = []
    for row in arrived.itertuples(index=False):
        share = 100 * row.received / row.slots if row.slots else float("nan")
        cards.append(
            key_figure(
                f"Readings arrived ({_KIND_OF_UNIT.get(row.si_unit, row.si_unit)})",
                f"{share:.1f} %",
                f"{row.sensors} series, {row.flagged:,} values flagged",
                "alarm" if share < 90 else "warn" if share < 99 else "normal",
            )
        )
    names = ", ".join(flagged["sensor_id"].head(12))
    cards.append(
        key_figure(
            "Sensors flagged",
            str(len(flagged)),
            names + (" ..." if len(flagged) > 12 else ""),
            "warn" if len(flagged) else "normal",
        )
    )
    cards.append(key_figure("Batches over 1 h late", str(len(late)), "see Sensors and feeds"))
    return html.Div(cards, style={"display": "flex", "gap": "1rem", "flexWrap": "wrap"})


def _rows(reader: RunReader, now_s: int) -> list[dict]:
    view = reader.network() if reader.summary().network else None
    price, _ = reader.price()
    states = operator_states(reader.actions())
    return event_rows(
        reader.events(), reader.candidates(), states, reader.summary().origin, now_s, view, price
    )


def register(app: Dash, reader: RunReader) -> None:
    """The callbacks of the overview page."""

    @app.callback(
        Output(ids.REPLAY_POSITION, "data"),
        Output(ids.REPLAY_STAMP, "children"),
        Output(ids.OVERVIEW_KPIS, "children"),
        Output(ids.OPEN_EVENTS, "children"),
        Output(ids.FEED_HEALTH, "children"),
        Input(ids.REPLAY_SLIDER, "value"),
    )
    def show_position(value: Any) -> tuple:
        now_s = position_of(reader.summary(), value)
        return (
            now_s,
            stamp(reader.summary(), now_s),
            loss_figures(reader, now_s),
            open_events(reader, now_s),
            feed_health(reader, now_s),
        )

    if reader.live:

        @app.callback(
            Output(ids.REPLAY_SLIDER, "max"),
            Output(ids.REPLAY_SLIDER, "value"),
            Input(ids.LIVE_INTERVAL, "n_intervals"),
        )
        def follow_live_run(_: int | None) -> tuple[int, int]:
            last = reader.summary().last_s
            return last, last
