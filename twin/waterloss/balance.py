"""IWA water balance of a zone over a period: where the water put into the network went.

The IWA/AWWA standard balance splits the system input volume, the water metered into a
zone, top-down::

    system input = authorised consumption + water losses
    authorised consumption = billed authorised (metered + unmetered) + unbilled authorised
    water losses = apparent losses + real losses
    non-revenue water (NRW) = system input - billed authorised
                            = unbilled authorised + water losses

Billed metered consumption comes from the customer meters (AMR/AMI) read over the period,
billed unmetered consumption is the estimate for customers without a reading. Unbilled
authorised consumption (mains flushing, fire fighting) and apparent losses (customer meter
under-registration, theft, data errors) are rarely measured: they are estimated here as a
fraction of the system input and of the billed authorised consumption. The default fraction
0.0 means "not estimated", not "none": the real losses then also carry those volumes.

Real losses (leaks, bursts, tank overflows) are what remains. When the inputs are
inconsistent (consumption or estimates larger than what entered the zone) they come out
negative; they are kept negative, not floored, because that is the sign of an
over-estimated consumption (or an under-reading inlet meter) that someone should look at.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from twin.waterloss.night_flow import legitimate_night_use_m3h, night_leakage_m3h
from twin.waterloss.uarl import infrastructure_leakage_index, uarl_m3_per_day

__all__ = ["WaterBalance", "balance_table", "leak_volume_m3", "water_balance"]

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_DEFAULT_DIGITS = 3  # m³, m³/day, m³/h, km: to the litre or metre
_DIGITS = {"days": 4, "nrw_percent": 2, "ili": 3, "average_pressure_m": 2}
_MONEY_DIGITS = 2


@dataclass(frozen=True)
class WaterBalance:
    """IWA water balance of one area over one period.

    Volumes are in m³ over the period, rates in m³/day or m³/h as their names say. See the
    module docstring for how the components add up.

    Attributes
    ----------
    area : str
        Zone (district metered area) or network the balance is for.
    start, end : pandas.Timestamp
        The period, ``end`` excluded.
    days : float
        Length of the period (days).
    system_input_m3 : float
        Water metered into the area.
    billed_metered_m3 : float
        Consumption read by customer meters (AMR/AMI).
    billed_unmetered_m3 : float
        Estimated consumption of customers without a meter reading in the period.
    unbilled_authorised_m3 : float
        Flushing, fire fighting, ...: an estimate (0 when not estimated).
    authorised_m3 : float
        Billed metered + billed unmetered + unbilled authorised.
    apparent_losses_m3 : float
        Customer meter under-registration, theft: an estimate (0 when not estimated).
    real_losses_m3 : float
        System input - authorised - apparent losses; negative when the inputs disagree.
    water_losses_m3 : float
        System input - authorised = apparent + real losses.
    nrw_m3 : float
        Non-revenue water: system input - billed authorised.
    nrw_percent : float
        NRW as a percentage of the system input (NaN for no input).
    real_losses_m3_per_day : float
        Real losses as a daily rate (current annual real losses, CARL, per day).
    uarl_m3_per_day : float
        Unavoidable annual real losses as a daily rate.
    ili : float
        Infrastructure leakage index, CARL / UARL (NaN when the UARL is 0).
    average_pressure_m : float
        Average operating pressure (m) used for the UARL.
    mains_length_km : float
        Length of mains (km).
    service_connections : int
        Number of service connections.
    mnf_m3h : float
        Mean of the nightly minimum night flows over the period (NaN if none).
    night_leakage_m3h : float
        MNF minus legitimate night use, floored at 0 (NaN without an MNF).
    cost_of_real_losses : float
        Real losses times the water price, in ``currency``.
    currency : str
        Currency of the cost (ISO 4217 code).
    """

    area: str
    start: pd.Timestamp
    end: pd.Timestamp
    days: float
    system_input_m3: float
    billed_metered_m3: float
    billed_unmetered_m3: float
    unbilled_authorised_m3: float
    authorised_m3: float
    apparent_losses_m3: float
    real_losses_m3: float
    water_losses_m3: float
    nrw_m3: float
    nrw_percent: float
    real_losses_m3_per_day: float
    uarl_m3_per_day: float
    ili: float
    average_pressure_m: float
    mains_length_km: float
    service_connections: int
    mnf_m3h: float
    night_leakage_m3h: float
    cost_of_real_losses: float
    currency: str

    @property
    def billed_authorised_m3(self) -> float:
        """Billed metered + billed unmetered consumption (m³): the revenue water."""
        return self.billed_metered_m3 + self.billed_unmetered_m3

    def to_dict(self) -> dict[str, str | int | float | None]:
        """JSON-ready fields: times as ``"YYYY-MM-DD HH:MM:SS"``, rounded floats, NaN as None.

        Volumes and rates are rounded to 3 decimals (the litre), money to 2, the NRW
        percentage and pressure to 2, the ILI to 3 and the days to 4.
        """
        out: dict[str, str | int | float | None] = {}
        for name, value in asdict(self).items():
            if isinstance(value, pd.Timestamp):
                out[name] = value.strftime(_TIME_FORMAT)
            elif isinstance(value, bool | int | str):
                out[name] = value
            elif not math.isfinite(value):
                out[name] = None
            else:
                digits = _MONEY_DIGITS if name.startswith("cost") else _DIGITS.get(name)
                out[name] = round(float(value), _DEFAULT_DIGITS if digits is None else digits)
        return out


def _check_volumes(**volumes: float) -> None:
    """ValueError naming the first volume that is negative or not finite."""
    for name, value in volumes.items():
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be finite and >= 0, got {value}")


def _check_fraction(name: str, value: float) -> None:
    """ValueError unless ``value`` is a fraction in [0, 1]."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a fraction in [0, 1], got {value}")


def water_balance(
    *,
    area: str,
    start: pd.Timestamp | str,
    end: pd.Timestamp | str,
    system_input_m3: float,
    billed_metered_m3: float,
    billed_unmetered_m3: float,
    average_pressure_m: float,
    mains_length_km: float,
    service_connections: int,
    private_pipe_km: float = 0.0,
    unbilled_authorised_fraction: float = 0.0,
    apparent_loss_fraction: float = 0.0,
    mnf_m3h: float = math.nan,
    night_use_l_per_connection_h: float = 1.7,
    water_price_per_m3: float = 0.0,
    currency: str = "EUR",
) -> WaterBalance:
    """IWA water balance of an area over a period, with UARL, ILI and night leakage.

    Parameters
    ----------
    area : str
        Zone or network name.
    start, end : pandas.Timestamp or str
        The period, ``end`` excluded; ``end`` must be after ``start``.
    system_input_m3 : float
        Water metered into the area over the period (m³).
    billed_metered_m3 : float
        Consumption read by customer meters over the period (m³).
    billed_unmetered_m3 : float
        Estimated consumption of customers without a reading in the period (m³).
    average_pressure_m : float
        Average operating pressure over the period (m), for the UARL.
    mains_length_km : float
        Length of mains (km).
    service_connections : int
        Number of service connections.
    private_pipe_km : float, default 0.0
        Private pipe from property boundary to customer meter (km), for the UARL.
    unbilled_authorised_fraction : float, default 0.0
        Unbilled authorised consumption as a fraction of the system input; 0 means not
        estimated (it then counts as real losses).
    apparent_loss_fraction : float, default 0.0
        Apparent losses as a fraction of the billed authorised consumption; 0 means not
        estimated (they then count as real losses).
    mnf_m3h : float, default NaN
        Mean minimum night flow over the period (m³/h), e.g.
        ``minimum_night_flow(inflow)[start:end].mean()``; NaN when not measured.
    night_use_l_per_connection_h : float, default 1.7
        Legitimate night use per connection (L/h), subtracted from the MNF.
    water_price_per_m3 : float, default 0.0
        Price of a m³ of water (production cost or tariff) in ``currency``.
    currency : str, default "EUR"
        Currency of the price.

    Returns
    -------
    WaterBalance
        The balance; real losses may be negative (see the module docstring).

    Raises
    ------
    ValueError
        For an empty or reversed period, negative volumes, fractions outside [0, 1], a
        negative price or MNF, or network data the UARL rejects.

    Examples
    --------
    >>> b = water_balance(
    ...     area="DMA-1", start="2024-03-01", end="2024-03-31",
    ...     system_input_m3=30_000.0, billed_metered_m3=22_800.0, billed_unmetered_m3=1_200.0,
    ...     average_pressure_m=50.0, mains_length_km=100.0, service_connections=5000,
    ... )
    >>> b.nrw_m3, b.nrw_percent, b.real_losses_m3_per_day, b.ili
    (6000.0, 20.0, 200.0, 0.6896551724137931)
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    days = (end - start) / pd.Timedelta(days=1)
    if not days > 0:
        raise ValueError(f"end ({end}) must be after start ({start})")
    _check_volumes(
        system_input_m3=system_input_m3,
        billed_metered_m3=billed_metered_m3,
        billed_unmetered_m3=billed_unmetered_m3,
        water_price_per_m3=water_price_per_m3,
    )
    _check_fraction("unbilled_authorised_fraction", unbilled_authorised_fraction)
    _check_fraction("apparent_loss_fraction", apparent_loss_fraction)
    if mnf_m3h < 0:
        raise ValueError(f"mnf_m3h must be >= 0 or NaN, got {mnf_m3h}")

    billed = billed_metered_m3 + billed_unmetered_m3
    unbilled = unbilled_authorised_fraction * system_input_m3
    authorised = billed + unbilled
    apparent = apparent_loss_fraction * billed
    water_losses = system_input_m3 - authorised
    real = water_losses - apparent
    nrw = system_input_m3 - billed
    uarl = uarl_m3_per_day(
        mains_length_km, service_connections, private_pipe_km, average_pressure_m
    )
    night_use = legitimate_night_use_m3h(service_connections, night_use_l_per_connection_h)
    return WaterBalance(
        area=area,
        start=start,
        end=end,
        days=days,
        system_input_m3=float(system_input_m3),
        billed_metered_m3=float(billed_metered_m3),
        billed_unmetered_m3=float(billed_unmetered_m3),
        unbilled_authorised_m3=unbilled,
        authorised_m3=authorised,
        apparent_losses_m3=apparent,
        real_losses_m3=real,
        water_losses_m3=water_losses,
        nrw_m3=nrw,
        nrw_percent=100.0 * nrw / system_input_m3 if system_input_m3 > 0 else math.nan,
        real_losses_m3_per_day=real / days,
        uarl_m3_per_day=uarl,
        ili=infrastructure_leakage_index(real / days, uarl),
        average_pressure_m=float(average_pressure_m),
        mains_length_km=float(mains_length_km),
        service_connections=int(service_connections),
        mnf_m3h=float(mnf_m3h),
        night_leakage_m3h=night_leakage_m3h(float(mnf_m3h), night_use),
        cost_of_real_losses=real * water_price_per_m3,
        currency=currency,
    )


def balance_table(balances: Sequence[WaterBalance]) -> pd.DataFrame:
    """The balances side by side, one row each, for reports.

    Parameters
    ----------
    balances : sequence of WaterBalance
        Balances of several areas or periods.

    Returns
    -------
    pandas.DataFrame
        One row per balance in the given order (RangeIndex), one column per
        :class:`WaterBalance` field in declaration order (``area``, ``start``, ``end``, the
        volumes in m³, rates, ILI, network data, night flow, cost); empty with those columns
        for no balances.

    Examples
    --------
    >>> b = water_balance(
    ...     area="DMA-1", start="2024-03-01", end="2024-03-02", system_input_m3=1000.0,
    ...     billed_metered_m3=800.0, billed_unmetered_m3=0.0, average_pressure_m=50.0,
    ...     mains_length_km=100.0, service_connections=5000,
    ... )
    >>> balance_table([b])[["area", "system_input_m3", "nrw_m3", "ili"]]
        area  system_input_m3  nrw_m3       ili
    0  DMA-1           1000.0   200.0  0.689655
    """
    columns = [f.name for f in fields(WaterBalance)]
    return pd.DataFrame([asdict(b) for b in balances], columns=columns)


def leak_volume_m3(
    flow_m3h: pd.Series, start: pd.Timestamp, end: pd.Timestamp | None = None
) -> float:
    """Volume lost through a leak: its estimated flow integrated over time.

    The flow is integrated by the trapezoid rule between consecutive readings, with the flow
    at ``start`` and ``end`` interpolated linearly; missing readings (NaN) are bridged
    linearly too. Nothing is extrapolated: only the part of ``[start, end]`` the series
    covers counts. The flow is taken as given (noise below zero is not floored).

    Parameters
    ----------
    flow_m3h : pandas.Series
        Estimated leak flow (m³/h) on a DatetimeIndex, e.g. the rise of a zone's MNF or an
        event's fitted outflow.
    start : pandas.Timestamp
        When the leak started (detection or estimated start).
    end : pandas.Timestamp, optional
        When it was repaired; the end of the series when omitted.

    Returns
    -------
    float
        Leak volume (m³); 0.0 when the series has no readings in the period.

    Raises
    ------
    ValueError
        Without a DatetimeIndex, or with ``end`` before ``start``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.date_range("2024-03-01", periods=25, freq="h")
    >>> leak_volume_m3(pd.Series(5.0, index=t), pd.Timestamp("2024-03-01 12:00"))
    60.0
    """
    if not isinstance(flow_m3h.index, pd.DatetimeIndex):
        raise ValueError("flow_m3h needs a DatetimeIndex")
    if end is not None and pd.Timestamp(end) < pd.Timestamp(start):
        raise ValueError(f"end ({end}) must not be before start ({start})")
    flow = flow_m3h.astype(float).dropna().sort_index()
    if flow.empty:
        return 0.0
    start = max(pd.Timestamp(start), flow.index[0])
    end = flow.index[-1] if end is None else min(pd.Timestamp(end), flow.index[-1])
    if end <= start:
        return 0.0
    hours = ((flow.index - start) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
    end_h = (end - start) / pd.Timedelta(hours=1)
    inside = (hours > 0.0) & (hours < end_h)
    grid = np.concatenate(([0.0], hours[inside], [end_h]))
    values = np.interp(grid, hours, flow.to_numpy())
    return float(np.trapezoid(values, grid))
