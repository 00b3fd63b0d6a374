"""Pressure sensitivities: how far a small leak at each candidate junction moves each sensor.

The sensitivity matrix ``S`` (sensors x candidates, m per m³/s) is what model-based
localization compares the pressure residuals with: a leak of ``q`` m³/s at candidate ``k``
changes the sensor pressures by about ``S[:, k] * q``. It comes from the network's Jacobian at
the current operating point (:mod:`twin.hydraulics.jacobian`): one sparse factorisation and
one transposed solve per sensor give every candidate at once, where perturbation runs would
need one hydraulic solve per candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from twin.hydraulics.jacobian import LinearisedNetwork, head_response, linearise

if TYPE_CHECKING:
    from twin.hydraulics.engine import HydraulicEngine, HydraulicState

__all__ = ["pressure_sensitivities", "sensitivity_matrix"]


def pressure_sensitivities(
    lin: LinearisedNetwork,
    sensor_nodes: Sequence[str],
    candidate_nodes: Sequence[str] | None = None,
) -> npt.NDArray[np.float64]:
    """Pressure change at each sensor per unit extra outflow at each candidate junction.

    Parameters
    ----------
    lin : LinearisedNetwork
        The network linearised at the operating point (:func:`~twin.hydraulics.jacobian.linearise`).
    sensor_nodes : sequence of str
        Node ids of the pressure sensors. A sensor on a tank or reservoir reads 0 (its head
        is held within the step).
    candidate_nodes : sequence of str, optional
        Junction ids where a leak may be. Default: every consumer junction
        (``lin.junction_ids``).

    Returns
    -------
    ndarray, shape (n_sensors, n_candidates)
        ``S[i, k]`` = dP(sensor i) / dq(candidate k), m of pressure head per m³/s of extra
        outflow; rows in ``sensor_nodes`` order, columns in ``candidate_nodes`` order. The
        entries are negative or 0 (a leak lowers pressure). Divide by 1000 for m per L/s.

    Raises
    ------
    KeyError
        A sensor or candidate that is not a node of the network.
    ValueError
        A candidate that is a tank or reservoir.

    Examples
    --------
    >>> from twin.hydraulics import HydraulicEngine
    >>> from twin.hydraulics.jacobian import linearise
    >>> with HydraulicEngine("Net1", step_s=3600) as engine:
    ...     lin = linearise(engine, engine.step())
    >>> S = pressure_sensitivities(lin, ["11", "32"], ["11", "31", "32"])
    >>> (S / 1000).round(3)  # m per L/s
    array([[-0.078, -0.024, -0.017],
           [-0.017, -0.172, -0.329]])
    """
    observed = _positions(lin, sensor_nodes, "sensor")
    if candidate_nodes is None:
        perturbed = lin.junction_positions
    else:
        perturbed = _positions(lin, candidate_nodes, "candidate")
    return head_response(lin, observed, perturbed)


def sensitivity_matrix(
    engine: HydraulicEngine,
    state: HydraulicState,
    sensor_nodes: Sequence[str],
    candidate_nodes: Sequence[str] | None = None,
) -> npt.NDArray[np.float64]:
    """:func:`pressure_sensitivities` at ``state``, just solved by ``engine`` (m per m³/s)."""
    return pressure_sensitivities(linearise(engine, state), sensor_nodes, candidate_nodes)


def _positions(lin: LinearisedNetwork, ids: Sequence[str], role: str) -> npt.NDArray[np.int64]:
    position = lin.node_position
    missing = [node for node in ids if node not in position]
    if missing:
        raise KeyError(
            f"{len(missing)} {role} node(s) not in the network: {', '.join(missing[:10])}"
        )
    return np.fromiter((position[node] for node in ids), dtype=np.int64, count=len(ids))
