"""The network as the map draws it: node coordinates, link end points, lengths and zones.

Loading a model takes from 0.1 s (L-Town) to several seconds (12,523 junctions), so each
network is read once per process and kept (:func:`network_view`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import wntr

from twin.network import NetworkAreas, load, network_areas, resolve_network

__all__ = ["NetworkView", "network_view"]


@dataclass(frozen=True, eq=False)  # hashed by identity: one view per network
class NetworkView:
    """Geometry of one network for drawing.

    Attributes
    ----------
    name : str
        The network's catalogue name or path, as the run's store names it.
    nodes : pandas.DataFrame
        Index node id; columns ``x``, ``y`` (model coordinates), ``kind`` (junction, tank,
        reservoir), ``elevation_m``.
    links : pandas.DataFrame
        Index link id; columns ``x0``, ``y0``, ``x1``, ``y1`` (end points), ``xm``, ``ym``
        (middle of the straight segment), ``kind`` (pipe, pump, valve), ``length_m``
        (0 for pumps and valves), ``diameter_mm``, ``start``, ``end`` (node ids).
    model : wntr.network.WaterNetworkModel
        The model itself (tank sizes, graph for interpolation).
    link_start, link_end : numpy.ndarray of int
        Position in ``nodes`` of each link's start and end node, in ``links`` order.
    inp_path : Path
        The .inp file read.
    """

    name: str
    nodes: pd.DataFrame
    links: pd.DataFrame
    model: wntr.network.WaterNetworkModel = field(repr=False)
    inp_path: Path
    link_start: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, int))
    link_end: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, int))

    def areas(self, flow_meter_links: tuple[str, ...]) -> NetworkAreas:
        """The network's metering zones given its flow meters (with the sidecar applied)."""
        return _areas(self, flow_meter_links)

    def bounds(self, link_ids: list[str] | None = None, margin: float = 0.15) -> tuple:
        """``(x0, x1, y0, y1)`` around some links (all when None), widened by ``margin``.

        The box is kept at least 5% of the whole network's size, so one short pipe does
        not zoom the map to a blur.
        """
        chosen = self.links if link_ids is None else self.links.loc[self.links.index.isin(link_ids)]
        if chosen.empty:
            chosen = self.links
        xs = np.concatenate([chosen["x0"], chosen["x1"]])
        ys = np.concatenate([chosen["y0"], chosen["y1"]])
        full = max(float(np.ptp(self.nodes["x"])), float(np.ptp(self.nodes["y"])), 1.0)
        half = max(float(np.ptp(xs)), float(np.ptp(ys)), 0.05 * full) * (0.5 + margin)
        cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
        return (cx - half, cx + half, cy - half, cy + half)

    def length_km(self, link_ids: list[str]) -> float:
        """Total length of some links, km (unknown ids count 0)."""
        known = self.links["length_m"].reindex(link_ids).fillna(0.0)
        return float(known.sum() / 1000.0)


@cache
def _areas(view: NetworkView, flow_meter_links: tuple[str, ...]) -> NetworkAreas:
    return network_areas(view.inp_path, view.model, list(flow_meter_links))


@cache
def network_view(name: str) -> NetworkView:
    """The network named in a run's store, read once per process.

    Raises
    ------
    twin.network.UnknownNetworkError
        The name is in no catalogue and no such file exists.
    """
    inp = resolve_network(name)
    wn = load(inp)
    nodes = _nodes(wn)
    links = _links(wn, nodes)
    start = nodes.index.get_indexer(links["start"])
    end = nodes.index.get_indexer(links["end"])
    return NetworkView(name, nodes, links, wn, Path(inp), start, end)


def _nodes(wn: wntr.network.WaterNetworkModel) -> pd.DataFrame:
    rows = []
    for node_id, node in wn.nodes():
        x, y = node.coordinates if node.coordinates is not None else (np.nan, np.nan)
        elevation = getattr(node, "elevation", np.nan)
        rows.append((node_id, float(x), float(y), node.node_type.lower(), float(elevation)))
    frame = pd.DataFrame(rows, columns=["node_id", "x", "y", "kind", "elevation_m"])
    return frame.set_index("node_id")


def _links(wn: wntr.network.WaterNetworkModel, nodes: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for link_id, link in wn.links():
        kind = link.link_type.lower()
        length = float(link.length) if kind == "pipe" else 0.0
        diameter = float(getattr(link, "diameter", np.nan) or np.nan) * 1000.0
        rows.append((link_id, link.start_node_name, link.end_node_name, kind, length, diameter))
    frame = pd.DataFrame(
        rows, columns=["link_id", "start", "end", "kind", "length_m", "diameter_mm"]
    ).set_index("link_id")
    start = nodes.loc[frame["start"], ["x", "y"]].to_numpy()
    end = nodes.loc[frame["end"], ["x", "y"]].to_numpy()
    frame["x0"], frame["y0"] = start[:, 0], start[:, 1]
    frame["x1"], frame["y1"] = end[:, 0], end[:, 1]
    frame["xm"], frame["ym"] = (start[:, 0] + end[:, 0]) / 2, (start[:, 1] + end[:, 1]) / 2
    return frame
