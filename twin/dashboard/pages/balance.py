"""Water balance: the IWA table per zone and period, NRW over time, minimum night flow with
its legitimate-use band, ILI."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, dcc, html

from twin.dashboard import ids
from twin.dashboard.components import PageContext, data_table, key_figure, reader_note
from twin.dashboard.figures.panels import mnf_figure, nrw_figure
from twin.dashboard.reader import RunReader
from twin.dashboard.zone_flow import zone_consumption
from twin.report.figures import balance_figure
from twin.report.html import BALANCE_COLUMNS, column_header
from twin.waterloss import minimum_night_flow

__all__ = [
    "NAME",
    "PATH",
    "balance_rows",
    "ili_card",
    "ili_value",
    "layout",
    "night_flow_figure",
    "register",
]

PATH = "/balance"
NAME = "Water balance"


def balance_rows(reader: RunReader) -> tuple[list[dict], list[tuple[str, str]]]:
    """The IWA table's rows (rounded) and ``(key, header)`` columns, from water_balance.json."""
    rows = reader.water_balance()
    currency = next((str(r["currency"]) for r in rows if r.get("currency")), None)
    keys = [k for k in BALANCE_COLUMNS if any(k in r for r in rows) and k != "currency"]
    shown = []
    for row in rows:
        shown.append({k: _rounded(row.get(k)) for k in keys})
        if "ili" in keys and ili_value(row) is None:
            shown[-1]["ili"] = "n/a"  # negative real losses: an ILI below zero means nothing
    return shown, [(k, column_header(k, currency)) for k in keys]


def night_flow_figure(reader: RunReader) -> go.Figure:
    """Minimum night flow per zone and night from the measured zone consumption."""
    consumption = zone_consumption(reader)
    flows = tuple(reader.sensors().query("kind == 'flow'")["sensor_id"])
    areas = {a.name: a for a in reader.network().areas(flows)} if flows else {}
    nights = {}
    for column in consumption.columns:
        zone, kind = column.split(" ", 1)
        if kind.startswith("measured"):
            nights[zone] = minimum_night_flow(consumption[column])
    frame = pd.DataFrame(nights)
    return mnf_figure(
        frame,
        {z: a.service_connections for z, a in areas.items()},
        {z: a.night_use_l_per_connection_h for z, a in areas.items()},
    )


def layout(reader: RunReader, context: PageContext) -> html.Div:
    """The water-balance page."""
    rows, columns = balance_rows(reader)
    raw = reader.water_balance()
    ili = [ili_card(r) for r in raw]
    return html.Div(
        [
            html.H2("Water balance"),
            html.P(reader_note(reader)),
            html.Div(ili, style={"display": "flex", "gap": "1rem", "flexWrap": "wrap"}),
            html.H3("IWA water balance per zone and period"),
            data_table(ids.BALANCE_TABLE, rows, columns)
            if rows
            else html.P("This run has no water_balance.json.", id=ids.BALANCE_TABLE),
            dcc.Graph(
                id=ids.BALANCE_FIGURE, figure=balance_figure(raw), config={"displaylogo": False}
            ),
            dcc.Graph(
                id=ids.NRW_FIGURE,
                figure=nrw_figure(reader.kpis(), reader.summary().origin),
                config={"displaylogo": False},
            ),
            dcc.Graph(
                id=ids.MNF_FIGURE, figure=night_flow_figure(reader), config={"displaylogo": False}
            ),
        ]
    )


def ili_value(row: dict) -> float | None:
    """A zone's ILI, None where it means nothing: real losses below zero (the meters'
    errors outweigh the losses) or no UARL."""
    ili = row.get("ili")
    real = row.get("real_losses_m3_per_day", row.get("real_losses_m3"))
    if not isinstance(ili, int | float) or math.isnan(ili):
        return None
    if ili < 0 or (isinstance(real, int | float) and real < 0):
        return None
    return float(ili)


def ili_card(row: dict) -> html.Div:
    """One zone's ILI as a key figure ("n/a" with the reason when real losses are negative)."""
    ili = ili_value(row)
    real = row.get("real_losses_m3_per_day", float("nan"))
    detail = (
        f"UARL {row.get('uarl_m3_per_day', float('nan')):,.1f} m³/d; real losses {real:,.1f} m³/d"
    )
    if ili is None and isinstance(real, int | float) and real < 0:
        detail += ": below zero, within the meters' error, so no ILI"
    tone = "alarm" if (ili or 0) > 8 else "warn" if (ili or 0) > 4 else "normal"
    return key_figure(
        f"ILI zone {row.get('area')}", "n/a" if ili is None else f"{ili:.1f}", detail, tone
    )


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 2)
    return value


def register(app: Dash, reader: RunReader) -> None:
    """The water-balance page is drawn whole by its layout: no callbacks."""
