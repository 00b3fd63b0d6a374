"""Unavoidable annual real losses (UARL) and the infrastructure leakage index (ILI).

The UARL is the IWA estimate of the real losses that even a well-run network cannot avoid
(background leakage below detection, and the reported and unreported bursts of an
efficient utility), from the network's size and pressure:

``UARL (L/day) = (18 * Lm + 0.8 * Nc + 25 * Lp) * P``

with mains length ``Lm`` (km), number of service connections ``Nc``, length of private
pipe between the property boundary and the customer meter ``Lp`` (km; 0 when meters sit
at the boundary) and average operating pressure ``P`` (m). The ILI is the current real
losses divided by the UARL: 1 is the best achievable; the World Bank Institute grades a
network in a developed country A below 2, B from 2 to 4, C from 4 to 8 and D above 8
(twice those limits in a developing country). Both are rates, so real losses and UARL per
day give the same ILI as annual volumes.
"""

from __future__ import annotations

import math

__all__ = ["infrastructure_leakage_index", "uarl_is_reliable", "uarl_m3_per_day"]

RELIABLE_MIN_CONNECTIONS = 3000
"""Fewest service connections for which IWA considers the UARL formula reliable."""

RELIABLE_MIN_PRESSURE_M = 25.0
"""Lowest average pressure (m) for which IWA considers the UARL formula reliable."""


def _check_non_negative(**values: float) -> None:
    """ValueError naming the first value that is negative or not finite."""
    for name, value in values.items():
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be finite and >= 0, got {value}")


def uarl_m3_per_day(
    mains_length_km: float,
    service_connections: int,
    private_pipe_km: float,
    average_pressure_m: float,
) -> float:
    """Unavoidable annual real losses of a network, as a daily rate.

    IWA considers the formula reliable only for networks with more than about 3000
    service connections and an average pressure above about 25 m (Lambert adds a
    connection density above 20 per km of mains); the value is returned anyway, and
    :func:`uarl_is_reliable` says whether to trust it. A small district metered area is
    outside that range: use its ILI to rank zones rather than as an absolute grade.

    Parameters
    ----------
    mains_length_km : float
        Length of mains (km), excluding service connections.
    service_connections : int
        Number of service connections (main to property boundary).
    private_pipe_km : float
        Total length of private pipe from the property boundary to the customer meters
        (km); 0 when meters are at the property boundary.
    average_pressure_m : float
        Average operating pressure (m) over the period.

    Returns
    -------
    float
        UARL (m³/day): ``(18 * Lm + 0.8 * Nc + 25 * Lp) * P / 1000``.

    Raises
    ------
    ValueError
        If any input is negative or not finite.

    Examples
    --------
    >>> uarl_m3_per_day(100.0, 5000, 0.0, 50.0)
    290.0
    """
    _check_non_negative(
        mains_length_km=mains_length_km,
        service_connections=service_connections,
        private_pipe_km=private_pipe_km,
        average_pressure_m=average_pressure_m,
    )
    litres_per_day = (
        18.0 * mains_length_km + 0.8 * service_connections + 25.0 * private_pipe_km
    ) * average_pressure_m
    return litres_per_day / 1000.0


def uarl_is_reliable(service_connections: int, average_pressure_m: float) -> bool:
    """Whether a network is large enough and pressurised enough for the UARL formula.

    Parameters
    ----------
    service_connections : int
        Number of service connections.
    average_pressure_m : float
        Average operating pressure (m).

    Returns
    -------
    bool
        True for at least 3000 connections and at least 25 m of average pressure.

    Examples
    --------
    >>> uarl_is_reliable(5000, 50.0)
    True
    >>> uarl_is_reliable(800, 50.0)
    False
    """
    return bool(
        service_connections >= RELIABLE_MIN_CONNECTIONS
        and average_pressure_m >= RELIABLE_MIN_PRESSURE_M
    )


def infrastructure_leakage_index(real_losses_m3_per_day: float, uarl_m3_per_day: float) -> float:
    """Infrastructure leakage index: current real losses over unavoidable real losses.

    Parameters
    ----------
    real_losses_m3_per_day : float
        Current annual real losses (CARL) as a daily rate (m³/day). A negative value (an
        inconsistent balance) gives a negative ILI rather than an error, so it shows.
    uarl_m3_per_day : float
        Unavoidable annual real losses (m³/day), see :func:`uarl_m3_per_day`.

    Returns
    -------
    float
        ILI (dimensionless); NaN when the UARL is 0 (no mains, connections or pressure).

    Raises
    ------
    ValueError
        If the UARL is negative.

    Examples
    --------
    >>> infrastructure_leakage_index(1160.0, 290.0)
    4.0
    """
    if uarl_m3_per_day < 0:
        raise ValueError(f"uarl_m3_per_day must be >= 0, got {uarl_m3_per_day}")
    if uarl_m3_per_day == 0:
        return math.nan
    return real_losses_m3_per_day / uarl_m3_per_day
