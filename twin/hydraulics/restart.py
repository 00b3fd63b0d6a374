"""Carry a run's state over when EPANET's solver must be closed and reopened mid-run.

EPANET refuses to change the network's structure (a pipe split for a new leak) while its
solver is open. The engine then closes it, changes the network, and reopens it with the
run's state as the new initial conditions, so the run goes on where it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import epanet.toolkit as tk

from twin.hydraulics.project import Project

__all__ = ["CarriedState", "carried_state", "restore_state"]


@dataclass(frozen=True)
class CarriedState:
    """What a reopened solver must start from.

    Attributes
    ----------
    tank_levels : dict of str to float
        Water level of each tank, m.
    pump_status : dict of str to tuple of (float, float)
        Status (0 closed, 1 open) and speed setting of each pump.
    closed_pipes : list of str
        Pipes closed at the moment (by a control), which must stay closed.
    """

    tank_levels: dict[str, float]
    pump_status: dict[str, tuple[float, float]]
    closed_pipes: list[str]


def carried_state(project: Project, tank_ids: list[str], link_ids: list[str]) -> CarriedState:
    """Read the state the next solve would start from (tank levels, pump and pipe status)."""
    h = project.handle
    levels = {}
    for tank in tank_ids:
        i = project.node_index(tank)
        levels[tank] = tk.getnodevalue(h, i, tk.HEAD) - tk.getnodevalue(h, i, tk.ELEVATION)
    pumps, closed = {}, []
    for link in link_ids:
        i = project.link_index(link)
        kind = tk.getlinktype(h, i)
        status = tk.getlinkvalue(h, i, tk.STATUS)
        if kind == tk.PUMP:
            pumps[link] = (status, tk.getlinkvalue(h, i, tk.SETTING))
        elif kind in (tk.PIPE, tk.CVPIPE) and status == 0:
            closed.append(link)
    return CarriedState(levels, pumps, closed)


def restore_state(project: Project, state: CarriedState, *, shift_s: int) -> None:
    """Make ``state`` the initial conditions of a project whose clock restarts ``shift_s`` late.

    Call before the solver opens. Patterns and the clock time of day are shifted so the demand
    at the new time 0 is the demand at ``shift_s``; ``AT TIME`` controls are shifted too, and
    those already past are disabled. Valves are not carried: they find their status from the
    pressures at every solve.
    """
    h = project.handle
    for tank, level in state.tank_levels.items():
        tk.setnodevalue(h, project.node_index(tank), tk.TANKLEVEL, level)
    for pump, (status, speed) in state.pump_status.items():
        i = project.link_index(pump)
        tk.setlinkvalue(h, i, tk.INITSTATUS, status)
        if status:
            tk.setlinkvalue(h, i, tk.INITSETTING, speed)
    for pipe in state.closed_pipes:
        tk.setlinkvalue(h, project.link_index(pipe), tk.INITSTATUS, 0)
    tk.settimeparam(h, tk.PATTERNSTART, tk.gettimeparam(h, tk.PATTERNSTART) + shift_s)
    tk.settimeparam(h, tk.STARTTIME, int((tk.gettimeparam(h, tk.STARTTIME) + shift_s) % 86400))
    for index in range(1, tk.getcount(h, tk.CONTROLCOUNT) + 1):
        kind, link, setting, node, level = tk.getcontrol(h, index)
        if kind == tk.TIMER:
            remaining = level - shift_s
            if remaining < 0:
                tk.setcontrolenabled(h, index, 0)
            else:
                tk.setcontrol(h, index, kind, link, setting, node, remaining)
