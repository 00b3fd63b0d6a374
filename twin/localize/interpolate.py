"""Residual interpolation over the network graph: a pressure-drop map from a few sensors.

The graph-based interpolation of Soldevila et al. (2020) and Romero-Ben et al. (2022)
spreads the sensor residuals (measured minus expected pressure, m) over every junction by
harmonic interpolation: each unknown junction takes the conductance-weighted mean of its
neighbours, the sensors are fixed at their residuals. In matrix terms, with the weighted graph
Laplacian ``L`` split into unknown (u) and sensor (s) nodes, ``L_uu x_u = −L_us r_s``.
A leak lowers pressures, so the junction with the most negative interpolated residual is the
most likely leak site (score ``−x``).

Harmonic functions have no interior extrema: the most negative value is always at a sensor,
and the map ranks junctions by how close (in conductance) they are to the sensors that dropped
most. That is the method's known resolution limit; the sensitivity methods of
:mod:`twin.localize.correlate` sharpen it.

Graph choices (see :func:`conductance_graph`): pipes conduct by ``1/length`` or by
``1/resistance``; pumps and valves are kept as edges of small conductance, so a pressure zone
behind a PRV or a pump is nearly decoupled from its neighbour when it has sensors of its own,
yet still takes its neighbour's value when it has none (rather than no value at all).
Reservoirs and tanks hold their head whatever the leak, so by default they are pinned at a
residual of 0.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from twin.localize.correlate import MissingPolicy, reporting_sensors

if TYPE_CHECKING:
    import networkx as nx
    import wntr
    from scipy.sparse import csr_array
    from wntr.network.elements import Pipe

__all__ = [
    "DEVICE_CONDUCTANCE",
    "PipeWeight",
    "conductance_graph",
    "interpolate_residuals",
]

PipeWeight = Literal["length", "resistance"]
"""How a pipe conducts a pressure change: ``1/length`` or ``1/hydraulic resistance``."""

DEVICE_CONDUCTANCE = 1e-3
"""Conductance of a pump or valve edge, as a fraction of the median pipe's conductance."""

_DARCY_FRICTION = 0.02  # typical of distribution mains; the resistance weight is a proxy anyway


def conductance_graph(
    wn: wntr.network.WaterNetworkModel,
    weight: PipeWeight = "length",
    device_conductance: float = DEVICE_CONDUCTANCE,
) -> nx.Graph:
    """The network as an undirected graph whose edges carry a ``conductance``.

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
        The model (WNTR's SI units: lengths and diameters in m).
    weight : {"length", "resistance"}, default "length"
        Pipe conductance: ``1/length`` (1/m), so interpolation along a chain of pipes is
        linear in distance; or ``1/r`` with the pipe's head-loss resistance ``r``
        (Hazen-Williams ``10.67 L / (C^1.852 D^4.871)``; Darcy-Weisbach with a friction
        factor of 0.02 for other head-loss formulas), so large mains carry a pressure change
        farther than small service pipes.
    device_conductance : float, default 1e-3
        Conductance of every pump and valve edge, as a fraction of the median pipe
        conductance. 0 drops them (zones behind them then need sensors of their own).

    Returns
    -------
    networkx.Graph
        Every node of the model, with the node attribute ``fixed_head`` (True for
        reservoirs and tanks); edges with ``conductance`` (in the unit of ``weight``) and
        ``links`` (the link ids it stands for: parallel links add their conductances).

    Examples
    --------
    >>> from twin.network import load
    >>> graph = conductance_graph(load("Net1"))
    >>> graph.number_of_nodes(), graph.nodes["9"]["fixed_head"], graph.nodes["10"]["fixed_head"]
    (11, True, False)
    """
    import networkx as nx

    if weight not in ("length", "resistance"):
        raise ValueError(f'weight must be "length" or "resistance", not {weight!r}')
    if not np.isfinite(device_conductance) or device_conductance < 0:
        raise ValueError(f"device_conductance must be ≥ 0, not {device_conductance!r}")
    fixed = {*wn.reservoir_name_list, *wn.tank_name_list}
    pipe_conductance = {
        name: 1.0 / _pipe_resistance(pipe, weight, wn.options.hydraulic.headloss)
        for name, pipe in wn.pipes()
    }
    device = device_conductance * float(np.median(list(pipe_conductance.values())))
    graph = nx.Graph()
    graph.add_nodes_from((name, {"fixed_head": name in fixed}) for name in wn.node_name_list)
    for name, link in wn.links():
        conductance = pipe_conductance.get(name, device)
        if conductance <= 0:
            continue
        ends = (link.start_node_name, link.end_node_name)
        if graph.has_edge(*ends):
            graph.edges[ends]["conductance"] += conductance
            graph.edges[ends]["links"].append(name)
        else:
            graph.add_edge(*ends, conductance=conductance, links=[name])
    return graph


def interpolate_residuals(
    graph: nx.Graph,
    sensor_nodes: Sequence[Hashable],
    residuals: np.ndarray,
    *,
    nodes: Sequence[Hashable] | None = None,
    pin_fixed_heads: bool = True,
    missing: MissingPolicy = "raise",
) -> np.ndarray:
    """Harmonic interpolation of sensor residuals to every node of the graph.

    Parameters
    ----------
    graph : networkx.Graph
        Edges with a positive ``conductance`` (as built by :func:`conductance_graph`); nodes
        may carry ``fixed_head=True``.
    sensor_nodes : sequence of node ids
        The node of each pressure sensor, in the order of the residuals.
    residuals : numpy.ndarray, shape (n_sensors,) or (n_windows, n_sensors)
        Measured minus expected pressure at the sensors, m.
    nodes : sequence of node ids, optional
        The nodes to return values for, in this order; default all nodes of the graph.
    pin_fixed_heads : bool, default True
        Hold ``fixed_head`` nodes (reservoirs, tanks) at a residual of 0; a sensor placed on
        such a node keeps its own residual.
    missing : {"raise", "drop"}, default "raise"
        A sensor with a NaN residual (it did not report) is an error, or is left out of
        every window (see :func:`twin.localize.correlate.reporting_sensors`).

    Returns
    -------
    numpy.ndarray, shape (n_nodes,) or (n_windows, n_nodes)
        Interpolated residual, m, at ``nodes``. NaN on parts of the graph that reach no
        sensor and no pinned node. The leak score is its negative.

    Raises
    ------
    ValueError
        A sensor or requested node not in the graph, a sensor listed twice, residuals that
        do not match the sensors, NaN residuals with ``missing="raise"``, or an edge without
        a positive conductance.

    Examples
    --------
    Along a path of three 100 m pipes with sensors at both ends, the residual falls linearly:

    >>> import networkx as nx
    >>> path = nx.path_graph(["a", "b", "c", "d"])
    >>> nx.set_edge_attributes(path, 1 / 100, "conductance")
    >>> interpolate_residuals(path, ["a", "d"], np.array([-0.3, 0.0]))
    array([-0.3, -0.2, -0.1,  0. ])
    """
    values = np.asarray(residuals, dtype=float)
    order = list(graph.nodes)
    position = {node: i for i, node in enumerate(order)}
    sensor_index = _sensor_positions(sensor_nodes, values, position)
    keep = reporting_sensors(values, [str(s) for s in sensor_nodes], missing)
    windows = np.atleast_2d(values)[:, keep]
    sensor_index = sensor_index[keep]
    wanted = _node_positions(nodes, position) if nodes is not None else np.arange(len(order))

    boundary = np.zeros(len(order), dtype=bool)
    boundary_values = np.zeros((len(order), windows.shape[0]))
    if pin_fixed_heads:
        boundary[[position[n] for n, fixed in graph.nodes(data="fixed_head") if fixed]] = True
    boundary[sensor_index] = True
    boundary_values[sensor_index] = windows.T

    field = _harmonic(_laplacian(graph, order), boundary, boundary_values)
    result = field[wanted].T
    return result[0] if values.ndim == 1 else result


def _harmonic(
    laplacian: csr_array, boundary: np.ndarray, boundary_values: np.ndarray
) -> np.ndarray:
    """Solve ``L_uu x_u = −L_ub x_b``; NaN on components with no boundary node."""
    from scipy.sparse.csgraph import connected_components
    from scipy.sparse.linalg import splu

    _, component = connected_components(laplacian, directed=False)
    anchored = np.isin(component, np.unique(component[boundary]))
    field = np.full(boundary_values.shape, np.nan)
    field[boundary] = boundary_values[boundary]
    unknown = np.flatnonzero(~boundary & anchored)
    if unknown.size:
        known = np.flatnonzero(boundary)
        rhs = -(laplacian[unknown][:, known] @ boundary_values[known])
        # one LU factorisation serves every window: the right-hand side has a column each
        lu = splu(laplacian[unknown][:, unknown].tocsc())
        field[unknown] = lu.solve(np.ascontiguousarray(rhs))
    return field


def _laplacian(graph: nx.Graph, order: list[Hashable]) -> csr_array:
    """Weighted graph Laplacian (scipy CSR) in ``order``, checking every conductance."""
    import networkx as nx

    bad = [
        (a, b)
        for a, b, g in graph.edges(data="conductance")
        if g is None or not np.isfinite(g) or g <= 0
    ]
    if bad:
        listed = ", ".join(f"{a}-{b}" for a, b in bad[:10])
        raise ValueError(f"edges without a positive finite conductance: {listed}")
    return nx.laplacian_matrix(graph, nodelist=order, weight="conductance").tocsr()


def _sensor_positions(
    sensor_nodes: Sequence[Hashable], values: np.ndarray, position: dict[Hashable, int]
) -> np.ndarray:
    """Graph positions of the sensors, refusing unknown, repeated or mismatched sensors."""
    if values.ndim not in (1, 2):
        raise ValueError(
            f"residuals must be (n_sensors,) or (n_windows, n_sensors), not shape {values.shape}"
        )
    if values.shape[-1] != len(sensor_nodes):
        raise ValueError(
            f"residuals have {values.shape[-1]} sensors but {len(sensor_nodes)} sensor nodes "
            "are given"
        )
    unknown = [str(s) for s in sensor_nodes if s not in position]
    if unknown:
        raise ValueError(f"sensor node(s) not in the network graph: {', '.join(unknown[:10])}")
    if len(set(sensor_nodes)) != len(sensor_nodes):
        repeated = sorted({str(s) for s in sensor_nodes if list(sensor_nodes).count(s) > 1})
        raise ValueError(f"sensor node(s) listed more than once: {', '.join(repeated)}")
    return np.array([position[s] for s in sensor_nodes], dtype=int)


def _node_positions(nodes: Sequence[Hashable], position: dict[Hashable, int]) -> np.ndarray:
    unknown = [str(n) for n in nodes if n not in position]
    if unknown:
        raise ValueError(f"requested node(s) not in the network graph: {', '.join(unknown[:10])}")
    return np.array([position[n] for n in nodes], dtype=int)


def _pipe_resistance(pipe: Pipe, weight: PipeWeight, headloss: str) -> float:
    """``length`` (m) or the head-loss resistance of a pipe; must be positive."""
    if pipe.length <= 0 or pipe.diameter <= 0:
        raise ValueError(
            f"pipe {pipe.name} has length {pipe.length} m and diameter {pipe.diameter} m; "
            "both must be positive"
        )
    if weight == "length":
        return float(pipe.length)
    if headloss == "H-W":
        return 10.667 * pipe.length / (pipe.roughness**1.852 * pipe.diameter**4.871)
    return 8 * _DARCY_FRICTION * pipe.length / (9.81 * np.pi**2 * pipe.diameter**5)
