"""Instrument banks: what pressure loggers, flow meters, tank gauges and AMR meters report.

A bank holds every instrument of one kind as one vector. The plant calls
:meth:`InstrumentBank.observe` at every hydraulic step with the true values (in the bank's
unit); a channel calls :meth:`InstrumentBank.sample` at the end of each sampling period and
gets the reported values as :class:`~twin.feeds.readings.Readings`:

- ``"mean"``: the time-weighted mean over the period ``[t - period, t)``, each plant step's
  value holding until the next step (pressure loggers and flow meters log 5-minute means,
  as BattLeDIM's do; AMR meters report their mean consumption rate);
- ``"instant"``: the latest value at ``t`` (tank level);
- ``"register"``: the meter's cumulative register in m3, integrated from rates in L/h.

Then, in this order, all vectorised: Gaussian noise (std in the bank's unit), the sensor
faults of :mod:`twin.feeds.faults`, quantisation to the resolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from twin.feeds.faults import Seed, SensorFault
from twin.feeds.readings import Readings, SimTime

__all__ = [
    "Aggregation",
    "InstrumentBank",
    "pressure_loggers",
    "flow_meters",
    "tank_levels",
    "amr_meters",
]

Aggregation = Literal["mean", "instant", "register"]

M3_PER_LH_SECOND = 1.0 / 3_600_000.0
"""Cubic metres that flow through a meter in one second at 1 L/h."""


@dataclass
class InstrumentBank:
    """All instruments of one kind, observed as one vector per plant step.

    Parameters
    ----------
    kind : str
        What the instruments are, in the utility's words (``"pressure"``, ``"flow"``,
        ``"level"``, ``"amr"``); the channel name of readings sampled directly.
    sensor_ids : sequence of str
        Sensor ids, in the order of the vectors passed to :meth:`observe`.
    unit : str
        Unit of the reported values (``"m"``, ``"m3/h"``, ``"L/h"``, ``"m3"``).
    noise_std : float
        Standard deviation of the additive Gaussian noise, in ``unit``.
    resolution : float
        Smallest step of a reported value, in ``unit`` (0: no quantisation).
    period : int
        Sampling period (s): the instrument reports once every ``period`` seconds.
    aggregation : {"mean", "instant", "register"}
        How the plant steps of a period become one reported value (see the module docstring).
        For ``"register"`` the plant gives flow rates in L/h and ``unit`` should be ``"m3"``.
    faults : sequence of SensorFault
        Faults of the bank's sensors; attached (and reset) when the bank is made.
    drop_empty : bool
        If true, readings that are NaN (e.g. during a dropout) are not reported at all.
    register_start : float or sequence of float
        Register reading at the first observation (m3), for ``"register"`` banks.
    seed : int or numpy.random.Generator, optional
        Seed of the noise; the same seed gives the same readings.
    """

    kind: str
    sensor_ids: Sequence[str]
    unit: str
    noise_std: float = 0.0
    resolution: float = 0.0
    period: SimTime = 300
    aggregation: Aggregation = "mean"
    faults: Sequence[SensorFault] = ()
    drop_empty: bool = False
    register_start: float | Sequence[float] = 0.0
    seed: Seed = None
    _ids: npt.NDArray[np.str_] = field(init=False, repr=False)
    _units: npt.NDArray[np.str_] = field(init=False, repr=False)
    _rng: np.random.Generator = field(init=False, repr=False)
    _last_t: SimTime | None = field(default=None, init=False, repr=False)
    _last_values: npt.NDArray[np.float64] = field(init=False, repr=False)
    _integral: npt.NDArray[np.float64] = field(init=False, repr=False)
    _window_start: SimTime = field(default=0, init=False, repr=False)
    _register: npt.NDArray[np.float64] = field(init=False, repr=False)
    _waiting: list[SensorFault] = field(init=False, repr=False)
    _active: list[SensorFault] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ids = np.asarray(self.sensor_ids, dtype=str)
        self._check()
        self._units = np.full(len(self._ids), self.unit)
        for fault in self.faults:
            fault.attach(self._ids.tolist(), self.period)
        # Latest start first, so the next fault to begin pops off the end of the list.
        self._waiting = sorted(self.faults, key=lambda f: f.start)[::-1]
        self._active = []
        self._rng = np.random.default_rng(self.seed)
        n = len(self._ids)
        self._integral = np.zeros(n)
        self._last_values = np.full(n, np.nan)
        self._register = np.broadcast_to(np.asarray(self.register_start, float), n).copy()

    def _check(self) -> None:
        where = f"InstrumentBank {self.kind!r}"
        if self._ids.ndim != 1 or len(self._ids) == 0:
            raise ValueError(f"{where}: sensor_ids must be a non-empty list of ids")
        if len(np.unique(self._ids)) != len(self._ids):
            raise ValueError(f"{where}: sensor_ids contains duplicates")
        if self.aggregation not in ("mean", "instant", "register"):
            raise ValueError(
                f"{where}: aggregation must be 'mean', 'instant' or 'register' "
                f"(got {self.aggregation!r})"
            )
        if self.period <= 0 or self.noise_std < 0 or self.resolution < 0:
            raise ValueError(f"{where}: period must be > 0, noise_std and resolution >= 0")

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> npt.NDArray[np.str_]:
        """Sensor ids as a numpy array (do not modify)."""
        return self._ids

    def observe(self, t: SimTime, true_values: npt.ArrayLike) -> None:
        """Record the true values of the bank's sensors at a plant step.

        Parameters
        ----------
        t : int
            Time of the plant step, seconds since the run's origin; never decreasing.
        true_values : array_like of float, shape (n_sensors,)
            True values in the bank's unit (L/h for a ``"register"`` bank), held until the
            next step.
        """
        values = np.array(true_values, dtype=float)  # a copy: the plant may reuse its buffer
        if values.shape != self._ids.shape:
            raise ValueError(
                f"InstrumentBank {self.kind!r}.observe: got {values.shape[0] if values.ndim else 0}"
                f" values for {len(self._ids)} sensors"
            )
        if self._last_t is None:
            self._window_start = t
        else:
            self._hold_until(t)
        self._last_t = t
        self._last_values = values

    def _hold_until(self, t: SimTime) -> None:
        """Integrate the last observed values, held constant, up to ``t``."""
        if self._last_t is None or t < self._last_t:
            raise ValueError(
                f"InstrumentBank {self.kind!r}: time {t} s is before the last plant step "
                f"({self._last_t} s), or nothing was observed yet"
            )
        if t > self._last_t:
            self._integral += self._last_values * (t - self._last_t)
            self._last_t = t

    def sample(self, t: SimTime) -> Readings:
        """Report the values for the period ending at ``t``.

        Parameters
        ----------
        t : int
            Sample time, seconds since the run's origin. The period is ``[t', t)`` with ``t'``
            the previous sample time (or the first observation).

        Returns
        -------
        Readings
            One reading per sensor (fewer if ``drop_empty``), in ``unit``, channel ``kind``,
            ``event_time == arrival_time == t``.
        """
        self._hold_until(t)
        span = t - self._window_start
        if self.aggregation == "mean" and span > 0:
            values = self._integral / span
        elif self.aggregation == "register":
            self._register += self._integral * M3_PER_LH_SECOND
            values = self._register.copy()
        else:
            values = self._last_values.copy()
        self._integral[:] = 0.0
        self._window_start = t
        return self._report(t, self._measure(t, values))

    def _measure(self, t: SimTime, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Turn aggregated true values into reported ones: noise, faults, quantisation.

        Parameters
        ----------
        t : int
            Sample time (s), for the faults' windows.
        values : ndarray of float, shape (n_sensors,)
            Aggregated true values in ``unit``; modified in place.

        Returns
        -------
        ndarray of float, shape (n_sensors,)
            Reported values in ``unit``.
        """
        if self.noise_std > 0:
            values += self._rng.normal(0.0, self.noise_std, size=len(values))
        self._apply_faults(t, values)
        if self.resolution > 0:
            values = _quantise(values, self.resolution)
        return values

    def _apply_faults(self, t: SimTime, values: npt.NDArray[np.float64]) -> None:
        """Apply the faults active at ``t`` in place (sample times never go back)."""
        # Only the faults whose window is open are visited: a year of "all faults on" has
        # hundreds per bank, most of them idle at any one time.
        while self._waiting and self._waiting[-1].start <= t:
            self._active.append(self._waiting.pop())
        if self._active:
            self._active = [fault for fault in self._active if fault.end > t]
            for fault in self._active:
                fault.apply(t, values)

    def _report(self, t: SimTime, values: npt.NDArray[np.float64]) -> Readings:
        ids, units = self._ids, self._units
        if self.drop_empty:
            keep = ~np.isnan(values)
            if not keep.all():
                ids, units, values = ids[keep], units[keep], values[keep]
        times = np.full(len(values), t, dtype=np.int64)
        return Readings(self.kind, ids, values, units, times, times.copy())


def _quantise(values: npt.NDArray[np.float64], resolution: float) -> npt.NDArray[np.float64]:
    """Round ``values`` to the nearest multiple of ``resolution``.

    Examples
    --------
    >>> _quantise(np.array([0.304, 50.006]), 0.01).tolist()
    [0.3, 50.01]
    """
    steps_per_unit = round(1.0 / resolution)
    if abs(steps_per_unit * resolution - 1.0) < 1e-9:
        # k / 100 is the float nearest to k hundredths (k * 0.01 may be 0.30000000000000004).
        return np.rint(values * steps_per_unit) / steps_per_unit
    return np.rint(values / resolution) * resolution


def pressure_loggers(
    sensor_ids: Sequence[str], *, period: SimTime = 300, seed: Seed = None, **options: Any
) -> InstrumentBank:
    """Pressure loggers: 5-minute means of pressure head in m, 0.05 m noise, 0.01 m steps.

    ``options`` override any other :class:`InstrumentBank` field (``noise_std``, ``faults``...).

    Examples
    --------
    >>> bank = pressure_loggers(["n1", "n4"], seed=0)
    >>> bank.observe(0, [50.0, 42.0])
    >>> bank.sample(300).unit.tolist()
    ['m', 'm']
    """
    defaults: dict[str, Any] = {"noise_std": 0.05, "resolution": 0.01}
    return InstrumentBank(
        "pressure", sensor_ids, "m", period=period, seed=seed, **(defaults | options)
    )


def flow_meters(
    sensor_ids: Sequence[str], *, period: SimTime = 300, seed: Seed = None, **options: Any
) -> InstrumentBank:
    """Electromagnetic flow meters: 5-minute means in m3/h, 0.2 m3/h noise, 0.01 m3/h steps."""
    defaults: dict[str, Any] = {"noise_std": 0.2, "resolution": 0.01}
    return InstrumentBank(
        "flow", sensor_ids, "m3/h", period=period, seed=seed, **(defaults | options)
    )


def tank_levels(
    sensor_ids: Sequence[str], *, period: SimTime = 300, seed: Seed = None, **options: Any
) -> InstrumentBank:
    """Tank level gauges: instantaneous level in m, 5 mm noise, 0.01 m steps."""
    defaults: dict[str, Any] = {"noise_std": 0.005, "resolution": 0.01, "aggregation": "instant"}
    return InstrumentBank(
        "level", sensor_ids, "m", period=period, seed=seed, **(defaults | options)
    )


def amr_meters(
    sensor_ids: Sequence[str],
    *,
    period: SimTime = 3600,
    register: bool = False,
    seed: Seed = None,
    **options: Any,
) -> InstrumentBank:
    """Smart (AMR) consumption meters, read every ``period`` s (hourly by default).

    By default each reading is the mean consumption rate over the period in L/h (1 L/h noise,
    0.1 L/h steps). With ``register=True`` each reading is the cumulative register in m3
    (1 L steps, no noise: the register counts what went through). The plant always gives
    consumption rates in L/h.
    """
    if register:
        defaults: dict[str, Any] = {
            "noise_std": 0.0,
            "resolution": 0.001,
            "aggregation": "register",
        }
        unit = "m3"
    else:
        defaults = {"noise_std": 1.0, "resolution": 0.1}
        unit = "L/h"
    return InstrumentBank("amr", sensor_ids, unit, period=period, seed=seed, **(defaults | options))
