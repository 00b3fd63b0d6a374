"""The network map: pipes as lines, one WebGL trace per colour class, sensors and leak heat.

A browser draws one trace with 15,000 segments far faster than 15,000 traces, so all pipes
of one colour class go into a single ``scattergl`` line broken by gaps; the colour of a
continuous value is binned into a few classes. Each vertex carries its link id
(``customdata``: ``"link:<id>"``, and ``"node:<id>"`` on node and sensor markers, since a
node and a link may share an id), so a click names the element.

The figure is a plain dict, not a ``plotly.graph_objects.Figure``: validating 15,000 pipes'
worth of arrays took most of a callback's time, and Dash sends a dict as it is. Coordinates
go out as plotly.js typed arrays (``{"dtype": "f4", "bdata": ...}``: float32, base64), a
third of the size of their JSON text. The last :data:`EVENT_TRACES` traces are always the
selected event's overlay (empty without one), so selecting another event can replace just
them in the browser (:func:`event_overlay`, a Dash ``Patch``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from plotly.colors import sample_colorscale

from twin.dashboard.ids import SEARCH_AREA_TRACE
from twin.dashboard.network_view import NetworkView

__all__ = [
    "EVENT_TRACES",
    "Figure",
    "NO_VALUE",
    "PipeColouring",
    "SENSOR_STYLE",
    "colour_bins",
    "event_overlay",
    "event_zoom",
    "map_title",
    "network_map_figure",
    "segments",
    "typed_array",
]

Figure = dict[str, Any]
"""A plotly figure as the browser receives it: ``{"data": [trace, ...], "layout": {...}}``."""

NO_VALUE = "no value"
"""Name of the trace of pipes without a value in the chosen colouring."""

EVENT_TRACES = 3
"""The map's last traces: search-area outline, its legend entry, candidate heat."""

SENSOR_STYLE = {
    "pressure": ("pressure loggers", "triangle-up", "#000000", 9),
    "flow": ("flow meters", "square", "#7b3294", 10),
    "tank_level": ("tank levels", "diamond", "#1b7837", 11),
    "amr_demand": ("AMR meters", "circle", "#636363", 5),
}
"""How each kind of sensor is marked: legend name, marker symbol, colour, size (px)."""

_PIPE_GREY = "#9aa5b1"
_CATEGORY_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
_AREA_STYLE = {"color": "rgba(214,39,40,0.6)", "width": 12.0}
# horizontal, under the legend at the bottom right: an upright bar ran into the legend
_COLOURBAR = {
    "title": {"text": "probability", "side": "top"},
    "orientation": "h",
    "x": 1.02,
    "xanchor": "left",
    "y": 0,
    "yanchor": "bottom",
    "len": 0.2,
    "thickness": 10,
}
_MIN_PAD = 150.0  # model units (m): the least room left around a search area
_PAD_SHARE = 0.2  # of the search area's extent, on each side


@dataclass(frozen=True)
class PipeColouring:
    """What colours the pipes.

    Attributes
    ----------
    values : pandas.Series
        Per link id: floats (binned) or strings (one class each). Links not in it are drawn
        grey as :data:`NO_VALUE`.
    label : str
        What the colour means, with its unit (``"pressure [m]"``).
    diverging : bool
        Centre the colours on zero (residuals).
    bins : int
        Number of colour classes of a continuous value.
    """

    values: pd.Series
    label: str
    diverging: bool = False
    bins: int = 6


def typed_array(values: np.ndarray) -> dict[str, str]:
    """Numbers as a plotly.js typed array: float32, base64 (NaN is a gap in a line)."""
    data = np.ascontiguousarray(values, dtype="<f4")
    return {"dtype": "f4", "bdata": base64.b64encode(data.tobytes()).decode("ascii")}


@dataclass(frozen=True)
class _Geometry:
    """Each link as three vertices (start, end, NaN gap), in ``view.links`` order."""

    x: np.ndarray  # (links, 3) float32
    y: np.ndarray
    ids: np.ndarray  # (links, 3) str: "link:<id>" twice, then ""


@cache
def _geometry(view: NetworkView) -> _Geometry:
    # static per network: built once, then every colouring only picks rows
    links = view.links
    n = len(links)
    x = np.full((n, 3), np.nan, dtype=np.float32)
    y = np.full((n, 3), np.nan, dtype=np.float32)
    x[:, 0], x[:, 1] = links["x0"].to_numpy(), links["x1"].to_numpy()
    y[:, 0], y[:, 1] = links["y0"].to_numpy(), links["y1"].to_numpy()
    names = ("link:" + links.index.astype(str)).to_numpy(dtype=str)
    ids = np.full((n, 3), "", dtype=names.dtype if n else "<U1")
    ids[:, 0] = ids[:, 1] = names
    return _Geometry(x, y, ids)


def segments(view: NetworkView, link_ids: list[str] | pd.Index) -> dict[str, np.ndarray]:
    """``x``, ``y`` (float32) and ``customdata`` of links as one line broken by gaps: each
    link gives its two ends and a NaN break (3 points per link); ``customdata`` is
    ``"link:<id>"`` ("" at the breaks).

    Raises
    ------
    KeyError
        A link id not in the network.
    """
    where = view.links.index.get_indexer(pd.Index(link_ids))
    if (where < 0).any():
        unknown = pd.Index(link_ids)[where < 0]
        raise KeyError(f"links {list(unknown[:5])} are not in network {view.name}")
    geometry = _geometry(view)
    return {
        "x": geometry.x[where].ravel(),
        "y": geometry.y[where].ravel(),
        "customdata": geometry.ids[where].ravel(),
    }


def colour_bins(values: pd.Series, bins: int, diverging: bool) -> list[tuple[float, float]]:
    """Edges of the colour classes of a continuous value: equal-count classes (quantiles),
    symmetric around zero when ``diverging``.

    Examples
    --------
    >>> colour_bins(pd.Series([0.0, 1.0, 2.0, 3.0]), 2, False)
    [(0.0, 1.5), (1.5, 3.0)]
    """
    finite = values[np.isfinite(values.astype(float))].astype(float)
    if finite.empty:
        return []
    if diverging:
        top = float(np.quantile(np.abs(finite), 0.98)) or float(np.abs(finite).max()) or 1.0
        edges = np.linspace(-top, top, bins + 1)
        edges[0], edges[-1] = min(edges[0], finite.min()), max(edges[-1], finite.max())
    else:
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)))
        if len(edges) == 1:
            edges = np.array([edges[0], edges[0]])
    edges = np.round(edges, 9)  # a zero edge stays 0, not -2.8e-17
    return [(float(a), float(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def network_map_figure(
    view: NetworkView,
    colouring: PipeColouring | None = None,
    sensors: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
    zoom: tuple[float, float, float, float] | None = None,
    title: str = "",
    height: int | None = None,
) -> Figure:
    """The network drawn from its coordinates.

    Parameters
    ----------
    view : NetworkView
        The network's geometry.
    colouring : PipeColouring, optional
        Values colouring the pipes (all grey when None).
    sensors : pandas.DataFrame, optional
        Columns ``sensor_id`` (node or link id) and ``kind`` (a key of
        :data:`SENSOR_STYLE`); flow meters sit at their link's middle.
    candidates : pandas.DataFrame, optional
        One event's ranking: ``element_id`` (pipe), ``probability`` (0-1) and
        ``in_search_area`` (:func:`event_overlay`).
    zoom : tuple, optional
        ``(x0, x1, y0, y1)`` to show, model units (default the whole network).
    title : str
        Written top left, clear of plotly's tool bar at the top right.
    height : int, optional
        Pixels; None fills the graph component's own height.

    Returns
    -------
    dict
        ``data``: pipes (one trace per colour class, plus :data:`NO_VALUE`), pumps and
        valves, nodes (clickable, faint), sensors by kind, then the :data:`EVENT_TRACES`
        traces of :func:`event_overlay`; ``layout``.
    """
    traces = [*_pipe_traces(view, colouring), _node_trace(view)]
    if sensors is not None and not sensors.empty:
        traces += _sensor_traces(view, sensors)
    traces += event_overlay(view, candidates)
    x0, x1, y0, y1 = zoom if zoom is not None else view.bounds(margin=0.02)
    layout = {
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "height": height,
        # the top margin keeps the title and the legend clear of plotly's tool bar
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "xaxis": {"visible": False, "range": [float(x0), float(x1)]},
        "yaxis": {
            "visible": False,
            "range": [float(y0), float(y1)],
            "scaleanchor": "x",
            "scaleratio": 1,
        },
        "legend": {
            "itemsizing": "constant",
            "title": {"text": colouring.label if colouring else ""},
            "y": 1,
            "yanchor": "top",
        },
        "hovermode": "closest",
        "uirevision": view.name,
        "clickmode": "event",
    }
    layout["title"] = map_title(title)
    return {"data": traces, "layout": layout}


def map_title(text: str) -> dict:
    """The map's title, top left in the top margin (the tool bar is at the top right)."""
    return {
        "text": text,
        "font": {"size": 14},
        "x": 0.01,
        "xanchor": "left",
        "y": 0.99,
        "yanchor": "top",
        "yref": "container",
    }


def _pipe_traces(view: NetworkView, colouring: PipeColouring | None) -> list[dict]:
    """One line trace per colour class of the pipes, then pumps and valves."""
    pipes = view.links.index[view.links["kind"] == "pipe"]
    traces: list[dict] = []
    grey = pipes
    if colouring is not None:
        values = colouring.values.reindex(pipes)
        known = values.dropna()
        grey = pipes[values.isna().to_numpy()]
        if pd.api.types.is_numeric_dtype(known):
            traces += _binned(view, known.astype(float), colouring)
        else:
            for k, (name, members) in enumerate(known.groupby(known, sort=True)):
                colour = _CATEGORY_COLOURS[k % len(_CATEGORY_COLOURS)]
                traces.append(_line(view, members.index, str(name), colour, 1.6))
    if len(grey):
        name = NO_VALUE if colouring is not None else "pipes"
        traces.insert(0, _line(view, grey, name, _PIPE_GREY, 1.0))
    devices = view.links.index[view.links["kind"] != "pipe"]
    if len(devices):
        traces.append(_line(view, devices, "pumps and valves", "#ff00ff", 3.0))
    return traces


def _binned(view: NetworkView, values: pd.Series, colouring: PipeColouring) -> list[dict]:
    edges = colour_bins(values, colouring.bins, colouring.diverging)
    scale = "RdBu" if colouring.diverging else "Viridis"
    colours = sample_colorscale(scale, list(np.linspace(0, 1, max(len(edges), 2))))
    traces = []
    for k, (low, high) in enumerate(edges):
        last = k == len(edges) - 1
        inside = (values >= low) & ((values <= high) if last else (values < high))
        if inside.any():
            name = f"{low:.3g} to {high:.3g}"
            traces.append(_line(view, values.index[inside.to_numpy()], name, colours[k], 2.0))
    return traces


def _line(view: NetworkView, link_ids, name: str, colour: str, width: float) -> dict:
    drawn = segments(view, link_ids)
    return {
        "type": "scattergl",
        "mode": "lines",
        "name": name,
        "line": {"color": colour, "width": width},
        "hovertemplate": "%{customdata}<extra>" + name + "</extra>",
        "connectgaps": False,
        "x": typed_array(drawn["x"]),
        "y": typed_array(drawn["y"]),
        "customdata": drawn["customdata"].tolist(),
    }


def _markers(name: str, x: np.ndarray, y: np.ndarray, ids: list[str], marker: dict) -> dict:
    return {
        "type": "scattergl",
        "mode": "markers",
        "name": name,
        "x": typed_array(x),
        "y": typed_array(y),
        "customdata": ids,
        "marker": marker,
        "hovertemplate": "%{customdata}<extra>" + name + "</extra>",
    }


def _node_trace(view: NetworkView) -> dict:
    nodes = view.nodes
    trace = _markers(
        "nodes",
        nodes["x"].to_numpy(),
        nodes["y"].to_numpy(),
        ("node:" + nodes.index.astype(str)).tolist(),
        {"size": 4, "color": "#52606d", "opacity": 0.35},
    )
    trace["showlegend"] = False
    return trace


def _sensor_traces(view: NetworkView, sensors: pd.DataFrame) -> list[dict]:
    traces = []
    for kind, (name, symbol, colour, size) in SENSOR_STYLE.items():
        ids = sensors.loc[sensors["kind"] == kind, "sensor_id"].astype(str)
        prefix = "link:" if kind == "flow" else "node:"
        if kind == "flow":
            where = (
                view.links.reindex(ids)[["xm", "ym"]]
                .dropna()
                .rename(columns={"xm": "x", "ym": "y"})
            )
        else:
            where = view.nodes.reindex(ids)[["x", "y"]].dropna()
        if where.empty:
            continue
        marker = {"symbol": symbol, "color": colour, "size": size, "line": {"width": 0}}
        traces.append(
            _markers(
                name,
                where["x"].to_numpy(),
                where["y"].to_numpy(),
                (prefix + where.index.astype(str)).tolist(),
                marker,
            )
        )
    return traces


def _placeholder(uid: str) -> dict:
    return {"type": "scattergl", "mode": "lines", "x": [], "y": [], "showlegend": False, "uid": uid}


def _ranked(view: NetworkView, candidates: pd.DataFrame | None) -> pd.DataFrame:
    """Candidates on links of the network (the only ones the map can place)."""
    if candidates is None or candidates.empty:
        return pd.DataFrame(columns=["element_id", "probability", "in_search_area"])
    return candidates[candidates["element_id"].isin(view.links.index)]


def _in_area(ranked: pd.DataFrame) -> pd.Series:
    return ranked["in_search_area"].astype("boolean").fillna(False).astype(bool)


def event_overlay(view: NetworkView, candidates: pd.DataFrame | None) -> list[dict]:
    """The :data:`EVENT_TRACES` traces of one event's ranking (empty placeholders without).

    Parameters
    ----------
    view : NetworkView
    candidates : pandas.DataFrame or None
        ``element_id`` (pipe), ``probability`` (0-1), ``in_search_area``.

    Returns
    -------
    list of dict
        The search-area outline (trace ``name`` :data:`twin.dashboard.ids.SEARCH_AREA_TRACE`,
        which the browser tests look for; kept out of the legend), its legend entry in words
        (``"search area (83 %)"``: the probability the leak is in it) and the candidate heat
        (marker size and colour at pipe middles).
    """
    ranked = _ranked(view, candidates)
    outline, label, heat = (_placeholder(f"event-{k}") for k in ("area", "label", "heat"))
    if ranked.empty:
        return [outline, label, heat]
    probability = ranked["probability"].astype(float).to_numpy()
    area = ranked[_in_area(ranked)]
    if len(area):
        share = 100 * float(np.nansum(area["probability"].astype(float)))
        hover = "%{customdata}<extra>search area</extra>"
        outline = _line(view, list(area["element_id"]), SEARCH_AREA_TRACE, "", 0.0)
        outline.update(line=_AREA_STYLE, hovertemplate=hover, uid="event-area")
        outline.update(legendgroup="search-area", showlegend=False)
        label.update(name=f"search area ({share:.0f} %)", line=_AREA_STYLE, x=[None], y=[None])
        label.update(legendgroup="search-area", showlegend=True, hoverinfo="skip")
    where = view.links.loc[ranked["element_id"], ["xm", "ym"]]
    finite = probability[np.isfinite(probability)]
    top = float(finite.max()) if len(finite) and finite.max() > 0 else 1.0
    heat = _markers(
        "candidate probability",
        where["xm"].to_numpy(),
        where["ym"].to_numpy(),
        ("link:" + ranked["element_id"].astype(str)).tolist(),
        {
            "size": np.round(8 + 22 * np.nan_to_num(probability) / top, 1).tolist(),
            "color": np.round(probability, 4).tolist(),
            "colorscale": "YlOrRd",
            "cmin": 0,
            "cmax": top,
            "opacity": 0.8,
            "colorbar": _COLOURBAR,
        },
    )
    heat.update(
        text=[f"{p:.1%}" for p in probability],
        hovertemplate="%{customdata}: %{text}<extra>candidate</extra>",
        uid="event-heat",
    )
    return [outline, label, heat]


def event_zoom(view: NetworkView, candidates: pd.DataFrame | None) -> tuple | None:
    """``(x0, x1, y0, y1)`` around an event's search area and its five likeliest pipes, with
    room on each side: 20 % of the box's extent and at least 150 model units (m), or a tenth
    of the network's size if that is less (None without candidates on the map)."""
    ranked = _ranked(view, candidates)
    if ranked.empty:
        return None
    ranked = ranked.sort_values("probability", ascending=False, kind="stable")
    shown = pd.Index(ranked.loc[_in_area(ranked), "element_id"]).union(
        pd.Index(ranked["element_id"].head(5))
    )
    links = view.links.loc[shown]
    xs = np.concatenate([links["x0"], links["x1"]])
    ys = np.concatenate([links["y0"], links["y1"]])
    full = max(float(np.ptp(view.nodes["x"])), float(np.ptp(view.nodes["y"])), 1.0)
    extent = max(float(np.ptp(xs)), float(np.ptp(ys)))
    pad = max(_PAD_SHARE * extent, min(_MIN_PAD, 0.1 * full))
    return (xs.min() - pad, xs.max() + pad, ys.min() - pad, ys.max() + pad)
