"""Network map: pipes coloured by pressure, residual, zone or diameter; sensors; the selected
event's candidates and search area; a click shows an element's series."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, Patch, State, ctx, dcc, html, no_update

from twin.dashboard import ids
from twin.dashboard.components import PageContext, position_of, reader_note, stamp
from twin.dashboard.event_table import search_area
from twin.dashboard.figures.network_map import (
    EVENT_TRACES,
    Figure,
    event_overlay,
    event_zoom,
    map_title,
    network_map_figure,
)
from twin.dashboard.figures.panels import element_series_figure
from twin.dashboard.map_colours import COLOURINGS, pipe_colouring
from twin.dashboard.reader import RunReader
from twin.units import M3S_TO_M3H

__all__ = [
    "NAME",
    "PATH",
    "element_series",
    "event_patch",
    "layout",
    "map_figure",
    "map_panel",
    "register",
]

PATH = "/map"
NAME = "Network map"

_UNIT_SHOWN = {"m": ("m", 1.0), "m3/s": ("m³/h", M3S_TO_M3H)}
_AMR_SHOWN = ("L/h", M3S_TO_M3H * 1000)
_CLICK_NOTE = "Click a sensor, node or pipe on the map to see its series."


def map_panel(default_colour: str, height: int = 650) -> html.Div:
    """The map with its colour choice and the series of the clicked element."""
    return html.Div(
        [
            dcc.RadioItems(
                id=ids.MAP_COLOUR,
                options=[{"label": label, "value": key} for key, label in COLOURINGS.items()],
                value=default_colour,
                inline=True,
                inputStyle={"marginRight": "0.3rem", "marginLeft": "0.8rem"},
            ),
            dcc.Loading(
                dcc.Graph(
                    id=ids.NETWORK_MAP,
                    style={"height": f"{height}px"},
                    config={"displaylogo": False, "scrollZoom": True},
                )
            ),
            # the event the map shows: the leaks page draws the event's residuals once the
            # map has its overlay, so the heavier plot never holds the map back
            dcc.Store(id=ids.MAP_EVENT),
            dcc.Store(id=ids.MAP_DRAWN),  # set once the map has a full figure to patch
            # a plain note until something is clicked: an empty plot costs the browser as
            # much as a full one
            html.Div(
                html.P(_CLICK_NOTE, style={"color": "#52606d"}),
                id=ids.ELEMENT_SERIES,
            ),
        ]
    )


def layout(reader: RunReader, context: PageContext) -> html.Div:
    """The map page."""
    return html.Div(
        [
            html.H2("Network map"),
            html.P(
                f"{reader_note(reader)}. Colours at {stamp(reader.summary(), context.position_s)} "
                "(the replay position); the selected event's candidates and search area are "
                "drawn over the pipes. Click a sensor, node or pipe for its series."
            ),
            map_panel("pressure"),
        ]
    )


def map_figure(reader: RunReader, colour: str, event_id: str | None, position_s: int) -> Figure:
    """The map for a colour choice and selected event (zoomed to its search area)."""
    view = reader.network()
    candidates, zoom, title = _event_view(reader, event_id)
    # the colour comes from the browser: an unknown one draws plain pipes, not an error
    colouring = pipe_colouring(reader, colour, position_s) if colour in COLOURINGS else None
    figure = network_map_figure(view, colouring, reader.sensors(), candidates, zoom, title)
    figure["layout"]["uirevision"] = f"{view.name}:{event_id or ''}"
    return figure


def event_patch(reader: RunReader, event_id: str | None) -> Patch:
    """What changes on a drawn map when another event is selected: the last
    :data:`EVENT_TRACES` traces, the axis ranges and the title (the pipes stay as they are)."""
    view = reader.network()
    candidates, zoom, title = _event_view(reader, event_id)
    patch = Patch()
    for k, trace in enumerate(event_overlay(view, candidates)):
        patch["data"][k - EVENT_TRACES] = trace
    x0, x1, y0, y1 = zoom if zoom is not None else view.bounds(margin=0.02)
    patch["layout"]["xaxis"]["range"] = [float(x0), float(x1)]
    patch["layout"]["yaxis"]["range"] = [float(y0), float(y1)]
    # a new revision: the new event's zoom wins over where the operator had panned to
    patch["layout"]["uirevision"] = f"{view.name}:{event_id or ''}"
    patch["layout"]["title"] = map_title(title)
    return patch


def _event_view(reader: RunReader, event_id: str | None) -> tuple[Any, Any, str]:
    """An event's candidates, the box to show and the map's title."""
    if not event_id:
        return None, None, ""
    view = reader.network()
    candidates = search_area(reader.candidates(), event_id)
    if not len(candidates):
        return None, None, f"{event_id}: not localized yet"
    area = candidates[candidates["in_search_area"].astype("boolean").fillna(False).astype(bool)]
    title = f"{event_id}: search area {view.length_km(list(area['element_id'])):.2f} km"
    return candidates, event_zoom(view, candidates), title


def element_series(reader: RunReader, element: str | None) -> go.Figure:
    """Measured (and expected, hourly, where the store has residuals) series of one element.

    Parameters
    ----------
    element : str or None
        ``"node:<id>"`` or ``"link:<id>"`` as the map's ``customdata`` names it (a bare id
        is looked up among the sensors first).
    """
    if not element:
        return element_series_figure(None, None, "", "")
    kind, _, element_id = element.rpartition(":")
    sensors = reader.sensors()
    here = sensors[sensors["sensor_id"] == element_id]
    if kind:
        on_link = here["kind"] == "flow"
        here = here[on_link] if kind == "link" else here[~on_link]
    if here.empty:
        return element_series_figure(None, None, _no_sensor(reader, kind, element_id), "")
    row = here.iloc[0]
    if row["kind"] == "amr_demand":
        unit, factor = _AMR_SHOWN
    else:
        unit, factor = _UNIT_SHOWN.get(row["si_unit"], (row["si_unit"], 1.0))
    values = reader.series([element_id], row["si_unit"])
    index = reader.summary().times(values.index)
    measured = pd.Series(values[element_id].to_numpy() * factor, index=index)
    expected = _expected_hourly(reader, element_id, row["si_unit"], measured)
    title = f"{row['kind'].replace('_', ' ')} {element_id}"
    return element_series_figure(measured, expected, title, unit)


def _no_sensor(reader: RunReader, kind: str, element_id: str) -> str:
    """What the map knows of an element without a sensor."""
    links = reader.network().links
    if kind != "node" and element_id in links.index:
        link = links.loc[element_id]
        what = (
            f"{link['kind']} {element_id}: {link['length_m']:.0f} m, "
            f"DN {link['diameter_mm']:.0f} mm, no meter"
        )
    else:
        what = f"node {element_id}: no sensor here"
    return what + " (the store holds readings at sensors only)"


def _expected_hourly(
    reader: RunReader, sensor_id: str, si_unit: str, measured: pd.Series
) -> pd.Series | None:
    """Hourly expected values: hourly means of the measured minus the stored residual."""
    rows = reader.access.frame(
        "SELECT time, residual, expected FROM residuals "
        "WHERE sensor_id = ? AND unit = ? ORDER BY time",
        [sensor_id, si_unit],
    )
    if rows.empty:
        return None
    times = reader.summary().times(rows["time"])
    if rows["expected"].notna().any():
        return pd.Series(rows["expected"].to_numpy(), index=times)
    hourly = measured.resample("1h").mean()
    residual = pd.Series(rows["residual"].to_numpy(), index=times)
    return (hourly.reindex(times) - residual).dropna()


def _clicked(click: dict | None) -> str | None:
    if not click or not click.get("points"):
        return None
    value = click["points"][0].get("customdata")
    return str(value) if value is not None else None


def register(app: Dash, reader: RunReader) -> None:
    """The map's callbacks (the map panel is on the map and leaks pages)."""

    @app.callback(
        Output(ids.NETWORK_MAP, "figure"),
        Output(ids.MAP_EVENT, "data"),
        Output(ids.MAP_DRAWN, "data"),
        Input(ids.MAP_COLOUR, "value"),
        Input(ids.SELECTED_EVENT, "data"),
        State(ids.REPLAY_POSITION, "data"),
        State(ids.MAP_DRAWN, "data"),
    )
    def draw_map(colour: str, event_id: str | None, position: Any, drawn: Any) -> tuple:
        # a patch needs a drawn map: a selection made while the first drawing is on its way
        # gets a whole figure (a patch on the empty default figure would draw nothing)
        if ctx.triggered_id == ids.SELECTED_EVENT and drawn:
            return event_patch(reader, event_id), event_id, no_update
        figure = map_figure(reader, colour, event_id, position_of(reader.summary(), position))
        # a new colour leaves the event as it was, and a page without one keeps its
        # "select an event" note: only a first drawing with an event or a selection pass it on
        passed = event_id if ctx.triggered_id != ids.MAP_COLOUR and event_id else no_update
        return figure, passed, True

    @app.callback(
        Output(ids.ELEMENT_SERIES, "children"),
        Input(ids.NETWORK_MAP, "clickData"),
        prevent_initial_call=True,
    )
    def show_element(click: dict | None) -> Any:
        element = _clicked(click)
        if not element:
            return html.P(_CLICK_NOTE, style={"color": "#52606d"})
        return dcc.Graph(figure=element_series(reader, element), config={"displaylogo": False})
