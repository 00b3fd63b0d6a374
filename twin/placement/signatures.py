"""Leak signatures: how every single leak moves every junction's pressure and every zone's supply.

A sensor planner asks the same question of many layouts: "with loggers here, would we see
and find a leak there?". The answer rests on one table, simulated once: for every junction
as a leak site, several orifice sizes and several times of day, the change of pressure at
every junction (every place a logger could go) and the change of each zone's supply, against
the leak-free network at the same time. Any layout is then scored from this table without
re-simulating (:mod:`twin.placement.scoring`).

The leak is the non-linear one: an orifice emitter (``q = Cd·A·sqrt(2 g p)``) that EPANET
balances with the rest of the network, at the time of day, the tanks where the day's
operation has put them. Beside it, the analytic sensitivity matrix at each time
(:func:`twin.localize.sensitivity.sensitivity_matrix`) is what a twin's localizer matches the
residuals against; :func:`linear_error` says how far the linear prediction ``S·q`` is from
the simulated change.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import epanet.toolkit as tk
import numpy as np
import numpy.typing as npt

from twin.hydraulics import HydraulicEngine, HydraulicState, Leak
from twin.localize.sensitivity import sensitivity_matrix
from twin.network import load, network_areas, resolve_network
from twin.network.sensors import sidecar_layout

__all__ = [
    "DEFAULT_LEAK_DIAMETERS_M",
    "DEFAULT_TIMES_OF_DAY_S",
    "LeakSignatures",
    "ProgressCallback",
    "ZoneMeters",
    "build_signatures",
    "linear_error",
    "zone_meters",
]

DEFAULT_LEAK_DIAMETERS_M = (0.008, 0.014, 0.025)
"""Orifice diameters of the simulated leaks, m: small, medium and large within 8-25 mm.

In L-Town at 30-60 m of pressure these lose about 4, 12 and 40 m³/h.
"""

DEFAULT_TIMES_OF_DAY_S = (3 * 3600, 8 * 3600, 14 * 3600, 20 * 3600)
"""Times of day the leaks are simulated at, s after midnight: night, morning peak,
afternoon, evening."""

ProgressCallback = Callable[[float, str], None]
"""``on_progress(fraction, message)``: fraction done in [0, 1] and what is being done."""


@dataclass(frozen=True)
class ZoneMeters:
    """How each zone's supply is read from a hydraulic state.

    A zone's supply is the flow over its metered inlets (signed into the zone), plus what its
    links to reservoirs carry (a source meter: every utility meters its sources), plus the
    water its tanks give (their level gauges). A leak in the zone raises it by about the
    leak's outflow.

    Attributes
    ----------
    names : list of str
        Zone names (``twin.network.network_areas``).
    link_sign : ndarray, shape (n_zones, n_links)
        +1 / -1 for the zone's inlets and reservoir links (into the zone), else 0.
    tank_member : ndarray, shape (n_zones, n_nodes)
        1 at the zone's tanks, else 0.
    """

    names: list[str]
    link_sign: npt.NDArray[np.float64]
    tank_member: npt.NDArray[np.float64]

    def supply(self, state: HydraulicState) -> npt.NDArray[np.float64]:
        """Supply of each zone, m³/s, shape (n_zones,)."""
        # a tank's demand is the water flowing into it: what it gives is minus that
        return self.link_sign @ state.flow - self.tank_member @ state.demand


def zone_meters(inp: Path, engine: HydraulicEngine, flow_meters: Sequence[str]) -> ZoneMeters:
    """The zones of ``inp`` cut at ``flow_meters`` and how to read their supply from ``engine``."""
    wn = load(inp)
    areas = network_areas(inp, wn, list(flow_meters))
    link_position = {link: i for i, link in enumerate(engine.link_ids)}
    node_position = {node: i for i, node in enumerate(engine.node_ids)}
    link_sign = np.zeros((len(areas), len(engine.link_ids)))
    tank_member = np.zeros((len(areas), len(engine.node_ids)))
    for z, area in enumerate(areas):
        members = set(area.junctions) | set(area.tanks)
        for inlet in area.inlets:
            link_sign[z, link_position[inlet.link_id]] = inlet.sign
        for link in area.unmetered_links:
            start, end = engine.link_nodes[link_position[link]]
            link_sign[z, link_position[link]] = 1.0 if end in members else -1.0
        for tank in area.tanks:
            tank_member[z, node_position[tank]] = 1.0
    return ZoneMeters([a.name for a in areas], link_sign, tank_member)


@dataclass(frozen=True)
class LeakSignatures:
    """The simulated change of every single leak, and the sensitivities at each time.

    Leak sites and sensor places are both the network's junctions (``junction_ids``, in the
    engine's order); "position" below means a position in that list.

    Attributes
    ----------
    network : str
        The network's file stem (``"L-TOWN"``).
    junction_ids : ndarray of str, shape (n_junctions,)
    diameters_m : ndarray, shape (n_sizes,)
        Leak orifice diameters, m.
    times_s : ndarray of int, shape (n_times,)
        Times of day, s after midnight.
    pressure_change : ndarray of float32, shape (n_sizes, n_times, n_leaks, n_junctions)
        Pressure with the leak minus without, m (negative: a leak lowers pressures), at every
        junction (axis 3) for a leak at every junction (axis 2).
    supply_change : ndarray of float32, shape (n_sizes, n_times, n_leaks, n_zones)
        Change of each zone's supply, m³/s.
    leak_flow : ndarray, shape (n_sizes, n_times, n_leaks)
        The leak's outflow, m³/s.
    converged : ndarray of bool, shape (n_sizes, n_times, n_leaks)
        False where EPANET did not balance the leak case (its row is not to be trusted).
    sensitivity : ndarray of float32, shape (n_times, n_junctions, n_junctions)
        ``S[t, i, k]``: pressure change at junction i per m³/s of extra outflow at junction k,
        m per m³/s, linearised at the leak-free state of time t.
    zone_names : ndarray of str, shape (n_zones,)
    zone_of_junction : ndarray of int, shape (n_junctions,)
        Position of each junction's zone in ``zone_names`` (-1: in none).
    build_s : float
        Wall time the build took, s.
    """

    network: str
    junction_ids: np.ndarray
    diameters_m: np.ndarray
    times_s: np.ndarray
    pressure_change: np.ndarray
    supply_change: np.ndarray
    leak_flow: np.ndarray
    converged: np.ndarray
    sensitivity: np.ndarray
    zone_names: np.ndarray
    zone_of_junction: np.ndarray
    build_s: float
    fingerprint: str = ""

    @property
    def n_junctions(self) -> int:
        """Number of junctions (leak sites and sensor places)."""
        return len(self.junction_ids)

    def save(self, path: str | Path) -> Path:
        """Write to a compressed numpy ``.npz`` file; returns its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}
        tmp = path.with_name(path.name + ".part.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)  # never a half-written file under the real name
        return path

    @classmethod
    def load(cls, path: str | Path) -> LeakSignatures:
        """Read a file written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as data:
            values = {f.name: data[f.name] for f in fields(cls)}
        for name in ("network", "fingerprint"):
            values[name] = str(values[name])
        values["build_s"] = float(values["build_s"])
        return cls(**values)


def network_fingerprint(
    inp: Path, diameters_m: Sequence[float], times_s: Sequence[int], flow_meters: Sequence[str]
) -> str:
    """A hash of the network file and the build settings: a stored build is reused only if equal."""
    digest = hashlib.sha256(inp.read_bytes())
    digest.update(repr((list(diameters_m), list(times_s), sorted(flow_meters))).encode())
    return digest.hexdigest()[:16]


def build_signatures(
    network: str | Path,
    *,
    diameters_m: Sequence[float] = DEFAULT_LEAK_DIAMETERS_M,
    times_s: Sequence[int] = DEFAULT_TIMES_OF_DAY_S,
    flow_meters: Sequence[str] | None = None,
    on_progress: ProgressCallback | None = None,
) -> LeakSignatures:
    """Simulate a leak at every junction, of every size, at every time of day.

    Parameters
    ----------
    network : str or Path
        A catalogue name or an .inp path.
    diameters_m : sequence of float
        Leak orifice diameters, m (discharge coefficient 0.75).
    times_s : sequence of int
        Times of day, s after midnight, in increasing order; each a multiple of the step.
    flow_meters : sequence of str, optional
        Links with a flow meter, which cut the network into zones. Default: the flow meters
        of the layout beside the network (``NAME.sensors.csv``), else none.
    on_progress : callable, optional
        Called as ``on_progress(fraction, message)`` now and then.

    Returns
    -------
    LeakSignatures

    Examples
    --------
    >>> sig = build_signatures("Net1", diameters_m=[0.01], times_s=[3600])
    >>> sig.pressure_change.shape, bool(sig.converged.all())
    ((1, 1, 9, 9), True)
    >>> bool((np.diagonal(sig.pressure_change[0, 0]) < 0).all())  # a leak lowers its own node
    True
    """
    started = time.perf_counter()
    inp = resolve_network(network)
    times = _checked_times(times_s)
    if flow_meters is None:
        beside = sidecar_layout(inp)
        flow_meters = beside.flow if beside is not None else ()
    report = on_progress or (lambda fraction, message: None)
    junctions, step_s = _junctions_and_step(inp, times)
    leaks = [Leak(j, 0.0, on="junction", leak_id=f"placement{i}") for i, j in enumerate(junctions)]
    with HydraulicEngine(inp, leaks=leaks, step_s=step_s) as engine:
        _tighten_convergence(engine)
        meters = zone_meters(inp, engine, flow_meters)
        arrays = _simulate(engine, leaks, meters, diameters_m, times, report)
    report(1.0, "leak signatures built")
    zone_index = {name: z for z, name in enumerate(meters.names)}
    zone_of = _zone_of_junctions(inp, junctions, flow_meters, zone_index)
    return LeakSignatures(
        network=inp.stem,
        junction_ids=np.array(junctions),
        diameters_m=np.asarray(diameters_m, dtype=float),
        times_s=np.asarray(times, dtype=np.int64),
        **arrays,
        zone_names=np.array(meters.names),
        zone_of_junction=zone_of,
        build_s=time.perf_counter() - started,
        fingerprint=network_fingerprint(inp, diameters_m, times, flow_meters),
    )


FLOW_CHANGE_M3S = 1e-6
"""Largest flow change (m³/s, 0.0036 m³/h) a solve may still make and count as balanced."""


def _tighten_convergence(engine: HydraulicEngine) -> None:
    """Make every solve balance the flows to :data:`FLOW_CHANGE_M3S`.

    EPANET's default test (total relative flow change below 0.01) stops L-Town's what-if
    solves while a leak's emitter flow is still 1-3 m³/h off and the sources off by about
    1 m³/h: the size of a small leak's signal. A flow-change limit fixes that for one extra
    iteration or two. Set on this private engine's open project, which is never reopened
    (leaks at junctions need no pipe split), so the engine cannot lose it.
    """
    tk.setoption(engine.project.handle, tk.FLOWCHANGE, FLOW_CHANGE_M3S)


def _simulate(
    engine: HydraulicEngine,
    leaks: list[Leak],
    meters: ZoneMeters,
    diameters_m: Sequence[float],
    times: list[int],
    report: ProgressCallback,
) -> dict[str, np.ndarray]:
    """Every leak of every size at every time: the arrays of :class:`LeakSignatures`."""
    junctions = engine.junction_ids
    shape = (len(diameters_m), len(times), len(junctions))
    dp = np.zeros((*shape, len(junctions)), dtype=np.float32)
    dq = np.zeros((*shape, len(meters.names)), dtype=np.float32)
    leak_flow, converged = np.zeros(shape), np.zeros(shape, dtype=bool)
    sensitivity = np.zeros((len(times), len(junctions), len(junctions)), dtype=np.float32)
    nodes = np.array([engine.node_ids.index(j) for j in junctions])
    for t, when in enumerate(times):
        while engine.time_s < when:
            engine.step()
        base = engine.what_if()  # every leak at 0 mm: the leak-free state
        sensitivity[t] = sensitivity_matrix(engine, base, junctions, junctions)
        base_supply = meters.supply(base)
        for s, diameter in enumerate(diameters_m):
            done = (t * len(diameters_m) + s) / (len(times) * len(diameters_m))
            report(done, f"leaks of {diameter * 1000:g} mm at {when / 3600:g} h")
            for k, leak in enumerate(leaks):
                engine.resize_leak(leak.leak_id, diameter)
                state = engine.what_if()
                engine.resize_leak(leak.leak_id, 0.0)
                dp[s, t, k] = state.pressure[nodes] - base.pressure[nodes]
                dq[s, t, k] = meters.supply(state) - base_supply
                leak_flow[s, t, k] = state.leak_outflow[k]
                converged[s, t, k] = state.converged
    return {
        "pressure_change": dp,
        "supply_change": dq,
        "leak_flow": leak_flow,
        "converged": converged,
        "sensitivity": sensitivity,
    }


def _checked_times(times_s: Sequence[int]) -> list[int]:
    times = [int(t) for t in times_s]
    if not times or any(b <= a for a, b in zip(times, times[1:], strict=False)) or times[0] < 0:
        raise ValueError(
            f"times of day must be increasing seconds after midnight (>= 0), got {times}"
        )
    return times


def _junctions_and_step(inp: Path, times: list[int]) -> tuple[list[str], int]:
    """The junction ids, and the file's hydraulic step made to divide every time of day."""
    with HydraulicEngine(inp) as probe:
        junctions, step = list(probe.junction_ids), probe.step_s
    return junctions, int(np.gcd.reduce([step, *times]))


def _zone_of_junctions(
    inp: Path, junctions: list[str], flow_meters: Sequence[str], zone_index: dict[str, int]
) -> npt.NDArray[np.int64]:
    areas = network_areas(inp, load(inp), list(flow_meters))
    by_node = {j: zone_index[a.name] for a in areas for j in a.junctions}
    return np.array([by_node.get(j, -1) for j in junctions], dtype=np.int64)


def linear_error(signatures: LeakSignatures) -> dict[str, float]:
    """How well the linear prediction ``S[:, k]·q`` matches each simulated leak's change.

    Returns
    -------
    dict
        Per leak diameter (``"8 mm"``...): the median over leak cases of
        ``‖Δp − S_k q‖ / ‖Δp‖`` (relative error, dimensionless), and with suffix
        ``" cosine"`` the median cosine between the two vectors (1: same direction, which
        is all a correlation localizer uses).
    """
    out: dict[str, float] = {}
    sens = signatures.sensitivity.astype(np.float64)
    for s, diameter in enumerate(signatures.diameters_m):
        errors, cosines = [], []
        for t in range(len(signatures.times_s)):
            simulated = signatures.pressure_change[s, t].astype(np.float64)  # (leak, junction)
            linear = sens[t].T * signatures.leak_flow[s, t][:, None]  # column k -> row k
            ok = signatures.converged[s, t]
            norm = np.linalg.norm(simulated, axis=1)
            lin_norm = np.linalg.norm(linear, axis=1)
            use = ok & (norm > 0) & (lin_norm > 0)
            errors.append(np.linalg.norm(simulated - linear, axis=1)[use] / norm[use])
            dot = np.einsum("ij,ij->i", simulated, linear)[use]
            cosines.append(dot / (norm[use] * lin_norm[use]))
        label = f"{diameter * 1000:g} mm"
        out[label] = float(np.median(np.concatenate(errors)))
        out[f"{label} cosine"] = float(np.median(np.concatenate(cosines)))
    return out
