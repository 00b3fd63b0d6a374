"""An EPANET 2.3 toolkit project in SI units, with pipes split at leak points.

The thin layer between the engine and ``epanet.toolkit`` (owa-epanet): opening a file,
switching every input and output to m³/s and m, inserting leak nodes, and the bulk array views
the engine reads each step.
"""

from __future__ import annotations

import ctypes
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import epanet.toolkit as tk
import numpy as np
import numpy.typing as npt

__all__ = ["ArrayView", "PressureDependentDemand", "Project", "open_project"]

GALLON_M3 = 3.785411784e-3
IMPERIAL_GALLON_M3 = 4.54609e-3
CUBIC_FOOT_M3 = 0.028316846592
EXACT_M3_PER_S = {
    tk.CFS: CUBIC_FOOT_M3,
    tk.GPM: GALLON_M3 / 60.0,
    tk.MGD: 1e6 * GALLON_M3 / 86400.0,
    tk.IMGD: 1e6 * IMPERIAL_GALLON_M3 / 86400.0,
    tk.AFD: 43560.0 * CUBIC_FOOT_M3 / 86400.0,
    tk.LPS: 1e-3,
    tk.LPM: 1e-3 / 60.0,
    tk.MLD: 1e3 / 86400.0,
    tk.CMH: 1.0 / 3600.0,
    tk.CMD: 1.0 / 86400.0,
    tk.CMS: 1.0,
}
"""Exact size of one unit of each EPANET flow unit, m³/s."""


@dataclass(frozen=True)
class PressureDependentDemand:
    """Settings of pressure-dependent demand (EPANET's PDA, Wagner's formula).

    Parameters
    ----------
    minimum_m : float
        Pressure head below which a node delivers nothing, m.
    required_m : float
        Pressure head from which a node delivers its full demand, m.
    exponent : float
        Exponent of the pressure-demand curve between the two (0.5 in Wagner's formula).
    """

    minimum_m: float = 0.0
    required_m: float = 20.0
    exponent: float = 0.5

    def __post_init__(self) -> None:
        if not self.required_m > self.minimum_m:
            raise ValueError(
                f"pressure-dependent demand: required_m ({self.required_m} m) must exceed "
                f"minimum_m ({self.minimum_m} m)"
            )


class ArrayView:
    """A toolkit ``doubleArray`` and a numpy view onto the same memory (no copy per read)."""

    def __init__(self, n: int) -> None:
        self.buffer = tk.doubleArray(max(n, 1))
        address = int(self.buffer.this)
        self.values = np.ctypeslib.as_array((ctypes.c_double * max(n, 1)).from_address(address))[:n]


class Project:
    """An open EPANET project whose toolkit I/O is in SI units (m³/s, m).

    Parameters
    ----------
    inp_path : Path
        EPANET input file.
    workdir : Path
        Folder for EPANET's report file.
    """

    def __init__(self, inp_path: Path, workdir: Path) -> None:
        self.inp_path = inp_path
        self.handle = tk.createproject()
        report = workdir / "epanet.rpt"
        try:
            tk.open(self.handle, str(inp_path), str(report), "")
        except Exception as exc:
            tk.deleteproject(self.handle)
            raise ValueError(
                f"{inp_path}: EPANET could not open the file ({exc}); "
                f"`twin networks {inp_path}` shows the line and section at fault"
            ) from None
        # EPANET stores everything in its internal US units and converts at the API; switching
        # the flow units to CMS and the pressure units to metres (a separate option since 2.3)
        # makes every value we set or read m³/s and m.
        self.flow_correction = self._switch_to_si()

    def _switch_to_si(self) -> float:
        """Switch toolkit I/O to m³/s and m; return the factor that makes EPANET's flows exact.

        EPANET converts through rounded constants (28.317 L per ft³, 448.831 gpm per cfs, ...),
        so a file in gpm read back in m³/s is 5.8e-6 too large. The factor is measured on one
        base demand (file units → m³/s through EPANET) against the exact size of the file's
        unit, so it stays right whatever constants a toolkit version uses.
        """
        h = self.handle
        units = tk.getflowunits(h)
        probe = 1
        saved = (
            tk.getnodevalue(h, probe, tk.BASEDEMAND)
            if tk.getnodetype(h, probe) == tk.JUNCTION
            else None
        )
        if saved is not None:
            tk.setnodevalue(h, probe, tk.BASEDEMAND, 1.0)
        tk.setflowunits(h, tk.CMS)
        tk.setoption(h, tk.PRESS_UNITS, tk.METERS)
        if saved is None:
            return 1.0
        epanet_m3s = tk.getnodevalue(h, probe, tk.BASEDEMAND)
        tk.setnodevalue(h, probe, tk.BASEDEMAND, saved * epanet_m3s)
        return EXACT_M3_PER_S[units] / epanet_m3s

    # --- ids and indices ---------------------------------------------------------------------
    def count(self, what: int) -> int:
        return tk.getcount(self.handle, what)

    def node_ids(self) -> list[str]:
        n = self.count(tk.NODECOUNT)
        return [tk.getnodeid(self.handle, i) for i in range(1, n + 1)]

    def link_ids(self) -> list[str]:
        n = self.count(tk.LINKCOUNT)
        return [tk.getlinkid(self.handle, i) for i in range(1, n + 1)]

    def junction_ids(self) -> list[str]:
        types = self.node_types()
        return [n for n, t in zip(self.node_ids(), types, strict=True) if t == tk.JUNCTION]

    def node_types(self) -> npt.NDArray[np.int64]:
        n = self.count(tk.NODECOUNT)
        return np.array([tk.getnodetype(self.handle, i) for i in range(1, n + 1)], dtype=np.int64)

    def node_index(self, node_id: str) -> int:
        try:
            return tk.getnodeindex(self.handle, node_id)
        except Exception:
            raise KeyError(f"{self.inp_path.name}: no node {node_id!r} in the network") from None

    def link_index(self, link_id: str) -> int:
        try:
            return tk.getlinkindex(self.handle, link_id)
        except Exception:
            raise KeyError(f"{self.inp_path.name}: no link {link_id!r} in the network") from None

    def node_values(self, prop: int) -> npt.NDArray[np.float64]:
        view = ArrayView(self.count(tk.NODECOUNT))
        tk.getnodevalues(self.handle, prop, view.buffer)
        return view.values.copy()

    # --- changes before the solver opens -----------------------------------------------------
    def scale_pipes(self, factors: Mapping[str, Mapping[str, float]]) -> None:
        """Multiply pipes' roughness and/or diameter by factors (see ``HydraulicEngine``).

        ``factors`` maps ``"roughness"``/``"diameter"`` to ``{pipe_id: factor}``.
        """
        h = self.handle
        for key, prop in (("roughness", tk.ROUGHNESS), ("diameter", tk.DIAMETER)):
            for pipe_id, factor in factors.get(key, {}).items():
                index = self.link_index(pipe_id)
                tk.setlinkvalue(h, index, prop, tk.getlinkvalue(h, index, prop) * factor)

    def split_pipe(self, pipe_id: str, fraction: float, node_id: str, tail_id: str) -> None:
        """Insert junction ``node_id`` at ``fraction`` of ``pipe_id``'s length.

        The first part keeps the pipe's id (and its minor loss, which depends on the velocity,
        the same in both parts); the rest becomes pipe ``tail_id`` with the same diameter,
        roughness, status and check-valve type. The new node's elevation and coordinates are
        interpolated between the pipe's end nodes.
        """
        h = self.handle
        index = self.link_index(pipe_id)
        kind = tk.getlinktype(h, index)
        if kind not in (tk.PIPE, tk.CVPIPE):
            raise ValueError(
                f"{self.inp_path.name}: link {pipe_id!r} is not a pipe; leaks sit on pipes"
            )
        start, end = tk.getlinknodes(h, index)
        length = tk.getlinkvalue(h, index, tk.LENGTH)
        diameter = tk.getlinkvalue(h, index, tk.DIAMETER)
        roughness = tk.getlinkvalue(h, index, tk.ROUGHNESS)
        status = tk.getlinkvalue(h, index, tk.INITSTATUS)
        z0, z1 = (tk.getnodevalue(h, i, tk.ELEVATION) for i in (start, end))
        end_id = tk.getnodeid(h, end)
        new_node = tk.addnode(h, node_id, tk.JUNCTION)
        tk.setjuncdata(h, new_node, z0 + fraction * (z1 - z0), 0.0, "")
        self._interpolate_coordinates(start, end, new_node, fraction)
        tk.setlinknodes(h, index, start, new_node)
        tk.setlinkvalue(h, index, tk.LENGTH, length * fraction)
        tail = tk.addlink(h, tail_id, kind, node_id, end_id)
        tk.setpipedata(h, tail, length * (1.0 - fraction), diameter, roughness, 0.0)
        tk.setlinkvalue(h, tail, tk.INITSTATUS, status)

    def _interpolate_coordinates(self, start: int, end: int, new: int, fraction: float) -> None:
        try:
            x0, y0 = tk.getcoord(self.handle, start)
            x1, y1 = tk.getcoord(self.handle, end)
        except Exception:
            return  # a network without coordinates keeps none
        tk.setcoord(self.handle, new, x0 + fraction * (x1 - x0), y0 + fraction * (y1 - y0))

    def use_pressure_dependent_demand(self, pdd: PressureDependentDemand) -> None:
        tk.setdemandmodel(self.handle, tk.PDA, pdd.minimum_m, pdd.required_m, pdd.exponent)

    def use_orifice_emitters(self) -> None:
        """Emitters follow the orifice law (exponent 0.5) and never draw water back in."""
        h = self.handle
        exponent = tk.getoption(h, tk.EMITEXPON)
        has_emitters = np.any(self.node_values(tk.EMITTER)[self.node_types() == tk.JUNCTION] > 0)
        if has_emitters and abs(exponent - 0.5) > 1e-12:
            raise ValueError(
                f"{self.inp_path.name}: its emitters use exponent {exponent}; leaks need 0.5 "
                "(an orifice), and EPANET has one exponent for all emitters"
            )
        tk.setoption(h, tk.EMITEXPON, 0.5)
        tk.setoption(h, tk.EMITBACKFLOW, 0)

    def take_demands_from_arrays(self, junctions: npt.NDArray[np.int64]) -> None:
        """Make each junction's demand one base value with no pattern, set by the engine.

        "No pattern" is a pattern of one multiplier 1: pattern index 0 would be read as the
        file's default pattern, which then scaled the engine's demands (Net1, Net3).
        """
        h = self.handle
        tk.addpattern(h, "TWIN_CONSTANT")
        constant = tk.getpatternindex(h, "TWIN_CONSTANT")
        tk.setpatternvalue(h, constant, 1, 1.0)
        for j in junctions:
            j = int(j)
            for category in range(tk.getnumdemands(h, j), 1, -1):
                tk.deletedemand(h, j, category)
            tk.setdemandpattern(h, j, 1, constant)
            tk.setbasedemand(h, j, 1, 0.0)

    def continue_when_unbalanced(self) -> float:
        """Go on past a step that does not balance; return the trial limit of a solve.

        A twin runs for months: one hard step (a tank closing a zone off, as in Richmond at
        1:43) must be flagged and passed over, not end the run as ``UNBALANCED STOP`` would.
        """
        tk.setoption(self.handle, tk.UNBALANCED, 0)
        return tk.getoption(self.handle, tk.TRIALS)

    def set_times(self, step_s: int, duration_s: int) -> None:
        h = self.handle
        tk.settimeparam(h, tk.DURATION, duration_s)
        tk.settimeparam(h, tk.HYDSTEP, step_s)
        tk.settimeparam(h, tk.REPORTSTEP, step_s)
        tk.settimeparam(h, tk.REPORTSTART, 0)

    def close(self) -> None:
        if self.handle is None:
            return
        for call in (tk.closeH, tk.close, tk.deleteproject):
            try:
                call(self.handle)
            except Exception:
                pass  # closing a solver that never opened is not an error worth reporting
        self.handle = None


def open_project(inp_path: Path) -> tuple[Project, tempfile.TemporaryDirectory]:
    """Open ``inp_path`` as an SI-unit project; the returned folder holds EPANET's report."""
    workdir = tempfile.TemporaryDirectory(prefix="twin-epanet-")
    return Project(Path(inp_path), Path(workdir.name)), workdir
