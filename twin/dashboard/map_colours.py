"""What the map's pipes can be coloured by, computed from a run's store at one run time.

The store holds readings at the sensors, not the state of every pipe, so values between
sensors are interpolated over the pipe graph (:func:`twin.localize.interpolate_residuals`,
harmonic: linear in distance along a chain of pipes). Pressure is interpolated as head
(pressure + elevation), which varies smoothly, and turned back into pressure at each node;
the legend says "estimated from the loggers".
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from functools import cache

import networkx as nx
import numpy as np
import pandas as pd

from twin.dashboard.figures.network_map import PipeColouring
from twin.dashboard.network_view import NetworkView
from twin.dashboard.reader import RunReader
from twin.localize.interpolate import conductance_graph, interpolate_residuals

__all__ = ["COLOURINGS", "pipe_colouring"]

COLOURINGS = {
    "zone": "metering zone",
    "diameter": "diameter [mm]",
    "pressure": "pressure estimated from the loggers [m]",
    "residual": "pressure residual interpolated from the loggers [m]",
}
"""Colour choices of the map: key and legend title."""

_WINDOW_S = 3600
_RECENT_SIZE = 32
_RECENT: OrderedDict[tuple, PipeColouring | None] = OrderedDict()
_RECENT_LOCK = threading.Lock()


def pipe_colouring(reader: RunReader, mode: str, at_s: int) -> PipeColouring | None:
    """Per-pipe values for one colour choice at run time ``at_s`` (None: plain grey).

    Raises
    ------
    KeyError
        ``mode`` is not a key of :data:`COLOURINGS`.
    """
    if mode not in COLOURINGS:
        raise KeyError(f"map colouring {mode!r}: expected one of {sorted(COLOURINGS)}")
    # readings are averaged over the hour before, so one result serves a whole hour; the
    # few most recent are kept (a year of hours would not fit in memory for 15,000 pipes)
    hour_s = int(at_s) // _WINDOW_S * _WINDOW_S
    key = (str(reader.run_dir.resolve()), reader.version(), mode, hour_s)
    with _RECENT_LOCK:
        if key in _RECENT:
            _RECENT.move_to_end(key)
            return _RECENT[key]
    colouring = _colouring(reader, mode, hour_s)
    with _RECENT_LOCK:
        _RECENT[key] = colouring
        while len(_RECENT) > _RECENT_SIZE:
            _RECENT.popitem(last=False)
    return colouring


def _colouring(reader: RunReader, mode: str, at_s: int) -> PipeColouring | None:
    view = reader.network()
    label = COLOURINGS[mode]
    if mode == "diameter":
        return PipeColouring(view.links["diameter_mm"].round(0), label)
    if mode == "zone":
        flows = tuple(reader.sensors().query("kind == 'flow'")["sensor_id"])
        zone = {p: area.name for area in view.areas(flows) for p in area.pipes}
        return PipeColouring(pd.Series(zone, dtype=object), label)
    loggers = reader.sensors().query("kind == 'pressure'")["sensor_id"].tolist()
    if mode == "pressure":
        measured = reader.series(loggers, "m", at_s - _WINDOW_S, at_s).mean()
        return _pressure(view, measured, label)
    hourly = reader.residuals(at_s - _WINDOW_S, at_s)
    hourly = hourly[(hourly["unit"] == "m") & hourly["sensor_id"].isin(loggers)]
    residual = hourly.groupby("sensor_id")["residual"].mean()
    return _interpolated(view, residual, label, diverging=True)


def _pressure(view: NetworkView, measured: pd.Series, label: str) -> PipeColouring | None:
    elevation = view.nodes["elevation_m"]
    head = (measured + elevation.reindex(measured.index)).dropna()
    node_head = _node_field(view, head)
    if node_head is None:
        return None
    node_pressure = node_head - elevation.reindex(node_head.index)
    return PipeColouring(_pipe_mean(view, node_pressure).round(2), label)


def _interpolated(
    view: NetworkView, at_sensors: pd.Series, label: str, diverging: bool
) -> PipeColouring | None:
    node_values = _node_field(view, at_sensors.dropna())
    if node_values is None:
        return None
    return PipeColouring(_pipe_mean(view, node_values).round(3), label, diverging=diverging)


def _node_field(view: NetworkView, at_sensors: pd.Series) -> pd.Series | None:
    """Harmonic interpolation of sensor values to every node (None without sensors)."""
    graph = _graph(view)
    at_sensors = at_sensors[at_sensors.index.isin(list(graph.nodes))]
    if at_sensors.empty:
        return None
    values = interpolate_residuals(
        graph, list(at_sensors.index), at_sensors.to_numpy(float), pin_fixed_heads=False
    )
    return pd.Series(values, index=list(graph.nodes))


def _pipe_mean(view: NetworkView, node_values: pd.Series) -> pd.Series:
    """Mean of each pipe's two end-node values."""
    values = node_values.reindex(view.nodes.index).to_numpy(float)
    pipe = (view.links["kind"] == "pipe").to_numpy()
    ends = np.vstack([values[view.link_start[pipe]], values[view.link_end[pipe]]])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a pipe with no value at either end
        mean = np.nanmean(ends, axis=0)
    return pd.Series(mean, index=view.links.index[pipe])


@cache
def _graph(view: NetworkView) -> nx.Graph:
    return conductance_graph(view.model)
