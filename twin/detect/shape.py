"""Jump or ramp: does a zone's excess inflow look like a new leak or a known one growing?

A leak that bursts adds a step to the zone's inflow; an incipient leak that keeps widening
adds a ramp. When a zone already holds a confirmed leak and its inflow climbs again, the
shape of the climb since the twin last updated what it believes tells the two apart.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["step_evidence"]


def step_evidence(excess_m3h: npt.ArrayLike, scale_m3h: float) -> float:
    """Evidence that an hourly excess series jumped, beyond a straight trend (BIC units).

    Two models are fitted by least squares: a *ramp* (a straight line) and a *ramp with a
    jump* (the same line plus a step at the best hour). A known leak growing gives a ramp; a
    leak bursting beside it adds the jump. The evidence is the drop of the sum of squares the
    jump buys, over the noise variance, less the Bayesian information criterion's price of
    the jump's size and place: ``(SSE_ramp - SSE_jump) / scale² - 2 ln(n)``. Above about 2
    the jump is clear; at or below 0 the ramp explains the series as well.

    Parameters
    ----------
    excess_m3h : array_like
        Hourly mean excess inflow of a zone, m³/h, oldest first; NaN hours are dropped.
    scale_m3h : float
        Standard deviation of one hourly mean with no leak change, m³/h.

    Returns
    -------
    float
        The evidence; 0.0 when fewer than 4 hours are known (too short to tell).

    Examples
    --------
    >>> flat_then_step = [0, 0.2, -0.1, 0, 0.1, 0.2, 5, 5.2, 4.9]
    >>> step_evidence(flat_then_step, 0.5) > 2
    True
    >>> ramp_then_step = [0, 0.7, 1.4, 2.1, 2.8, 3.5, 9.2, 9.9, 10.6]
    >>> step_evidence(ramp_then_step, 0.5) > 2
    True
    >>> step_evidence([0, 0.7, 1.4, 2.1, 2.8, 3.5, 4.2, 4.9], 0.5) < 0
    True
    """
    y = np.asarray(excess_m3h, dtype=float)
    y = y[np.isfinite(y)]
    n = len(y)
    if n < 4 or not scale_m3h > 0:
        return 0.0
    x = np.arange(n, dtype=float)
    ramp = np.column_stack([np.ones(n), x])
    sse_ramp = _sse(ramp, y)
    # a few dozen hours at most: one small least-squares fit per break is cheap enough
    sse_jump = min(_sse(np.column_stack([ramp, x >= k]), y) for k in range(1, n))
    return (sse_ramp - sse_jump) / scale_m3h**2 - 2.0 * float(np.log(n))


def _sse(design: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    """Sum of squared residuals of the least-squares fit of ``y`` on ``design``'s columns."""
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(np.sum((y - design @ coef) ** 2))
