"""Head loss gradients dh/dQ of pipes, pumps and valves, and outflow slopes, as EPANET has them.

The formulas and their small-flow floors follow EPANET's ``hydcoeffs.c``, which works in US
units (ft, cfs): resistances here are in those units and every gradient is returned in m per
m³/s (EPANET's own m³/s, before the engine's exact-unit correction).
"""

from __future__ import annotations

from dataclasses import dataclass

import epanet.toolkit as tk
import numpy as np
import numpy.typing as npt

__all__ = [
    "CBIG",
    "CSMALL",
    "MINOR_LOSS",
    "US_GRADIENT",
    "PumpCurve",
    "curve_segment",
    "emitter_slopes",
    "pcv_loss_coefficient",
    "pipe_gradients",
    "pipe_resistances",
    "valve_gradient",
    "wagner_slopes",
]

FT = 0.3048  # m per ft
CFS = 0.028317  # m³/s per cfs, as EPANET converts (its LPSperCFS / 1000)
US_GRADIENT = FT / CFS
"""A head loss gradient in ft per cfs times this is in m per m³/s."""
RQTOL = 1e-7  # EPANET's smallest head loss gradient, ft per cfs
CSMALL = 1e-6  # gradient of an open valve without minor loss, ft per cfs
CBIG = 1e8  # gradient of a closed link, ft per cfs
MINOR_LOSS = 0.02517  # EPANET's minor loss coefficient: K * 0.02517 / D⁴ (ft, cfs)
HW_EXPONENT = 1.852
VISCOSITY_FT2_S = 1.1e-5  # kinematic viscosity of water at 20 °C, EPANET's VISCOS


def pipe_resistances(
    formula: int,
    length_m: npt.NDArray[np.float64],
    diameter_mm: npt.NDArray[np.float64],
    roughness: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """EPANET's resistance coefficient of each pipe (``resistcoeff``), US units.

    ``roughness`` is the Hazen-Williams C, the Darcy-Weisbach roughness height (mm) or the
    Manning n, as the toolkit reports it in SI.
    """
    d = diameter_mm / 1000.0 / FT
    length = length_m / FT
    if formula == tk.HW:
        return 4.727 * length / roughness**HW_EXPONENT / d**4.871
    if formula == tk.DW:
        return length / 2.0 / 32.2 / d / (np.pi * d**2 / 4.0) ** 2
    return (4.0 * roughness / (1.49 * np.pi * d**2)) ** 2 * (d / 4.0) ** -1.333 * length


def pipe_gradients(
    formula: int,
    resistance: npt.NDArray[np.float64],
    q_m3s: npt.NDArray[np.float64],
    minor: npt.NDArray[np.float64],
    diameter_mm: npt.NDArray[np.float64],
    roughness: npt.NDArray[np.float64],
    viscosity: float = 1.0,
) -> npt.NDArray[np.float64]:
    """dh/dQ of open pipes at flows ``|q_m3s|`` (``pipecoeff``, ``DWpipecoeff``), m per m³/s.

    ``minor`` is EPANET's minor loss coefficient (0.02517 K / D⁴, US units); ``viscosity``
    is relative to water at 20 °C (Darcy-Weisbach only).
    """
    q = np.abs(q_m3s) / CFS
    if formula == tk.DW:
        d = diameter_mm / 1000.0 / FT
        relative_roughness = roughness / 1000.0 / FT / d
        s = VISCOSITY_FT2_S * viscosity * d
        return _darcy_weisbach(resistance, q, minor, relative_roughness, s) * US_GRADIENT
    exponent = HW_EXPONENT if formula == tk.HW else 2.0
    with np.errstate(divide="ignore"):
        friction = exponent * resistance * q ** (exponent - 1.0)
    friction = np.where(friction < RQTOL, RQTOL / exponent, friction)
    return (friction + 2.0 * minor * q) * US_GRADIENT


def _darcy_weisbach(
    r: npt.NDArray[np.float64],
    q: npt.NDArray[np.float64],
    minor: npt.NDArray[np.float64],
    e: npt.NDArray[np.float64],
    s: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """dh/dQ, ft/cfs: Hagen-Poiseuille, Dunlop's transition, Swamee-Jain (``frictionFactor``)."""
    a9, ab, ac = -0.868588963806503655300, 3.28895476345399058690e-03, -5.14214965799093883760e-03
    w = q / s  # Re * pi / 4
    with np.errstate(divide="ignore", invalid="ignore"):
        y1 = 4.61841319859066668690 / w**0.9
        y2 = e / 3.7 + y1
        y3 = a9 * np.log(y2)
        f_turbulent = 1.0 / y3**2
        dfdq_turbulent = 1.8 * f_turbulent * y1 * a9 / y2 / y3 / q
        y2t = e / 3.7 + ab
        y3t = a9 * np.log(y2t)
        fa = 1.0 / y3t**2
        fb = (2.0 + ac / (y2t * y3t)) * fa
        x = w / (500.0 * np.pi)
        x1, x2 = 7.0 * fa - fb, 0.128 - 17.0 * fa + 2.5 * fb
        x3, x4 = -0.128 + 13.0 * fa - 2.0 * fb, 0.032 - 3.0 * fa + 0.5 * fb
        f_transition = x1 + x * (x2 + x * (x3 + x * x4))
        dfdq_transition = (x2 + x * (2.0 * x3 + x * 3.0 * x4)) / s / (500.0 * np.pi)
    turbulent = w >= 1000.0 * np.pi
    f = np.where(turbulent, f_turbulent, f_transition)
    dfdq = np.where(turbulent, dfdq_turbulent, dfdq_transition)
    rough = 2.0 * (f * r + minor) * q + dfdq * r * q**2
    laminar = 16.0 * np.pi * s * r + 2.0 * minor * q
    return np.where(q <= 500.0 * np.pi * s, laminar, rough)


@dataclass(frozen=True)
class PumpCurve:
    """A pump's head curve as EPANET uses it (SI: m³/s, m).

    Attributes
    ----------
    kind : int
        ``tk.POWER_FUNC``, ``tk.CUSTOM``, ``tk.CONST_HP`` or ``tk.NOCURVE``.
    flow, head : ndarray
        The curve's points (empty for constant power and no curve).
    """

    kind: int
    flow: npt.NDArray[np.float64]
    head: npt.NDArray[np.float64]

    def gradient(self, q: float, speed: float, gain: float) -> float:
        """d(head loss)/dQ at flow ``q`` (m³/s) and relative ``speed``, m per m³/s (``pumpcoeff``).

        ``gain`` is the head the pump adds at the state (m), used by constant-power pumps.
        """
        if speed == 0.0:
            return np.inf
        if self.kind == tk.NOCURVE:
            return CSMALL * US_GRADIENT
        if self.kind == tk.CONST_HP:  # gain = power / (rho g Q), so dh/dQ = gain / Q
            return max(gain / max(q, 1e-12), CSMALL * US_GRADIENT)
        if self.kind == tk.CUSTOM:
            slope, _ = curve_segment(self.flow, self.head, q / speed)
            return -slope * speed
        r, n = self.power_fit()
        gradient = n * r * speed ** (2.0 - n) * max(q, 1e-30) ** (n - 1.0)
        return max(gradient, RQTOL * US_GRADIENT)

    def power_fit(self) -> tuple[float, float]:
        """``r, n`` of EPANET's fit gain = h0 - r Q^n through a 1-point or 3-point curve."""
        x, y = self.flow, self.head
        if len(x) == 1:
            h0, q1, h1, q2, h2 = 1.33334 * y[0], x[0], y[0], 2.0 * x[0], 0.0
        else:
            h0, q1, h1, q2, h2 = y[0], x[1], y[1], x[2], y[2]
        n = np.log((h0 - h2) / (h0 - h1)) / np.log(q2 / q1)
        return float((h0 - h1) / q1**n), float(n)


def curve_segment(x: npt.NDArray, y: npt.NDArray, q: float) -> tuple[float, float]:
    """Slope and intercept of the curve segment that brackets ``q`` (``curvecoeff``)."""
    k2 = min(max(int(np.searchsorted(x, q, side="left")), 1), len(x) - 1)
    slope = (y[k2] - y[k2 - 1]) / (x[k2] - x[k2 - 1])
    return float(slope), float(y[k2 - 1] - slope * x[k2 - 1])


def valve_gradient(
    kind: int,
    q: float,
    diameter_mm: float,
    loss_coefficient: float,
    curve: tuple[npt.NDArray, npt.NDArray] | None = None,
) -> float:
    """dh/dQ of an open (not active) valve at flow ``q`` (m³/s), m per m³/s (``valvecoeff``).

    ``loss_coefficient`` is the valve's K: its minor loss, a TCV's setting, a PCV's loss at
    its opening. A GPV follows its head loss ``curve`` (flow m³/s, head loss m).
    """
    if kind == tk.GPV and curve is not None:
        slope, _ = curve_segment(*curve, abs(q))
        return max(slope, 1e-6 * US_GRADIENT)
    d = diameter_mm / 1000.0 / FT
    minor = MINOR_LOSS * loss_coefficient / d**4
    if minor <= 0.0:
        return CSMALL * US_GRADIENT
    gradient = 2.0 * minor * abs(q) / CFS
    return (RQTOL / 2.0 if gradient < RQTOL else gradient) * US_GRADIENT


def pcv_loss_coefficient(
    opening: float, open_k: float, curve: tuple[npt.NDArray, npt.NDArray] | None
) -> float:
    """K of a positional control valve ``opening`` percent open (``pcvlosscoeff``)."""
    if opening >= 100.0:
        return open_k
    if opening <= 0.0:
        return CBIG
    ratio = opening if curve is None else float(np.interp(opening, *curve))
    ratio = min(max(ratio / 100.0, CSMALL), 1.0)
    return min(open_k / ratio**2, CBIG)


def emitter_slopes(
    coefficient: npt.NDArray[np.float64],
    pressure: npt.NDArray[np.float64],
    exponent: float,
    backflow: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Outflow q = C p^γ of emitters and its slope dq/dp (``emitterheadloss``).

    Returns the outflows (m³/s) and slopes (m³/s per m); 0 where there is no emitter, or no
    pressure and no backflow allowed. EPANET's floor on the head loss gradient caps the slope.
    """
    outflow = np.zeros(len(pressure))
    slope = np.zeros(len(pressure))
    live = (coefficient > 0.0) & ((pressure != 0.0) if backflow else (pressure > 0.0))
    p = np.abs(pressure[live])
    c = coefficient[live]
    outflow[live] = c * p**exponent * np.sign(pressure[live])
    # an emitter is a head loss p = (q/C)^(1/γ), whose gradient dp/dq = p^(1-γ) / (γ C)
    dp_dq = p ** (1.0 - exponent) / (exponent * c)
    floor = RQTOL * US_GRADIENT
    slope[live] = 1.0 / np.where(dp_dq < floor, floor * exponent, dp_dq)
    return outflow, slope


def wagner_slopes(
    delivered: npt.NDArray[np.float64],
    pressure: npt.NDArray[np.float64],
    minimum_m: float,
    required_m: float,
    exponent: float,
) -> npt.NDArray[np.float64]:
    """dd/dp of pressure-dependent demand d = d_full ((p - p_min)/(p_req - p_min))^e, m³/s per m.

    Written with the delivered demand: dd/dp = e d / (p - p_min) between p_min and p_req,
    0 outside (no supply, or full supply).
    """
    partial = (delivered > 0.0) & (pressure > minimum_m) & (pressure < required_m)
    slope = np.zeros(len(pressure))
    slope[partial] = exponent * delivered[partial] / (pressure[partial] - minimum_m)
    return slope
