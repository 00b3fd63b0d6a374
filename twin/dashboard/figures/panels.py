"""Figures of the overview, water-balance and sensor pages: pure functions, tables in."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "NIGHT_USE_BAND_L_PER_CONNECTION_H",
    "coverage_figure",
    "element_series_figure",
    "empty_figure",
    "mnf_figure",
    "nrw_figure",
]

NIGHT_USE_BAND_L_PER_CONNECTION_H = (1.3, 2.5)
"""Typical legitimate night use, L per connection per hour (residential, IWA/UK practice)."""

_KIND_COLOURS = {
    "pressure": "#1f77b4",
    "flow": "#7b3294",
    "tank_level": "#1b7837",
    "amr_demand": "#636363",
}


def empty_figure(message: str, height: int = 200) -> go.Figure:
    """A blank figure that says why it is blank."""
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    figure.update_layout(
        template="plotly_white",
        height=height,
        xaxis={"visible": False},
        yaxis={"visible": False},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return figure


def nrw_figure(kpis: pd.DataFrame, origin: pd.Timestamp) -> go.Figure:
    """Non-revenue water of each zone per stored period, in % of system input.

    Parameters
    ----------
    kpis : pandas.DataFrame
        Gold KPI rows (``kpi, area, period_start, period_end, value, unit``); the rows with
        ``kpi == "nrw"`` are drawn, one point per period at its middle.
    origin : pandas.Timestamp
        The run's time 0.
    """
    nrw = kpis[kpis["kpi"] == "nrw"] if not kpis.empty else kpis
    if nrw.empty:
        return empty_figure("No NRW in this run's KPIs.")
    figure = go.Figure()
    for area, rows in nrw.groupby("area", sort=True):
        middle = origin + pd.to_timedelta((rows["period_start"] + rows["period_end"]) / 2, unit="s")
        width = pd.to_timedelta(rows["period_end"] - rows["period_start"], unit="s")
        figure.add_trace(
            go.Scatter(
                x=middle,
                y=rows["value"],
                name=str(area),
                mode="lines+markers",
                error_x={
                    "type": "data",
                    "array": (width / 2) / pd.Timedelta(milliseconds=1),
                    "thickness": 1,
                    "width": 0,
                },
                hovertemplate="%{x}<br>NRW %{y:.1f} %<extra>" + str(area) + "</extra>",
            )
        )
    periods = nrw["period_start"].nunique()
    note = "" if periods > 1 else " (one period stored: the whole watched span)"
    # the axis spans the stored periods: one point alone would autorange to milliseconds
    start = (origin + pd.Timedelta(seconds=int(nrw["period_start"].min()))).floor("D")
    end = (origin + pd.Timedelta(seconds=int(nrw["period_end"].max()))).ceil("D")
    days = (end - start) / pd.Timedelta(days=1)
    figure.update_xaxes(
        range=[start, end],
        dtick=86_400_000 * max(1, int(np.ceil(days / 14))),  # ms: whole days, 14 ticks at most
        tickformat="%b %d",
    )
    figure.update_layout(
        title=f"Non-revenue water per zone{note}",
        yaxis_title="NRW [% of system input]",
        template="plotly_white",
        height=360,
        margin={"l": 70, "r": 20, "t": 60, "b": 40},
    )
    return figure


def mnf_figure(
    mnf_m3h: pd.DataFrame, connections: Mapping[str, int], night_use: Mapping[str, float]
) -> go.Figure:
    """Minimum night flow of each zone per night, with its legitimate-use band.

    Parameters
    ----------
    mnf_m3h : pandas.DataFrame
        Index: nights (dates); one column per zone, MNF in m³/h.
    connections : mapping of str to int
        Service connections of each zone.
    night_use : mapping of str to float
        The zone's assumed legitimate night use, L per connection per hour.

    Returns
    -------
    plotly.graph_objects.Figure
        Per zone, on one axis: the MNF as markers, a shaded band of legitimate night use from
        :data:`NIGHT_USE_BAND_L_PER_CONNECTION_H` and a dashed line at the zone's own
        figure; what lies above the band is night leakage.
    """
    if mnf_m3h.empty:
        return empty_figure("No zone inflows to take a minimum night flow from.")
    palette = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
    figure = go.Figure()
    for k, zone in enumerate(mnf_m3h.columns):
        for trace in _night_traces(
            mnf_m3h[zone],
            str(zone),
            connections.get(zone, 0),
            night_use.get(zone, 1.7),
            palette[k % len(palette)],
        ):
            figure.add_trace(trace)
    figure.update_layout(
        title="Minimum night flow (01:00-05:00) and legitimate night use",
        yaxis_title="flow [m³/h]",
        template="plotly_white",
        height=380,
        margin={"l": 70, "r": 20, "t": 60, "b": 40},
    )
    return figure


def _night_traces(
    mnf: pd.Series, zone: str, connections: int, night_use: float, colour: str
) -> list[go.Scatter]:
    """One zone's legitimate-use band, its assumed night use and its MNF (m³/h)."""
    nights = mnf.index
    low_l, high_l = NIGHT_USE_BAND_L_PER_CONNECTION_H
    low, high = connections * low_l / 1000, connections * high_l / 1000
    band = go.Scatter(
        x=[*nights, *nights[::-1]],
        y=[high] * len(nights) + [low] * len(nights),
        fill="toself",
        fillcolor=colour,
        opacity=0.15,
        line={"width": 0},
        name=f"{zone} legitimate night use ({low_l}-{high_l} L/conn/h)",
        hoverinfo="skip",
    )
    assumed = go.Scatter(
        x=nights,
        y=[connections * night_use / 1000] * len(nights),
        mode="lines",
        line={"color": colour, "dash": "dash", "width": 1},
        name=f"{zone} assumed night use",
    )
    measured = go.Scatter(
        x=nights,
        y=mnf.to_numpy(float),
        mode="lines+markers",
        line={"color": colour},
        name=f"{zone} minimum night flow",
        hovertemplate="%{x|%Y-%m-%d}: %{y:.1f} m³/h<extra>" + zone + "</extra>",
    )
    return [band, assumed, measured]


def coverage_figure(quality: pd.DataFrame) -> go.Figure:
    """Share of grid slots with a reading, per sensor, coloured by kind of sensor.

    Parameters
    ----------
    quality : pandas.DataFrame
        :func:`twin.store.quality_summary` rows with a ``kind`` column.
    """
    if quality.empty:
        return empty_figure("No readings in this run.")
    figure = go.Figure()
    for kind, rows in quality.groupby("kind", sort=False):
        figure.add_trace(
            go.Bar(
                x=rows["sensor_id"] + " (" + rows["unit"] + ")",
                y=rows["coverage_pct"],
                name=str(kind),
                marker_color=_KIND_COLOURS.get(str(kind), "#999999"),
                customdata=np.stack([rows["gaps"], rows["flagged"]], axis=1),
                hovertemplate=(
                    "%{x}: %{y:.1f} % of slots<br>%{customdata[0]} gaps, "
                    "%{customdata[1]} flagged<extra></extra>"
                ),
            )
        )
    figure.update_layout(
        title="Coverage: share of the run's slots with a reading",
        yaxis={"title": "coverage [%]", "range": [0, 105]},
        xaxis={"showticklabels": len(quality) <= 60},
        template="plotly_white",
        height=340,
        margin={"l": 70, "r": 20, "t": 60, "b": 40},
        bargap=0.1,
    )
    return figure


def element_series_figure(
    measured: pd.Series | None, expected: pd.Series | None, title: str, unit: str
) -> go.Figure:
    """Measured (and expected, where known) values of one sensor or element over time.

    Parameters
    ----------
    measured, expected : pandas.Series or None
        On a DatetimeIndex, in ``unit``.
    title : str
        Names the element.
    unit : str
        Axis unit (m, m³/h...).
    """
    if (measured is None or measured.dropna().empty) and (expected is None or expected.empty):
        return empty_figure(title or "Click a sensor, node or pipe on the map to see its series.")
    figure = go.Figure()
    for series, name, colour, dash in (
        (measured, "measured", "#1f77b4", None),
        (expected, "expected", "#ff7f0e", "dash"),
    ):
        if series is not None and not series.dropna().empty:
            figure.add_trace(
                go.Scattergl(
                    x=series.index,
                    y=series.to_numpy(float),
                    mode="lines",
                    name=name,
                    line={"color": colour, "dash": dash, "width": 1.2},
                )
            )
    figure.update_layout(
        title=title,
        yaxis_title=f"[{unit}]",
        template="plotly_white",
        height=300,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        hovermode="x unified",
    )
    return figure
