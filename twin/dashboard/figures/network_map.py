"""The network map: pipes as lines, one WebGL trace per colour class, sensors and leak heat.

A browser draws one trace with 15,000 segments far faster than 15,000 traces, so all pipes
of one colour class go into a single ``Scattergl`` line broken by ``None`` separators; the
colour of a continuous value is binned into a few classes. Each vertex carries its link id
(``customdata``: ``"link:<id>"``, and ``"node:<id>"`` on node and sensor markers, since a
node and a link may share an id), so a click names the element.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from twin.dashboard.ids import SEARCH_AREA_TRACE
from twin.dashboard.network_view import NetworkView

__all__ = [
    "NO_VALUE",
    "PipeColouring",
    "SENSOR_STYLE",
    "colour_bins",
    "network_map_figure",
    "segments",
]

NO_VALUE = "no value"
"""Name of the trace of pipes without a value in the chosen colouring."""

SENSOR_STYLE = {
    "pressure": ("pressure loggers", "triangle-up", "#000000", 9),
    "flow": ("flow meters", "square", "#7b3294", 10),
    "tank_level": ("tank levels", "diamond", "#1b7837", 11),
    "amr_demand": ("AMR meters", "circle", "#636363", 5),
}
"""How each kind of sensor is marked: legend name, marker symbol, colour, size (px)."""

_PIPE_GREY = "#9aa5b1"
_CATEGORY_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


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


def segments(view: NetworkView, link_ids: list[str] | pd.Index) -> dict[str, np.ndarray]:
    """``x``, ``y`` and ``customdata`` of links as one line broken by gaps: each link gives
    its two ends and a NaN break (3 points per link); ``customdata`` is ``"link:<id>"`` ("" at
    the breaks).

    Inlined for performance: numeric and fixed-width string arrays, not lists with None,
    because plotly deep-copies every trace it adds (element by element for object arrays:
    2 s for the 15,000 pipes of BWSN_Network_2, against milliseconds for these).
    """
    links = view.links.loc[list(link_ids)]
    n = len(links)
    x = np.full(3 * n, np.nan)
    y = np.full(3 * n, np.nan)
    x[0::3], x[1::3] = links["x0"].to_numpy(), links["x1"].to_numpy()
    y[0::3], y[1::3] = links["y0"].to_numpy(), links["y1"].to_numpy()
    names = ("link:" + links.index.astype(str)).to_numpy(dtype=str)
    ids = np.full(3 * n, "", dtype=names.dtype if n else "<U1")
    ids[0::3] = ids[1::3] = names
    return {"x": x, "y": y, "customdata": ids}


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
) -> go.Figure:
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
        ``in_search_area``. Drawn as a heat (marker size and colour at pipe middles) and
        the search area outlined as the trace named :data:`twin.dashboard.ids.SEARCH_AREA_TRACE`.
    zoom : tuple, optional
        ``(x0, x1, y0, y1)`` to show (default the whole network).
    title : str
    height : int, optional
        Pixels; None fills the graph component's own height.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: pipes (one per colour class, plus :data:`NO_VALUE`), pumps and valves,
        nodes (clickable, faint), sensors by kind, ``candidate probability`` and
        ``search-area`` when candidates are given.
    """
    traces = [*_pipe_traces(view, colouring), _node_trace(view)]
    if sensors is not None and not sensors.empty:
        traces += _sensor_traces(view, sensors)
    if candidates is not None and not candidates.empty:
        traces += _candidate_traces(view, candidates)
    figure = go.Figure(data=traces)
    x0, x1, y0, y1 = zoom if zoom is not None else view.bounds(margin=0.02)
    figure.update_layout(
        # no named template: plotly deep-copies it on every figure (0.1 s here), and a map
        # needs only a white background
        template=None,
        paper_bgcolor="white",
        plot_bgcolor="white",
        title={"text": title, "font": {"size": 14}} if title else None,
        height=height,
        margin={"l": 10, "r": 10, "t": 50 if title else 10, "b": 10},
        xaxis={"visible": False, "range": [x0, x1]},
        yaxis={"visible": False, "range": [y0, y1], "scaleanchor": "x", "scaleratio": 1},
        legend={"itemsizing": "constant", "title": {"text": colouring.label if colouring else ""}},
        hovermode="closest",
        uirevision=view.name,
        clickmode="event",
    )
    return figure


def _pipe_traces(view: NetworkView, colouring: PipeColouring | None) -> list[go.Scattergl]:
    """One line trace per colour class of the pipes, then pumps and valves."""
    pipes = view.links.index[view.links["kind"] == "pipe"]
    traces: list[go.Scattergl] = []
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


def _binned(view: NetworkView, values: pd.Series, colouring: PipeColouring) -> list[go.Scattergl]:
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


def _line(view: NetworkView, link_ids, name: str, colour: str, width: float) -> go.Scattergl:
    return go.Scattergl(
        mode="lines",
        name=name,
        line={"color": colour, "width": width},
        hovertemplate="%{customdata}<extra>" + name + "</extra>",
        connectgaps=False,
        **segments(view, link_ids),
    )


def _node_trace(view: NetworkView) -> go.Scattergl:
    nodes = view.nodes
    return go.Scattergl(
        mode="markers",
        name="nodes",
        x=nodes["x"].to_numpy(),
        y=nodes["y"].to_numpy(),
        customdata=("node:" + nodes.index.astype(str)).to_numpy(dtype=str),
        marker={"size": 4, "color": "#52606d", "opacity": 0.35},
        hovertemplate="%{customdata}<extra>node</extra>",
        showlegend=False,
    )


def _sensor_traces(view: NetworkView, sensors: pd.DataFrame) -> list[go.Scattergl]:
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
        traces.append(
            go.Scattergl(
                mode="markers",
                name=name,
                x=where["x"].to_numpy(),
                y=where["y"].to_numpy(),
                customdata=(prefix + where.index.astype(str)).to_numpy(dtype=str),
                marker={"symbol": symbol, "color": colour, "size": size, "line": {"width": 0}},
                hovertemplate="%{customdata}<extra>" + name + "</extra>",
            )
        )
    return traces


def _candidate_traces(view: NetworkView, candidates: pd.DataFrame) -> list[go.Scattergl]:
    ranked = candidates[candidates["element_id"].isin(view.links.index)]
    if ranked.empty:
        return []
    where = view.links.loc[ranked["element_id"], ["xm", "ym"]]
    probability = ranked["probability"].astype(float).to_numpy()
    top = probability.max() if np.isfinite(probability).any() and probability.max() > 0 else 1.0
    heat = go.Scattergl(
        mode="markers",
        name="candidate probability",
        x=where["xm"].to_numpy(),
        y=where["ym"].to_numpy(),
        customdata=("link:" + ranked["element_id"].astype(str)).to_numpy(dtype=str),
        text=[f"{p:.1%}" for p in probability],
        marker={
            "size": 8 + 22 * probability / top,
            "color": probability,
            "colorscale": "YlOrRd",
            "cmin": 0,
            "cmax": top,
            "opacity": 0.8,
            "colorbar": {"title": {"text": "probability"}, "len": 0.4, "y": 0.2},
        },
        hovertemplate="%{customdata}: %{text}<extra>candidate</extra>",
    )
    traces = [heat]
    area = ranked.loc[ranked["in_search_area"].fillna(False).astype(bool), "element_id"]
    if len(area):
        outline = _line(view, list(area), SEARCH_AREA_TRACE, "rgba(214,39,40,0.55)", 9.0)
        outline.update(hovertemplate="%{customdata}<extra>search area</extra>")
        traces.insert(0, outline)
    return traces
