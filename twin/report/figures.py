"""Figures of a twin run: pure functions from tables to plotly figures.

The report page and the Dash dashboard both draw with these. Long series are averaged
before plotting (:func:`downsample_for_plot`): a year of 5-minute data is 105,120 points per
line, which a browser draws slowly and an HTML file stores at megabytes per line. Regular
series are sent as a start and a step (``x0``/``dx``) instead of one date string per point,
which keeps a year of hourly means at about 50 kB per line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = [
    "BALANCE_COMPONENTS",
    "MAX_PLOT_POINTS",
    "balance_figure",
    "downsample_for_plot",
    "event_times",
    "inflow_figure",
    "inflow_zones",
    "plot_resolution",
    "residual_figure",
]

MAX_PLOT_POINTS = 20_000
"""Most points per line drawn as they are; longer series are averaged."""

_MEAN_RULES = (("1h", "hourly"), ("6h", "6-hourly"), ("1D", "daily"), ("7D", "weekly"))
"""Averaging periods tried in turn, shortest first, and their names on the page."""

BALANCE_COMPONENTS = (
    ("billed_metered_m3", "Billed metered", "#1f77b4"),
    ("billed_unmetered_m3", "Billed unmetered", "#6baed6"),
    ("unbilled_authorised_m3", "Unbilled authorised", "#2ca02c"),
    ("apparent_losses_m3", "Apparent losses", "#ff9f1c"),
    ("real_losses_m3", "Real losses", "#d62728"),
)
"""IWA water-balance components stacked in :func:`balance_figure`: key, label, colour."""

_INFLOW_COLUMN = re.compile(r"^(?P<zone>.+) (?P<kind>measured|expected) \[m3/h\]$")
_UNIT = re.compile(r"\[(?P<unit>[^\]]+)\]\s*$")
_ROW_HEIGHT_PX = 260
_MEASURED, _EXPECTED = "#1f77b4", "#ff7f0e"


def plot_resolution(index: pd.Index, max_points: int = MAX_PLOT_POINTS) -> tuple[str, str] | None:
    """Averaging period that brings a time index under ``max_points``, or None if it fits.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Times of the series to plot.
    max_points : int
        Most points per line drawn as they are.

    Returns
    -------
    tuple of (str, str) or None
        Pandas resampling rule and its name on the page (``("1h", "hourly")``); None when
        the series is short enough to draw every point.
    """
    if len(index) <= max_points:
        return None
    span = index.max() - index.min()
    for rule, name in _MEAN_RULES:
        if span / pd.Timedelta(rule) < max_points:
            return rule, name
    return _MEAN_RULES[-1]


def downsample_for_plot(
    frame: pd.DataFrame, max_points: int = MAX_PLOT_POINTS
) -> tuple[pd.DataFrame, str | None]:
    """Means over hours (or longer) of a series too long to plot point by point.

    Parameters
    ----------
    frame : pandas.DataFrame
        Series on a DatetimeIndex, any units; NaN gaps stay gaps.
    max_points : int
        Most points per line drawn as they are.

    Returns
    -------
    frame : pandas.DataFrame
        The input, or its means over a regular period (same columns and units, index at
        the start of each period).
    name : str or None
        Name of the period (``"hourly"``), None if the input is returned unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> year = pd.date_range("2018-01-01", "2018-12-31 23:55", freq="5min")
    >>> means, name = downsample_for_plot(pd.DataFrame({"q [m3/h]": 1.0}, index=year))
    >>> len(year), len(means), name
    (105120, 8760, 'hourly')
    """
    resolution = plot_resolution(frame.index, max_points)
    if resolution is None:
        return frame, None
    rule, name = resolution
    return frame.resample(rule).mean(), name


def inflow_zones(inflows: pd.DataFrame) -> list[str]:
    """Zones with a ``"<zone> measured [m3/h]"`` or ``"<zone> expected [m3/h]"`` column.

    Returns
    -------
    list of str
        Zone names in the order of their first column.
    """
    zones: dict[str, None] = {}
    for column in inflows.columns:
        match = _INFLOW_COLUMN.match(str(column))
        if match:
            zones[match["zone"]] = None
    return list(zones)


def event_times(events: pd.DataFrame, column: str) -> pd.Series:
    """Times of one column of the events table (``"YYYY-MM-DD HH:MM:SS"``; empty is NaT)."""
    if column not in events.columns:
        return pd.Series(pd.NaT, index=events.index, dtype="datetime64[ns]")
    values = events[column].replace("", None)
    return pd.to_datetime(values, errors="coerce", format="ISO8601")


def inflow_figure(inflows: pd.DataFrame, events: pd.DataFrame) -> go.Figure:
    """Measured and expected inflow of each zone, one row per zone, with the events.

    Parameters
    ----------
    inflows : pandas.DataFrame
        On a DatetimeIndex; per zone the columns ``"<zone> measured [m3/h]"`` and
        ``"<zone> expected [m3/h]"`` (the twin's inflow without leaks), in m³/h. NaN gaps
        are drawn as gaps. Longer than :data:`MAX_PLOT_POINTS`, hourly (or longer) means.
    events : pandas.DataFrame
        Columns ``event_id``, ``detected_at`` and ``start_estimate`` (times as text, may
        be empty): a vertical line at each detection, shaded from the estimated start.

    Returns
    -------
    plotly.graph_objects.Figure
        Rows share the time axis; the y axes are in m³/h.
    """
    zones = inflow_zones(inflows)
    if not zones:
        return _empty_figure("No zone inflows in this run.")
    series, resolution = downsample_for_plot(inflows)
    figure = make_subplots(
        rows=len(zones), cols=1, shared_xaxes=True, subplot_titles=zones, vertical_spacing=0.06
    )
    for row, zone in enumerate(zones, start=1):
        for kind, colour, dash in (("measured", _MEASURED, None), ("expected", _EXPECTED, "dash")):
            column = f"{zone} {kind} [m3/h]"
            if column not in series.columns:
                continue
            trace = _line(series[column], name=kind, colour=colour, width=1.2, dash=dash)
            trace.update(legendgroup=kind, showlegend=row == 1)
            figure.add_trace(trace, row=row, col=1)
        figure.update_yaxes(title_text="inflow [m³/h]", row=row, col=1)
    _add_events(figure, events)
    title = "Zone inflow: measured and expected"
    figure.update_layout(
        title=_with_resolution(title, resolution),
        height=_ROW_HEIGHT_PX * len(zones) + 120,
        hovermode="x unified",
        template="plotly_white",
        margin={"l": 70, "r": 30, "t": 90, "b": 40},
    )
    figure.update_xaxes(type="date")
    return figure


def residual_figure(residuals: pd.DataFrame, events: pd.DataFrame) -> go.Figure:
    """Residual of each sensor (measured − expected), one row per kind of sensor.

    Parameters
    ----------
    residuals : pandas.DataFrame
        On a DatetimeIndex, one column per sensor named ``"<kind> <sensor> [<unit>]"``
        (``"pressure n54 [m]"``), values measured − expected in that unit (often hourly
        means). Longer than :data:`MAX_PLOT_POINTS`, hourly (or longer) means.
    events : pandas.DataFrame
        Columns ``event_id``, ``detected_at`` and ``start_estimate``, as for
        :func:`inflow_figure`.

    Returns
    -------
    plotly.graph_objects.Figure
        One row per kind (pressure, flow, ...), thin lines grouped by kind in the legend;
        a click on a legend entry hides one sensor, a double click isolates it.
    """
    if residuals.empty or residuals.shape[1] == 0:
        return _empty_figure("No residuals in this run.")
    series, resolution = downsample_for_plot(residuals)
    kinds: dict[str, list[str]] = {}
    for column in series.columns:
        kinds.setdefault(str(column).split(" ", 1)[0], []).append(column)
    figure = make_subplots(rows=len(kinds), cols=1, shared_xaxes=True, subplot_titles=list(kinds))
    for row, (kind, columns) in enumerate(kinds.items(), start=1):
        for column in columns:
            trace = _line(series[column], name=str(column), colour=None, width=0.8)
            trace.update(legendgroup=kind, legendgrouptitle_text=kind, opacity=0.8)
            figure.add_trace(trace, row=row, col=1)
        unit = _UNIT.search(str(columns[0]))
        label = f"measured − expected [{unit['unit']}]" if unit else "measured − expected"
        figure.update_yaxes(title_text=label, zeroline=True, zerolinewidth=1.5, row=row, col=1)
    _add_events(figure, events)
    figure.update_layout(
        title=_with_resolution("Residuals: measured − expected", resolution),
        height=_ROW_HEIGHT_PX * len(kinds) + 180,
        hovermode="closest",
        template="plotly_white",
        legend={"groupclick": "toggleitem"},
        margin={"l": 70, "r": 30, "t": 90, "b": 40},
    )
    figure.update_xaxes(type="date")
    return figure


def balance_figure(balance: Sequence[Mapping[str, Any]]) -> go.Figure:
    """IWA water balance of each zone and period as stacked bars, in m³.

    Parameters
    ----------
    balance : sequence of mapping
        One mapping per zone and period with ``area`` (and ``start``, ``end``, which label
        the bar when a zone has several periods) and the components of
        :data:`BALANCE_COMPONENTS` in m³; missing or None components are not drawn.

    Returns
    -------
    plotly.graph_objects.Figure
        One bar per row of ``balance``: authorised consumption at the bottom, apparent
        and real losses on top, so the bar's height is the system input volume.
    """
    rows = list(balance)
    if not rows or not any(key in row for row in rows for key, _, _ in BALANCE_COMPONENTS):
        return _empty_figure("No water balance in this run.")
    labels = _balance_labels(rows)
    figure = go.Figure()
    for key, name, colour in BALANCE_COMPONENTS:
        values = [_number(row.get(key)) for row in rows]
        figure.add_trace(
            go.Bar(
                x=labels,
                y=values,
                name=name,
                marker_color=colour,
                hovertemplate="%{x}<br>" + name + ": %{y:,.0f} m³<extra></extra>",
            )
        )
    figure.update_layout(
        title="Water balance (IWA) per zone",
        barmode="stack",
        yaxis_title="volume [m³]",
        template="plotly_white",
        height=420,
        margin={"l": 70, "r": 30, "t": 70, "b": 60},
    )
    return figure


def _balance_labels(rows: list[Mapping[str, Any]]) -> list[str]:
    """Bar labels: the zone, with its period when the zone has several rows."""
    areas = [str(row.get("area", f"row {i + 1}")) for i, row in enumerate(rows)]
    labels = []
    for area, row in zip(areas, rows, strict=True):
        if areas.count(area) > 1:
            area = f"{area} {row.get('start', '')}–{row.get('end', '')}"
        labels.append(area)
    return labels


def _number(value: Any) -> float | None:
    """A float, or None for a missing value (plotly leaves a gap)."""
    if value is None:
        return None
    number = float(value)
    return None if np.isnan(number) else number


def _line(
    values: pd.Series, *, name: str, colour: str | None, width: float, dash: str | None = None
) -> go.Scatter:
    """One line of a time series, its x given as start and step when the index is regular."""
    line: dict[str, Any] = {"width": width}
    if colour:
        line["color"] = colour
    if dash:
        line["dash"] = dash
    # float32 halves the embedded data; 7 significant digits are plenty for a plot
    y = values.to_numpy(dtype=np.float32, na_value=np.nan)
    return go.Scatter(name=name, mode="lines", line=line, y=y, **_time_axis(values.index))


def _time_axis(index: pd.DatetimeIndex) -> dict[str, Any]:
    """``x0``/``dx`` (ms) for a regular index, else the explicit ``x`` of each point."""
    if len(index) >= 2:
        steps = np.diff(pd.DatetimeIndex(index).as_unit("ns").asi8)  # any unit pandas chose
        if (steps == steps[0]).all() and steps[0] > 0:
            step_ms = pd.Timedelta(int(steps[0]), unit="ns") / pd.Timedelta(milliseconds=1)
            return {"x0": index[0].strftime("%Y-%m-%d %H:%M:%S"), "dx": step_ms}
    return {"x": index}


def _add_events(figure: go.Figure, events: pd.DataFrame) -> None:
    """A line at each detection across all rows, shaded from the estimated start."""
    detected, started = event_times(events, "detected_at"), event_times(events, "start_estimate")
    ids = events["event_id"] if "event_id" in events.columns else pd.Series("", index=events.index)
    shapes: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    for event_id, at, start in zip(ids, detected, started, strict=True):
        if pd.isna(at):
            continue
        if pd.notna(start) and start < at:
            shapes.append(
                dict(
                    type="rect",
                    xref="x",
                    yref="paper",
                    x0=start,
                    x1=at,
                    y0=0,
                    y1=1,
                    fillcolor="#d62728",
                    opacity=0.10,
                    line_width=0,
                    layer="below",
                )
            )
        shapes.append(
            dict(
                type="line",
                xref="x",
                yref="paper",
                x0=at,
                x1=at,
                y0=0,
                y1=1,
                line={"color": "#d62728", "width": 1, "dash": "dot"},
            )
        )
        labels.append(
            dict(
                x=at,
                xref="x",
                y=1.0,
                yref="paper",
                xanchor="left",
                yanchor="top",
                text=str(event_id),
                showarrow=False,
                font={"size": 10, "color": "#d62728"},
                bgcolor="rgba(255,255,255,0.7)",
            )
        )
    # Inlined for performance: one layout update, not one add_shape per event (plotly
    # re-validates every shape on each add: quadratic, minutes for a year's events).
    figure.update_layout(
        shapes=[*figure.layout.shapes, *shapes],
        annotations=[*figure.layout.annotations, *labels],
    )


def _with_resolution(title: str, resolution: str | None) -> str:
    """The figure title, saying when the lines are means rather than every sample."""
    return f"{title} ({resolution} means)" if resolution else title


def _empty_figure(message: str) -> go.Figure:
    """A blank figure that says why it is blank."""
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    figure.update_layout(
        template="plotly_white",
        height=200,
        xaxis={"visible": False},
        yaxis={"visible": False},
    )
    return figure
