"""Sensitivity-matrix localization: which candidate's pressure signature matches the residuals.

A leak of ``q`` m³/s at candidate junction ``k`` changes the pressure at the sensors by about
``S[:, k] * q`` (the column of the sensitivity matrix ``S``, m per m³/s, entries negative).
Following Pérez et al. (2011, 2014), a candidate is scored by how well the residual vector
``r`` (measured minus expected pressure, m) lines up with its column: the cosine of the angle
between them, or their Pearson correlation, and by the least-squares leak size
``q_k = S_k·r / S_k·S_k`` with what the fit leaves unexplained.

Residuals come as one vector ``(n_sensors,)`` or as several windows ``(n_windows, n_sensors)``;
scores come back over candidates ``(n_candidates,)`` or ``(n_windows, n_candidates)`` alike.

Missing readings: a sensor that did not report has a NaN residual. Every function here raises
a :class:`ValueError` naming such sensors unless called with ``missing="drop"``, which leaves
the sensor out (its row of ``S`` with it) for every window; the scores then rest on the
sensors that reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np

__all__ = [
    "LeastSquaresLeak",
    "MissingPolicy",
    "correlation_scores",
    "leak_log_likelihood",
    "least_squares_leak",
    "reporting_sensors",
]

MissingPolicy = Literal["raise", "drop"]
"""What to do with a sensor whose residual is NaN: refuse the input, or leave the sensor out."""


class LeastSquaresLeak(NamedTuple):
    """The best single-leak fit at each candidate, shaped like the scores.

    Attributes
    ----------
    size_m3s : numpy.ndarray
        Leak outflow ``q_k = S_k·r / S_k·S_k``, m³/s. Only ``q ≥ 0`` is physical (a leak
        lowers pressures); a negative size says the candidate does not explain the residuals.
        Zero where the candidate's column is all zero (no sensor sees it).
    residual_norm_m : numpy.ndarray
        ``‖r − S_k q_k‖``, m: what the fit leaves unexplained (``‖r‖`` for a blind candidate).
    """

    size_m3s: np.ndarray
    residual_norm_m: np.ndarray


def reporting_sensors(
    residuals: np.ndarray, sensors: Sequence[str] | None = None, missing: MissingPolicy = "raise"
) -> np.ndarray:
    """Which sensors reported in every window: a boolean mask over sensors.

    Parameters
    ----------
    residuals : numpy.ndarray
        Residuals, m, shape ``(n_sensors,)`` or ``(n_windows, n_sensors)``.
    sensors : sequence of str, optional
        Sensor ids, used to name the sensors at fault in errors.
    missing : {"raise", "drop"}, default "raise"
        With "raise", NaN residuals are an error; with "drop", their sensors are masked out.

    Returns
    -------
    numpy.ndarray of bool, shape (n_sensors,)
        True for sensors with a finite residual in every window.

    Raises
    ------
    ValueError
        A residual is infinite, NaN with ``missing="raise"``, or no sensor is left.

    Examples
    --------
    >>> reporting_sensors(np.array([-0.2, np.nan, -0.1]), missing="drop")
    array([ True, False,  True])
    """
    if missing not in ("raise", "drop"):
        raise ValueError(f'missing must be "raise" or "drop", not {missing!r}')
    values = np.atleast_2d(np.asarray(residuals, dtype=float))
    if sensors is not None and len(sensors) != values.shape[1]:
        raise ValueError(f"{len(sensors)} sensor ids given for {values.shape[1]} residuals")
    names = _sensor_names(values.shape[1], sensors)
    if np.isinf(values).any():
        bad = np.isinf(values).any(axis=0)
        raise ValueError(f"infinite residuals at sensor(s) {_listed(names, bad)}")
    silent = np.isnan(values).any(axis=0)
    if silent.any() and missing == "raise":
        raise ValueError(
            f"NaN residuals at sensor(s) {_listed(names, silent)}: sensors that did not report; "
            'pass missing="drop" to leave them out'
        )
    if silent.all():
        raise ValueError("no sensor reported: every residual is NaN")
    return ~silent


def correlation_scores(
    sensitivity: np.ndarray,
    residuals: np.ndarray,
    *,
    centred: bool = False,
    sensors: Sequence[str] | None = None,
    missing: MissingPolicy = "raise",
) -> np.ndarray:
    """Cosine (or Pearson correlation) between the residuals and each candidate's column.

    Parameters
    ----------
    sensitivity : numpy.ndarray, shape (n_sensors, n_candidates)
        Pressure change at each sensor per unit extra outflow at each candidate, m per m³/s.
    residuals : numpy.ndarray, shape (n_sensors,) or (n_windows, n_sensors)
        Measured minus expected pressure, m.
    centred : bool, default False
        Subtract each vector's mean over sensors first (Pearson correlation): ignores a
        common shift of every sensor, such as a change in the inlet head.
    sensors : sequence of str, optional
        Sensor ids, to name sensors in errors.
    missing : {"raise", "drop"}, default "raise"
        What to do with sensors whose residual is NaN (see :func:`reporting_sensors`).

    Returns
    -------
    numpy.ndarray, shape (n_candidates,) or (n_windows, n_candidates)
        Scores in [-1, 1], dimensionless; 1 means the residuals are exactly a leak there.
        0 where the candidate's column or the residuals are all zero.

    Examples
    --------
    >>> S = np.array([[-2.0, -1.0], [-1.0, -2.0], [-0.5, -0.5]])
    >>> correlation_scores(S, S[:, 1] * 0.01).round(3)
    array([0.81, 1.  ])
    """
    S, r = _checked(sensitivity, residuals, sensors, missing)
    if centred:
        S = S - S.mean(axis=0)
        r = r - r.mean(axis=-1, keepdims=True)
    column_norm = np.linalg.norm(S, axis=0)
    residual_norm = np.linalg.norm(r, axis=-1, keepdims=True)
    scale = residual_norm * column_norm
    dot = r @ S
    cosine = np.divide(dot, scale, out=np.zeros_like(dot), where=scale > 0)
    return _shaped(np.clip(cosine, -1.0, 1.0), residuals)


def least_squares_leak(
    sensitivity: np.ndarray,
    residuals: np.ndarray,
    *,
    sensors: Sequence[str] | None = None,
    missing: MissingPolicy = "raise",
) -> LeastSquaresLeak:
    """The leak size that best explains the residuals at each candidate, and the misfit.

    Parameters
    ----------
    sensitivity : numpy.ndarray, shape (n_sensors, n_candidates)
        m per m³/s.
    residuals : numpy.ndarray, shape (n_sensors,) or (n_windows, n_sensors)
        m.
    sensors, missing
        As for :func:`correlation_scores`.

    Returns
    -------
    LeastSquaresLeak
        ``size_m3s`` (m³/s) and ``residual_norm_m`` (m), each ``(n_candidates,)`` or
        ``(n_windows, n_candidates)``.

    Examples
    --------
    >>> S = np.array([[-2.0, -1.0], [-1.0, -2.0]])
    >>> fit = least_squares_leak(S, S[:, 0] * 0.005)
    >>> (fit.size_m3s * 1000).round(1), (fit.residual_norm_m * 1000).round(1)  # L/s, mm
    (array([5., 4.]), array([0. , 6.7]))
    """
    S, r = _checked(sensitivity, residuals, sensors, missing)
    column_energy = np.einsum("ij,ij->j", S, S)
    dot = r @ S
    size = np.divide(dot, column_energy, out=np.zeros_like(dot), where=column_energy > 0)
    # ‖r − S_k q_k‖² = ‖r‖² − q_k (S_k·r), expanded so no (windows × sensors × candidates) array
    energy = np.einsum("ij,ij->i", r, r)[:, None]
    misfit = np.sqrt(np.clip(energy - size * dot, 0.0, None))
    return LeastSquaresLeak(_shaped(size, residuals), _shaped(misfit, residuals))


def leak_log_likelihood(
    sensitivity: np.ndarray,
    residuals: np.ndarray,
    noise_m: float,
    *,
    sensors: Sequence[str] | None = None,
    missing: MissingPolicy = "raise",
) -> np.ndarray:
    """Log-likelihood of "one leak at candidate k", up to a constant, summed over windows.

    The residuals are taken as ``S_k q + ε`` with independent Gaussian noise ``ε`` of
    standard deviation ``noise_m`` at every sensor and an unknown leak size ``q ≥ 0`` per
    window (profile likelihood: ``q`` at its best non-negative value). Relative to "no leak
    anywhere" that is ``(‖r‖² − ‖r − S_k q_k⁺‖²) / (2 σ²) = ‖r‖² cos²θ_k / (2 σ²)`` when
    ``q_k > 0``, and 0 otherwise: the cosine score with a temperature set by the noise.

    Parameters
    ----------
    sensitivity : numpy.ndarray, shape (n_sensors, n_candidates)
        m per m³/s.
    residuals : numpy.ndarray, shape (n_sensors,) or (n_windows, n_sensors)
        m.
    noise_m : float
        Standard deviation of a sensor's window residual when there is no leak, m
        (measurement noise plus what the model gets wrong; a few cm in L-Town).
    sensors, missing
        As for :func:`correlation_scores`.

    Returns
    -------
    numpy.ndarray, shape (n_candidates,)
        Log-likelihood ratio against "no leak", dimensionless, ≥ 0. Feed it to
        :func:`twin.localize.ranking.softmax` with temperature 1 for probabilities.

    Examples
    --------
    >>> S = np.array([[-2.0, -1.0], [-1.0, -2.0]])
    >>> leak_log_likelihood(S, S[:, 0] * 0.05, noise_m=0.05).round(1)
    array([2.5, 1.6])
    """
    if not np.isfinite(noise_m) or noise_m <= 0:
        raise ValueError(f"noise_m must be a positive number of metres, not {noise_m!r}")
    S, r = _checked(sensitivity, residuals, sensors, missing)
    column_energy = np.einsum("ij,ij->j", S, S)
    dot = r @ S
    explained = np.divide(dot**2, column_energy, out=np.zeros_like(dot), where=column_energy > 0)
    explained = np.where(dot > 0, explained, 0.0)  # q_k > 0 only: a leak cannot raise pressure
    return explained.sum(axis=0) / (2.0 * noise_m**2)


def _checked(
    sensitivity: np.ndarray,
    residuals: np.ndarray,
    sensors: Sequence[str] | None,
    missing: MissingPolicy,
) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``S`` (reporting sensors × candidates) and ``r`` (windows × reporting)."""
    S = np.asarray(sensitivity, dtype=float)
    r = np.asarray(residuals, dtype=float)
    if S.ndim != 2:
        raise ValueError(
            f"sensitivity matrix must be 2-D (n_sensors, n_candidates), not shape {S.shape}"
        )
    if r.ndim not in (1, 2):
        raise ValueError(
            f"residuals must be (n_sensors,) or (n_windows, n_sensors), not shape {r.shape}"
        )
    if r.shape[-1] != S.shape[0]:
        raise ValueError(
            f"residuals have {r.shape[-1]} sensors but the sensitivity matrix has "
            f"{S.shape[0]} rows (one per sensor)"
        )
    if sensors is not None and len(sensors) != S.shape[0]:
        raise ValueError(f"{len(sensors)} sensor ids given for {S.shape[0]} sensors")
    if not np.isfinite(S).all():
        bad = ~np.isfinite(S).all(axis=1)
        raise ValueError(
            f"sensitivity matrix has NaN or infinite entries in the rows of sensor(s) "
            f"{_listed(_sensor_names(S.shape[0], sensors), bad)}"
        )
    keep = reporting_sensors(r, sensors, missing)
    return S[keep], np.atleast_2d(r)[:, keep]


def _shaped(values: np.ndarray, residuals: np.ndarray) -> np.ndarray:
    """Scores for one residual vector come back 1-D, for several windows 2-D."""
    return values[0] if np.ndim(residuals) == 1 else values


def _sensor_names(n: int, sensors: Sequence[str] | None) -> list[str]:
    return list(sensors) if sensors is not None else [f"#{i}" for i in range(n)]


def _listed(names: Sequence[str], mask: np.ndarray, limit: int = 10) -> str:
    chosen = [str(names[i]) for i in np.flatnonzero(mask)]
    more = f" and {len(chosen) - limit} more" if len(chosen) > limit else ""
    return ", ".join(chosen[:limit]) + more
