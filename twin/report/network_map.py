"""The network map: pipes, sensors, leak events with their search areas (a pure figure).

Pipes are drawn as one WebGL line trace per colour class, segments joined with ``None``
breaks, so that a network of 15,000 pipes is a handful of traces, not 15,000. Each event's
search area is outlined by its own thick trace over the pipes, its most likely pipe marked;
sensors are markers by kind; true leaks (known in simulated runs only) are crosses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["EVENT_COLOURS", "SENSOR_MARKERS", "network_map_figure", "pipe_segments"]

SENSOR_MARKERS: Mapping[str, tuple[str, str, int]] = {
    "pressure": ("triangle-up", "#1f77b4", 9),
    "flow": ("square", "#2ca02c", 10),
    "tank_level": ("diamond", "#9467bd", 11),
    "amr_demand": ("circle", "#8c8c8c", 4),
}
"""Marker symbol, colour and size of each sensor kind."""

EVENT_COLOURS = ("#ff7f0e", "#d62728", "#e377c2", "#bcbd22", "#17becf", "#8c564b")
"""Colours of the events' search areas, in event order (repeating)."""

_LABELS = {
    "pressure": "pressure logger",
    "flow": "flow meter",
    "tank_level": "tank level",
    "amr_demand": "AMR meter",
}


def pipe_segments(wn, links: Iterable[str]) -> tuple[list[float | None], list[float | None]]:
    """x and y of the given links as one polyline with ``None`` breaks (plotly's gaps).

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
    links : iterable of str
        Link ids; vertices of a link are followed when the model has them.

    Returns
    -------
    tuple of list
        ``x`` and ``y`` in the model's coordinate units.
    """
    xs: list[float | None] = []
    ys: list[float | None] = []
    for name in links:
        link = wn.get_link(name)
        points = [
            link.start_node.coordinates,
            *getattr(link, "vertices", []),
            link.end_node.coordinates,
        ]
        for x, y in points:
            xs.append(float(x))
            ys.append(float(y))
        xs.append(None)
        ys.append(None)
    return xs, ys


def network_map_figure(
    wn,
    *,
    sensors: Mapping[str, Sequence[str]] | None = None,
    events: pd.DataFrame | None = None,
    true_leaks: pd.DataFrame | None = None,
    title: str = "Network map",
) -> go.Figure:
    """The network drawn from its coordinates, with sensors, events and true leaks.

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
    sensors : mapping of str to sequence of str, optional
        Sensor kind (``pressure``, ``flow``, ``tank_level``, ``amr_demand``) to the ids of
        the elements carrying one (nodes; links for ``flow``).
    events : pandas.DataFrame, optional
        One row per event: ``event_id`` and, when localized, ``pipe`` (most likely pipe),
        ``search_area_pipes`` (pipe ids joined by ``";"``) and ``search_area_km``.
    true_leaks : pandas.DataFrame, optional
        Simulated runs: ``leak_id`` and ``pipe`` (or ``node``) of each true leak.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
        Equal x/y scale; pipes grey (pumps and valves darker), hover names each element.
    """
    figure = go.Figure()
    pipes = list(wn.pipe_name_list)
    others = [n for n in wn.link_name_list if n not in set(pipes)]
    for links, colour, width, name in (
        (pipes, "#b0b7c3", 1.2, "pipes"),
        (others, "#4d4d4d", 2.5, "pumps and valves"),
    ):
        if links:
            x, y = pipe_segments(wn, links)
            figure.add_trace(
                go.Scattergl(
                    x=x,
                    y=y,
                    mode="lines",
                    line={"color": colour, "width": width},
                    name=name,
                    hoverinfo="skip",
                )
            )
    _add_sources(figure, wn)
    for k, event in enumerate(_localized(events)):
        _add_search_area(figure, wn, event, EVENT_COLOURS[k % len(EVENT_COLOURS)])
    _add_sensors(figure, wn, sensors or {})
    _add_true_leaks(figure, wn, true_leaks)
    figure.update_layout(
        title=title,
        height=650,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        plot_bgcolor="white",
        legend={"itemsizing": "constant"},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1},
    )
    return figure


def _localized(events: pd.DataFrame | None) -> list[Mapping]:
    if events is None or events.empty or "pipe" not in events.columns:
        return []
    rows = events[events["pipe"].notna() & (events["pipe"].astype(str) != "")]
    return rows.to_dict("records")


def _midpoint(wn, link_id: str) -> tuple[float, float]:
    link = wn.get_link(link_id)
    (x0, y0), (x1, y1) = link.start_node.coordinates, link.end_node.coordinates
    return (x0 + x1) / 2, (y0 + y1) / 2


def _add_search_area(figure: go.Figure, wn, event: Mapping, colour: str) -> None:
    area = [p for p in str(event.get("search_area_pipes") or "").split(";") if p]
    area = [p for p in area if p in wn.link_name_list] or [str(event["pipe"])]
    km = event.get("search_area_km")
    label = f"{event['event_id']}: search area" + (
        f" {float(km):.2f} km" if km is not None and not pd.isna(km) else ""
    )
    x, y = pipe_segments(wn, area)
    figure.add_trace(
        go.Scattergl(
            x=x,
            y=y,
            mode="lines",
            line={"color": colour, "width": 6},
            opacity=0.75,
            name=label,
            legendgroup=str(event["event_id"]),
            hoverinfo="skip",
        )
    )
    top = str(event["pipe"])
    if top in wn.link_name_list:
        mx, my = _midpoint(wn, top)
        figure.add_trace(
            go.Scatter(
                x=[mx],
                y=[my],
                mode="markers+text",
                marker={"symbol": "star", "size": 16, "color": colour, "line": {"width": 1}},
                text=[str(event["event_id"])],
                textposition="top center",
                name=f"{event['event_id']}: most likely pipe {top}",
                legendgroup=str(event["event_id"]),
                hovertext=[f"{event['event_id']}: pipe {top}"],
                hoverinfo="text",
            )
        )


def _add_sources(figure: go.Figure, wn) -> None:
    for names, symbol, label in (
        (wn.reservoir_name_list, "square-open", "reservoirs"),
        (wn.tank_name_list, "hexagon-open", "tanks"),
    ):
        if not names:
            continue
        points = np.array([wn.get_node(n).coordinates for n in names], dtype=float)
        figure.add_trace(
            go.Scatter(
                x=points[:, 0],
                y=points[:, 1],
                mode="markers",
                marker={"symbol": symbol, "size": 14, "color": "#333", "line": {"width": 2}},
                name=label,
                hovertext=list(names),
                hoverinfo="text",
            )
        )


def _add_sensors(figure: go.Figure, wn, sensors: Mapping[str, Sequence[str]]) -> None:
    for kind, (symbol, colour, size) in SENSOR_MARKERS.items():
        ids = list(sensors.get(kind, ()))
        if not ids:
            continue
        if kind == "flow":
            points = [_midpoint(wn, i) for i in ids]
        else:
            points = [tuple(wn.get_node(i).coordinates) for i in ids]
        xy = np.array(points, dtype=float)
        figure.add_trace(
            go.Scatter(
                x=xy[:, 0],
                y=xy[:, 1],
                mode="markers",
                marker={"symbol": symbol, "size": size, "color": colour},
                name=f"{_LABELS[kind]} ({len(ids)})",
                hovertext=[f"{_LABELS[kind]} {i}" for i in ids],
                hoverinfo="text",
                visible=True if kind != "amr_demand" else "legendonly",
            )
        )


def _add_true_leaks(figure: go.Figure, wn, leaks: pd.DataFrame | None) -> None:
    if leaks is None or leaks.empty:
        return
    points, names = [], []
    for leak in leaks.to_dict("records"):
        pipe, node = leak.get("pipe"), leak.get("node")
        if isinstance(pipe, str) and pipe in wn.link_name_list:
            points.append(_midpoint(wn, pipe))
        elif isinstance(node, str) and node in wn.node_name_list:
            points.append(tuple(wn.get_node(node).coordinates))
        else:
            continue
        names.append(f"true leak {leak.get('leak_id', '')} ({pipe or node})")
    if not points:
        return
    xy = np.array(points, dtype=float)
    figure.add_trace(
        go.Scatter(
            x=xy[:, 0],
            y=xy[:, 1],
            mode="markers",
            marker={"symbol": "x", "size": 13, "color": "#000", "line": {"width": 1}},
            name="true leaks (simulated)",
            hovertext=names,
            hoverinfo="text",
        )
    )
