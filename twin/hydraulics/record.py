"""Record a run at the sensors: the engine's states as a SCADA-like table in the utility's units."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.hydraulics.engine import HydraulicEngine
from twin.network.sensors import SensorLayout
from twin.units import M3S_TO_LH, M3S_TO_M3H

__all__ = ["Recording", "default_layout", "record_run", "sensor_positions"]


@dataclass(frozen=True)
class Recording:
    """What a run recorded.

    Attributes
    ----------
    sensors : DataFrame
        Index ``Timestamp``; one column per sensor named ``"{kind} {id} [{unit}]"``: pressure
        (m), flow (m3/h), level (m), demand (AMR consumption, L/h).
    leaks : DataFrame
        Index ``Timestamp``; the true outflow of each leak, ``"{leak_id} outflow [m3/h]"``.
    converged : Series of bool
        Index ``Timestamp``; False where EPANET did not balance the network at that step.
    """

    sensors: pd.DataFrame
    leaks: pd.DataFrame
    converged: pd.Series


def default_layout(engine: HydraulicEngine) -> SensorLayout:
    """Pressure at every junction, flow in pumps and in links leaving sources, every tank level."""
    sources = set(engine.reservoir_ids) | set(engine.tank_ids)
    flows = [
        link
        for link, (a, b) in zip(engine.link_ids, engine.link_nodes, strict=True)
        if a in sources or b in sources or link in engine.pump_ids
    ]
    return SensorLayout(
        pressure=tuple(engine.junction_ids), flow=tuple(flows), tank_level=tuple(engine.tank_ids)
    )


def sensor_positions(engine: HydraulicEngine, layout: SensorLayout) -> dict[str, np.ndarray]:
    """Where each instrument of ``layout`` reads in the engine's state arrays.

    Checks the layout against the network first (unknown elements are named).

    Returns
    -------
    dict of str to ndarray of int
        ``"pressure"`` and ``"demand"`` (AMR) index ``state.pressure``/``state.demand``,
        ``"flow"`` indexes ``state.flow``, ``"level"`` indexes ``state.tank_level``; each in
        the layout's order.
    """
    nodes = {n: i for i, n in enumerate(engine.node_ids)}
    links = {k: i for i, k in enumerate(engine.link_ids)}
    tanks = {t: i for i, t in enumerate(engine.tank_ids)}
    layout.check_against(set(nodes), set(links), set(tanks))
    return {
        "pressure": np.array([nodes[n] for n in layout.pressure], dtype=np.intp),
        "flow": np.array([links[k] for k in layout.flow], dtype=np.intp),
        "level": np.array([tanks[t] for t in layout.tank_level], dtype=np.intp),
        "demand": np.array([nodes[n] for n in layout.amr_demand], dtype=np.intp),
    }


def record_run(
    engine: HydraulicEngine,
    layout: SensorLayout,
    n_steps: int,
    origin: pd.Timestamp,
    on_step: Callable[[int], None] | None = None,
) -> Recording:
    """Step ``engine`` ``n_steps`` times with its own demands and keep the layout's values.

    Parameters
    ----------
    engine : HydraulicEngine
        An engine taking demands from its patterns, at the time the recording starts.
    layout : SensorLayout
        The instruments to record (checked against the network first).
    n_steps : int
        Number of steps to record.
    origin : Timestamp
        Wall-clock time of the run's t = 0 s.
    on_step : callable, optional
        Called with the step number after each step (for a progress bar).
    """
    columns = (
        [f"pressure {n} [m]" for n in layout.pressure]
        + [f"flow {k} [m3/h]" for k in layout.flow]
        + [f"level {t} [m]" for t in layout.tank_level]
        + [f"demand {n} [L/h]" for n in layout.amr_demand]
    )
    pick = sensor_positions(engine, layout)
    leak_nodes = np.array(
        [engine.node_ids.index(engine.leak_node(lk)) for lk in engine.leak_ids], dtype=int
    )
    values = np.empty((n_steps, len(columns)))
    outflow = np.empty((n_steps, len(engine.leak_ids)))
    times = np.empty(n_steps, dtype=np.int64)
    converged = np.empty(n_steps, dtype=bool)
    for k in range(n_steps):
        state = engine.step()
        consumption = state.demand.copy()
        np.subtract.at(consumption, leak_nodes, state.leak_outflow)  # AMR meters see no leak
        values[k] = np.concatenate(
            [
                state.pressure[pick["pressure"]],
                state.flow[pick["flow"]] * M3S_TO_M3H,
                state.tank_level[pick["level"]],
                consumption[pick["demand"]] * M3S_TO_LH,
            ]
        )
        outflow[k] = state.leak_outflow * M3S_TO_M3H
        times[k], converged[k] = state.time_s, state.converged
        if on_step is not None:
            on_step(k + 1)
    index = pd.DatetimeIndex(origin + pd.to_timedelta(times, unit="s"), name="Timestamp")
    return Recording(
        sensors=pd.DataFrame(values, index=index, columns=columns),
        leaks=pd.DataFrame(
            outflow, index=index, columns=[f"{lk} outflow [m3/h]" for lk in engine.leak_ids]
        ),
        converged=pd.Series(converged, index=index, name="converged"),
    )
