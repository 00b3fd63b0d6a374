"""The network's flow balance linearised at a converged state: EPANET's Jacobian, made exact.

At a converged solve every junction balances: inflow = demand + emitter outflow. Move one
junction's outflow by a little and every head moves with it, as the linear system

    (A G⁻¹ Aᵀ + D) dH = -e_k dq

says: ``G`` holds each link's head loss gradient dh/dQ at its flow (EPANET's ``1/P``), ``A``
the junction-link incidence, ``D`` the slope of the pressure-dependent outflows (emitters,
pressure-dependent demand). Tanks and reservoirs hold their head within a step.

The gradients follow EPANET's own formulas (:mod:`twin.hydraulics.gradients`), so the system
is the one EPANET's solver builds at its solution, with one exception where EPANET's is only
an iteration matrix: an active pressure-reducing (sustaining, breaking) valve. EPANET pins the
controlled head and lags the valve's flow; here that flow is an unknown of its own, so a
demand downstream of a PRV draws on the network upstream as it really does.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import epanet.toolkit as tk
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from twin.hydraulics.gradients import (
    CBIG,
    MINOR_LOSS,
    US_GRADIENT,
    PumpCurve,
    emitter_slopes,
    pcv_loss_coefficient,
    pipe_gradients,
    pipe_resistances,
    valve_gradient,
    wagner_slopes,
)
from twin.hydraulics.project import ArrayView

if TYPE_CHECKING:
    from scipy.sparse.linalg import SuperLU

    from twin.hydraulics.engine import HydraulicEngine, HydraulicState
    from twin.hydraulics.project import Project

__all__ = ["ACTIVE", "CLOSED", "OPEN", "LinearisedNetwork", "head_response", "linearise"]

CLOSED, OPEN, ACTIVE = 0, 1, 2
"""Status of a link at the operating point (``LinearisedNetwork.link_status``)."""

VALVE_TOLERANCE_M = 1e-4  # an active valve holds its setting to EPANET's 1e-8 pin, or it is open
ZERO_FLOW_HEAD_LOSS_M = 1e-6  # an open link without flow has no head loss either
_PIPES = (tk.PIPE, tk.CVPIPE)
# The junction block is symmetric: prefer diagonal pivots (the valve rows, with a zero
# diagonal, still get pivoted), which saves a third of the factorisation.
_SUPERLU = {"diag_pivot_thresh": 0.1, "options": {"SymmetricMode": True}}


@dataclass(frozen=True)
class LinearisedNetwork:
    """The flow-balance Jacobian of a network at one converged state (SI units).

    Attributes
    ----------
    time_s : int
        Time of the state, s since the run's origin.
    node_ids : list of str
        Every node, in the engine's order (``HydraulicEngine.node_ids``).
    node_position : dict of str to int
        Position of each node id in ``node_ids``.
    junction_ids : list of str
        The consumer junctions (``HydraulicEngine.junction_ids``): the default leak candidates.
    junction_positions : ndarray of int, shape (n_junctions,)
        Position of each of ``junction_ids`` in ``node_ids``.
    row_of_node : ndarray of int, shape (n_nodes,)
        Row (and column) of each node in :attr:`matrix`; -1 for tanks and reservoirs (fixed
        head). The rows are in a fill-reducing order, not in the nodes' order.
    matrix : scipy.sparse.csr_matrix, shape (n_unknowns, n_unknowns)
        The Jacobian of the flow balance, m³/s per m: a row and column per junction head,
        then one per active PRV, PSV or PBV flow (whose row pins the head the valve holds).
    conductance : ndarray, shape (n_links,)
        dQ/d(head difference) of each link, m³/s per m. Closed links, active FCVs and PSVs
        keep EPANET's 1e-8 cfs/ft (9.3e-10 m³/s per m); an active PRV or PBV has none, its
        flow being an unknown of its own.
    link_status : ndarray of int, shape (n_links,)
        :data:`CLOSED`, :data:`OPEN` or :data:`ACTIVE` (a control valve holding its setting).
    outflow_slope : ndarray, shape (n_nodes,)
        d(outflow)/d(pressure) of emitters and pressure-dependent demand, m³/s per m.
    """

    time_s: int
    node_ids: list[str]
    node_position: dict[str, int]
    junction_ids: list[str]
    junction_positions: npt.NDArray[np.int64]
    row_of_node: npt.NDArray[np.int64]
    matrix: sp.csr_matrix
    conductance: npt.NDArray[np.float64]
    link_status: npt.NDArray[np.int8]
    outflow_slope: npt.NDArray[np.float64]

    @cached_property
    def factorisation(self) -> SuperLU:
        """The sparse LU factors of the transposed :attr:`matrix` (computed on first use)."""
        # The rows are already in a fill-reducing order (found once per pattern). Factoring
        # Mᵀ (the CSR matrix's arrays read as CSC, no copy) makes the solves for rows of M⁻¹
        # plain forward-backward ones, which SuperLU does faster than transposed ones.
        try:
            return splu(self.matrix.T, permc_spec="NATURAL", **_SUPERLU)
        except RuntimeError as error:
            raise ValueError(
                f"the network linearised at {self.time_s} s is singular ({error}): "
                "some junctions reach no tank or reservoir"
            ) from None


def linearise(engine: HydraulicEngine, state: HydraulicState) -> LinearisedNetwork:
    """Linearise the flow balance of ``engine``'s network at ``state``.

    Parameters
    ----------
    engine : HydraulicEngine
        The engine that solved ``state``. Pipe, pump-curve and layout data are read from its
        project once and kept while the project stays open; valve settings, pump speeds,
        emitter coefficients and the demand model are read at every call (the current ones:
        linearise before the next step).
    state : HydraulicState
        A converged state from ``engine.step()``. Heads, flows and demands come from it, and
        so does the link status: closed (no flow across a head difference), open, or active
        (a control valve holding its setting).

    Returns
    -------
    LinearisedNetwork

    Raises
    ------
    ValueError
        The state did not converge (``state.converged`` is False).

    Examples
    --------
    >>> from twin.hydraulics import HydraulicEngine
    >>> with HydraulicEngine("Net1", step_s=3600) as engine:
    ...     lin = linearise(engine, engine.step())
    >>> lin.matrix.shape, int((lin.link_status == OPEN).sum())
    ((9, 9), 13)
    """
    if not state.converged:
        raise ValueError(
            f"the state at {state.time_s} s did not converge: its Jacobian would describe "
            "EPANET's last iterate, not the network"
        )
    project = engine.project
    layout = _layout(engine)
    correction = project.flow_correction
    flow = state.flow / correction  # EPANET's own m³/s, the units of its curves and settings
    setting = _link_values(project, len(flow), tk.SETTING)
    status, gradient, valves = _link_gradients(project, layout, state, flow, setting)
    conductance = np.zeros(len(flow))
    conducting = np.isfinite(gradient)
    conductance[conducting] = correction / gradient[conducting]
    slope = _outflow_slopes(project, layout, state) * correction
    pattern = _pattern(layout, valves)
    return LinearisedNetwork(
        time_s=state.time_s,
        node_ids=layout.node_ids,
        node_position=layout.node_position,
        junction_ids=layout.junction_ids,
        junction_positions=layout.consumer_nodes,
        row_of_node=pattern.row_of_node,
        matrix=pattern.matrix(conductance, slope[layout.junction_nodes]),
        conductance=conductance,
        link_status=status,
        outflow_slope=slope,
    )


def head_response(
    lin: LinearisedNetwork, observed: npt.ArrayLike, perturbed: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Head change at ``observed`` nodes per unit extra outflow at ``perturbed`` junctions.

    One factorisation of the Jacobian and one solve with its transpose per observed node give
    every perturbed column at once: row ``i`` of the inverse is ``(Mᵀ)⁻¹ e_i``.

    Parameters
    ----------
    lin : LinearisedNetwork
    observed : array_like of int, shape (n_observed,)
        Node positions (in ``lin.node_ids``) whose head is watched; a tank or reservoir
        responds with 0.
    perturbed : array_like of int, shape (n_perturbed,)
        Positions of the junctions whose outflow grows.

    Returns
    -------
    ndarray, shape (n_observed, n_perturbed)
        dH/dq in m per m³/s; negative, as extra outflow lowers the heads. Equal to the
        pressure response, the elevations being fixed.
    """
    perturbed = np.asarray(perturbed, dtype=np.int64)
    observed_rows = lin.row_of_node[np.asarray(observed, dtype=np.int64)]
    perturbed_rows = lin.row_of_node[perturbed]
    if np.any(perturbed_rows < 0):
        bad = [lin.node_ids[i] for i in perturbed[perturbed_rows < 0]]
        raise ValueError(f"only junctions take extra outflow; {bad} hold a fixed head")
    response = np.zeros((len(observed_rows), len(perturbed_rows)))
    watched = np.flatnonzero(observed_rows >= 0)
    if len(watched) == 0 or len(perturbed_rows) == 0:
        return response
    unit = np.zeros((lin.matrix.shape[0], len(watched)), order="F")  # SuperLU's layout
    unit[observed_rows[watched], np.arange(len(watched))] = 1.0
    inverse_rows = lin.factorisation.solve(unit).T  # rows of M⁻¹: (Mᵀ)⁻¹ e_i, transposed
    response[watched] = -inverse_rows[:, perturbed_rows]
    return response


# --- what stays while a project is open ----------------------------------------------------
@dataclass(frozen=True)
class _Layout:
    """Nodes, links, pipe resistances, pump curves and matrix patterns of one open project."""

    node_ids: list[str]
    node_position: dict[str, int]
    junction_ids: list[str]  # the engine's consumer junctions
    consumer_nodes: npt.NDArray[np.int64]  # their positions in node_ids
    junction_row: npt.NDArray[np.int64]  # every junction numbered in node order, -1 otherwise
    junction_nodes: npt.NDArray[np.int64]
    link_types: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]
    diameter_mm: npt.NDArray[np.float64]
    minor_k: npt.NDArray[np.float64]
    pipes: npt.NDArray[np.int64]
    others: list[int]
    formula: int
    resistance: npt.NDArray[np.float64]
    roughness: npt.NDArray[np.float64]
    pumps: dict[int, PumpCurve]
    patterns: dict[tuple[tuple[int, int], ...], _Pattern]


_LAYOUTS: weakref.WeakKeyDictionary[Project, _Layout] = weakref.WeakKeyDictionary()


def _layout(engine: HydraulicEngine) -> _Layout:
    """The layout of the engine's open project, read on first use (a reopened one is new)."""
    project = engine.project
    if project not in _LAYOUTS:
        _LAYOUTS[project] = _read_layout(engine, project)
    return _LAYOUTS[project]


def _read_layout(engine: HydraulicEngine, project: Project) -> _Layout:
    h = project.handle
    n_links = project.count(tk.LINKCOUNT)
    node_types = project.node_types()
    junction_nodes = np.flatnonzero(node_types == tk.JUNCTION)
    junction_row = np.full(len(node_types), -1, dtype=np.int64)
    junction_row[junction_nodes] = np.arange(len(junction_nodes))
    types = np.array([tk.getlinktype(h, i) for i in range(1, n_links + 1)], dtype=np.int64)
    ends = np.array([tk.getlinknodes(h, i) for i in range(1, n_links + 1)], dtype=np.int64)
    start, end = ends[:, 0] - 1, ends[:, 1] - 1
    pipes = np.flatnonzero(np.isin(types, _PIPES))
    formula = int(tk.getoption(h, tk.HEADLOSSFORM))
    length, diameter, roughness = (
        _link_values(project, n_links, prop) for prop in (tk.LENGTH, tk.DIAMETER, tk.ROUGHNESS)
    )
    pumps = {int(k): _pump_curve(project, int(k)) for k in np.flatnonzero(types == tk.PUMP)}
    node_ids = list(engine.node_ids)
    return _Layout(
        node_ids=node_ids,
        node_position={node: i for i, node in enumerate(node_ids)},
        junction_ids=list(engine.junction_ids),
        consumer_nodes=np.array([project.node_index(j) - 1 for j in engine.junction_ids]),
        junction_row=junction_row,
        junction_nodes=junction_nodes,
        link_types=types,
        start=start,
        end=end,
        diameter_mm=diameter,
        minor_k=_link_values(project, n_links, tk.MINORLOSS),
        pipes=pipes,
        others=np.flatnonzero(~np.isin(types, _PIPES)).tolist(),
        formula=formula,
        resistance=pipe_resistances(formula, length[pipes], diameter[pipes], roughness[pipes]),
        roughness=roughness[pipes],
        pumps=pumps,
        patterns={},
    )


def _link_values(project: Project, n: int, prop: int) -> npt.NDArray[np.float64]:
    view = ArrayView(n)
    tk.getlinkvalues(project.handle, prop, view.buffer)
    return view.values.copy()


def _curve(project: Project, index: int) -> tuple[npt.NDArray[np.float64], ...]:
    """Points of curve ``index`` in SI (m³/s, m), as two arrays."""
    h = project.handle
    points = [tk.getcurvevalue(h, index, p) for p in range(1, tk.getcurvelen(h, index) + 1)]
    return tuple(np.array(points, dtype=float).T)


def _pump_curve(project: Project, k: int) -> PumpCurve:
    kind = tk.getpumptype(project.handle, k + 1)
    curve = int(tk.getlinkvalue(project.handle, k + 1, tk.PUMP_HCURVE))
    x, y = _curve(project, curve) if curve > 0 else (np.zeros(0), np.zeros(0))
    return PumpCurve(kind=kind, flow=x, head=y)


# --- the operating point -------------------------------------------------------------------
def _link_gradients(
    project: Project,
    layout: _Layout,
    state: HydraulicState,
    flow: npt.NDArray[np.float64],
    setting: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64], dict[int, int]]:
    """Status, head loss gradient (m per EPANET m³/s; inf: no conductance) and active valves.

    The active valves map link position to the EPANET type of the valve that holds a head.
    """
    start, end = layout.start, layout.end
    # EPANET reports a closed link's flow as exactly 0, but an open dead-end pipe can carry
    # exactly 0 too: that one has no head loss, a closed one (almost always) has some
    level = np.abs(state.head[start] - state.head[end]) < ZERO_FLOW_HEAD_LOSS_M
    moving = (flow != 0.0) | (level & (layout.link_types != tk.PUMP))
    status = np.where(moving, OPEN, CLOSED).astype(np.int8)
    # closed links keep EPANET's 1/CBIG conductance: a zone shut off behind them follows its
    # neighbours as EPANET's solution does
    gradient = np.full(len(flow), CBIG * US_GRADIENT)
    pipes = layout.pipes
    gradient[pipes] = np.where(
        status[pipes] == OPEN,
        pipe_gradients(
            layout.formula,
            layout.resistance,
            flow[pipes],
            MINOR_LOSS * layout.minor_k[pipes] / (layout.diameter_mm[pipes] / 304.8) ** 4,
            layout.diameter_mm[pipes],
            layout.roughness,
            tk.getoption(project.handle, tk.SP_VISCOS),
        ),
        gradient[pipes],
    )
    active: dict[int, int] = {}
    for k in layout.others:
        kind = int(layout.link_types[k])
        if status[k] == CLOSED:
            continue
        if kind == tk.PUMP:
            gain = state.head[end[k]] - state.head[start[k]]
            gradient[k] = layout.pumps[k].gradient(abs(flow[k]), setting[k], gain)
        elif _valve_is_active(kind, setting[k], state, start[k], end[k], flow[k]):
            status[k] = ACTIVE
            if kind != tk.FCV:  # an active FCV fixes its flow; it and a PSV keep 1/CBIG
                active[k] = kind
            if kind in (tk.PRV, tk.PBV):
                gradient[k] = np.inf
        else:
            gradient[k] = _open_valve_gradient(project, layout, kind, k, flow[k], setting[k])
    return status, gradient, active


def _valve_is_active(
    kind: int, setting: float, state: HydraulicState, a: int, b: int, flow: float
) -> bool:
    """Whether an open control valve holds its setting at the state (EPANET's ACTIVE)."""
    if kind == tk.PRV:
        return abs(state.pressure[b] - setting) < VALVE_TOLERANCE_M
    if kind == tk.PSV:
        return abs(state.pressure[a] - setting) < VALVE_TOLERANCE_M
    if kind == tk.PBV:
        loss = state.head[a] - state.head[b]
        return setting != 0.0 and abs(loss - setting) < VALVE_TOLERANCE_M
    if kind == tk.FCV:
        return abs(flow - setting) <= 1e-6 * abs(setting) + 1e-12
    return False


def _open_valve_gradient(
    project: Project, layout: _Layout, kind: int, k: int, flow: float, setting: float
) -> float:
    loss = layout.minor_k[k]
    curve = None
    if kind == tk.TCV:
        loss = setting
    elif kind == tk.GPV:
        curve = _curve(project, int(round(setting)))
    elif kind == tk.PCV:
        index = int(tk.getlinkvalue(project.handle, k + 1, tk.VALVE_CURVE))
        loss = pcv_loss_coefficient(setting, loss, _curve(project, index) if index else None)
    return valve_gradient(kind, flow, layout.diameter_mm[k], loss, curve)


def _outflow_slopes(
    project: Project, layout: _Layout, state: HydraulicState
) -> npt.NDArray[np.float64]:
    """d(outflow)/d(pressure) at every node, EPANET m³/s per m: emitters, then PDD."""
    h = project.handle
    junction = layout.junction_row >= 0
    coefficient = np.where(junction, project.node_values(tk.EMITTER), 0.0)
    emitted, slope = emitter_slopes(
        coefficient,
        state.pressure,
        tk.getoption(h, tk.EMITEXPON),
        backflow=tk.getoption(h, tk.EMITBACKFLOW) != 0,
    )
    model, p_min, p_req, exponent = tk.getdemandmodel(h)
    if model == tk.PDA:
        delivered = np.where(junction, state.demand / project.flow_correction - emitted, 0.0)
        slope += wagner_slopes(delivered, state.pressure, p_min, p_req, exponent)
    return slope


# --- the linear system ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Pattern:
    """Where each conductance, slope and valve entry lands in the CSR matrix.

    ``[[A G⁻¹ Aᵀ + D, B], [C, 0]]``: junction balances, then one row per active valve, all
    renumbered once in a fill-reducing order, so that each factorisation can skip ordering.
    """

    n: int
    row_of_node: npt.NDArray[np.int64]  # matrix row of each node, -1 for fixed heads
    at_a: npt.NDArray[np.bool_]
    at_b: npt.NDArray[np.bool_]
    both: npt.NDArray[np.bool_]
    valve_values: npt.NDArray[np.float64]
    slot: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int32]
    indptr: npt.NDArray[np.int32]

    @classmethod
    def of(
        cls,
        junction_row: npt.NDArray[np.int64],
        start: npt.NDArray[np.int64],
        end: npt.NDArray[np.int64],
        n_junctions: int,
        valves: tuple[tuple[int, int], ...],
    ) -> _Pattern:
        """The pattern of the links from ``start`` to ``end`` nodes, with active ``valves``.

        ``junction_row`` numbers the junctions (-1: a tank or reservoir) before reordering.
        """
        a, b = junction_row[start], junction_row[end]
        at_a, at_b = a >= 0, b >= 0
        both = at_a & at_b
        diagonal = np.arange(n_junctions)
        valve_rows, valve_cols, valve_values = _valve_entries(a, b, n_junctions, valves)
        rows = np.concatenate([a[at_a], b[at_b], a[both], b[both], diagonal, valve_rows])
        cols = np.concatenate([a[at_a], b[at_b], b[both], a[both], diagonal, valve_cols])
        n = n_junctions + len(valves)
        position = _fill_reducing_order(rows, cols, n)
        keys, slot = np.unique(position[rows] * n + position[cols], return_inverse=True)
        indptr = np.searchsorted(keys // n, np.arange(n + 1)).astype(np.int32)
        indices = (keys % n).astype(np.int32)
        row_of_node = np.where(junction_row >= 0, position[junction_row], -1)
        return cls(n, row_of_node, at_a, at_b, both, valve_values, slot, indices, indptr)

    def matrix(self, conductance: npt.NDArray, slope: npt.NDArray) -> sp.csr_matrix:
        """The Jacobian with these link ``conductance`` and junction outflow ``slope``."""
        c = conductance
        both = -c[self.both]
        values = np.concatenate([c[self.at_a], c[self.at_b], both, both, slope, self.valve_values])
        data = np.bincount(self.slot, weights=values, minlength=len(self.indices))
        return sp.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))


def _valve_entries(
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    n_junctions: int,
    valves: tuple[tuple[int, int], ...],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Rows, columns and values of the active valves' entries.

    Valve ``v`` from junction row a to b carries an unknown flow change: +1 in a's balance,
    -1 in b's. Its own row pins the head it holds: b for a PRV, a for a PSV, a - b for a PBV.
    """
    entries: list[tuple[int, int, float]] = []
    for extra, (k, kind) in enumerate(valves):
        v = n_junctions + extra
        held = {tk.PRV: [(b[k], 1.0)], tk.PSV: [(a[k], 1.0)], tk.PBV: [(a[k], 1.0), (b[k], -1.0)]}
        pinned = [(int(node), sign) for node, sign in held[kind] if node >= 0]
        if not pinned:  # it holds the head of a tank: its flow change is free
            entries.append((v, v, 1.0))
            continue
        ends = ((int(a[k]), 1.0), (int(b[k]), -1.0))
        entries += [(node, v, sign) for node, sign in ends if node >= 0]
        entries += [(v, node, sign) for node, sign in pinned]
    rows, cols, values = np.array(entries, dtype=float).reshape(-1, 3).T
    return rows.astype(np.int64), cols.astype(np.int64), values


def _fill_reducing_order(
    rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], n: int
) -> npt.NDArray[np.int64]:
    """New position of each unknown: SuperLU's minimum degree ordering of the pattern."""
    values = np.where(rows == cols, float(n), -1.0)  # diagonally dominant where it can be
    scratch = sp.csc_matrix((values, (rows, cols)), shape=(n, n))
    return splu(scratch, permc_spec="MMD_AT_PLUS_A", **_SUPERLU).perm_c.astype(np.int64)


def _pattern(layout: _Layout, active_valves: dict[int, int]) -> _Pattern:
    """The matrix pattern with these active valves (each one seen is kept with the layout)."""
    valves = tuple(active_valves.items())
    pattern = layout.patterns.get(valves)
    if pattern is None:
        pattern = layout.patterns[valves] = _Pattern.of(
            layout.junction_row, layout.start, layout.end, len(layout.junction_nodes), valves
        )
    return pattern
