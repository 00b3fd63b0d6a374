"""Sensor faults: dropout, stuck, drift, bias and spikes, each with a start, an end and a sensor.

A fault is a small object with an explicit lifecycle, in the spirit of EPyT-Flow's sensor
faults:

1. :meth:`SensorFault.attach` binds it to the vector of an instrument bank (done by
   :class:`~twin.feeds.instruments.InstrumentBank` when it is built) and resets its state;
2. :meth:`SensorFault.apply` is called at every sample time ``t`` with the bank's vector of
   values (after noise, before quantisation) and changes the faulty sensor's entry while
   ``start <= t < end``;
3. outside its window the fault leaves every value untouched.

:func:`draw_faults` draws random faults for a whole bank from per-year rates, for benchmarks
with "all faults switched on".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from twin.feeds.readings import SimTime

__all__ = [
    "SensorFault",
    "Dropout",
    "Stuck",
    "Drift",
    "Bias",
    "Spikes",
    "FaultRates",
    "draw_faults",
]

SECONDS_PER_DAY = 86_400
SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY
_KINDS = ("dropout", "stuck", "drift", "bias", "spikes")  # the rate fields of FaultRates

Seed = int | np.random.Generator | None
"""Anything :func:`numpy.random.default_rng` accepts as a seed."""


@dataclass
class SensorFault:
    """Base class: one fault of one sensor during ``[start, end)``.

    Parameters
    ----------
    sensor_id : str
        Id of the faulty sensor; must be one of the bank's sensors.
    start : int
        First second (since the run's origin) at which the fault acts.
    end : int
        First second at which the fault no longer acts.
    """

    sensor_id: str
    start: SimTime
    end: SimTime
    _index: int = field(default=-1, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(
                f"{type(self).__name__} of sensor {self.sensor_id!r}: end ({self.end} s) must be "
                f"after start ({self.start} s)"
            )

    def attach(self, sensor_ids: Sequence[str], period: SimTime) -> None:
        """Bind the fault to a bank's vector of sensors and reset its state.

        Parameters
        ----------
        sensor_ids : sequence of str
            Sensor ids of the bank, in the order of its value vector.
        period : int
            The bank's sampling period (s): the time between two calls of :meth:`apply`.
        """
        ids = list(sensor_ids)
        if self.sensor_id not in ids:
            raise ValueError(
                f"{type(self).__name__} names sensor {self.sensor_id!r}, which is not in the "
                f"bank (sensors: {', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''})"
            )
        self._index = ids.index(self.sensor_id)
        self.reset(period)

    def reset(self, period: SimTime) -> None:
        """Forget any state from a previous run (nothing for a stateless fault)."""

    def is_active(self, t: SimTime) -> bool:
        """Whether the fault acts at time ``t`` (s)."""
        return self.start <= t < self.end

    def apply(self, t: SimTime, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Apply the fault at sample time ``t`` (s) to the bank's vector, in place.

        Parameters
        ----------
        t : int
            Sample time, seconds since the run's origin.
        values : ndarray of float, shape (n_sensors,)
            The bank's values at ``t`` in the bank's unit (modified in place).

        Returns
        -------
        ndarray of float, shape (n_sensors,)
            ``values``, with the faulty sensor's entry changed if the fault is active.
        """
        if self._index < 0:
            raise RuntimeError(
                f"{type(self).__name__} of sensor {self.sensor_id!r} was never attached to a "
                "bank: pass it in InstrumentBank(faults=...)"
            )
        if self.start <= t < self.end:
            values[self._index] = self._faulty_value(t, float(values[self._index]))
        return values

    def _faulty_value(self, t: SimTime, value: float) -> float:
        raise NotImplementedError


@dataclass
class Dropout(SensorFault):
    """The sensor sends nothing: its readings are NaN (dropped if the bank drops empties)."""

    def _faulty_value(self, t: SimTime, value: float) -> float:
        return float("nan")


@dataclass
class Stuck(SensorFault):
    """The sensor repeats the value it read at the first sample of the fault window."""

    _frozen: float | None = field(default=None, init=False, repr=False, compare=False)

    def reset(self, period: SimTime) -> None:
        """Forget the frozen value."""
        self._frozen = None

    def _faulty_value(self, t: SimTime, value: float) -> float:
        if self._frozen is None:
            self._frozen = value
        return self._frozen


@dataclass
class Drift(SensorFault):
    """The sensor's error grows linearly from zero at ``start``.

    Parameters
    ----------
    rate_per_day : float
        Growth of the error, in the bank's unit per day (e.g. 0.1 m/day).
    """

    rate_per_day: float = 0.0

    def _faulty_value(self, t: SimTime, value: float) -> float:
        return value + self.rate_per_day * (t - self.start) / SECONDS_PER_DAY


@dataclass
class Bias(SensorFault):
    """The sensor reads a constant ``offset`` (in the bank's unit) too high."""

    offset: float = 0.0

    def _faulty_value(self, t: SimTime, value: float) -> float:
        return value + self.offset


@dataclass
class Spikes(SensorFault):
    """Random spikes of ``size`` (bank's unit, random sign) at ``rate_per_day`` on average.

    The number of spikes in each sampling period is Poisson with mean
    ``rate_per_day * period / 86400``; a sample with at least one spike is off by ``+size`` or
    ``-size``. The spikes are drawn from ``seed``, so the same seed gives the same spikes.
    """

    rate_per_day: float = 1.0
    size: float = 1.0
    seed: Seed = None
    _rng: np.random.Generator = field(init=False, repr=False, compare=False)
    _mean_per_sample: float = field(default=0.0, init=False, repr=False, compare=False)

    def reset(self, period: SimTime) -> None:
        """Restart the spike sequence from ``seed`` for a sampling period of ``period`` s."""
        self._rng = np.random.default_rng(self.seed)
        self._mean_per_sample = self.rate_per_day * period / SECONDS_PER_DAY

    def _faulty_value(self, t: SimTime, value: float) -> float:
        # Both draws every sample, so a spike's sign never shifts the later sequence.
        hit = self._rng.poisson(self._mean_per_sample) > 0
        sign = 1.0 if self._rng.random() < 0.5 else -1.0
        return value + sign * self.size if hit else value


@dataclass(frozen=True)
class FaultRates:
    """How often each kind of fault strikes a sensor, and how hard (for :func:`draw_faults`).

    Parameters
    ----------
    dropout, stuck, drift, bias, spikes : float
        Expected number of faults of that kind per sensor per year.
    mean_duration_s : float
        Mean duration of a fault (s); durations are exponential.
    bias_size : float
        Typical size of a bias (bank's unit); each bias is ``+-bias_size`` times U(0.5, 1.5).
    drift_per_day : float
        Typical drift rate (bank's unit per day), random sign, times U(0.5, 1.5).
    spike_rate_per_day : float
        Mean number of spikes per day during a spike fault.
    spike_size : float
        Size of a spike (bank's unit).
    """

    dropout: float = 0.0
    stuck: float = 0.0
    drift: float = 0.0
    bias: float = 0.0
    spikes: float = 0.0
    mean_duration_s: float = 3.0 * SECONDS_PER_DAY
    bias_size: float = 1.0
    drift_per_day: float = 0.1
    spike_rate_per_day: float = 12.0
    spike_size: float = 5.0

    @classmethod
    def all_on(cls, per_year: float = 4.0, size: float = 1.0) -> FaultRates:
        """Every kind of fault at ``per_year`` faults per sensor per year.

        Parameters
        ----------
        per_year : float
            Faults of each kind per sensor per year.
        size : float
            Typical error in the bank's unit (e.g. 1 m for pressure, 5 m3/h for flow): the
            bias, the drift after ten days, and a fifth of a spike.
        """
        return cls(
            dropout=per_year,
            stuck=per_year,
            drift=per_year,
            bias=per_year,
            spikes=per_year,
            bias_size=size,
            drift_per_day=size / 10.0,
            spike_size=5.0 * size,
        )


def draw_faults(
    sensor_ids: Sequence[str],
    start: SimTime,
    end: SimTime,
    rates: FaultRates,
    seed: Seed = None,
) -> list[SensorFault]:
    """Draw random faults for a bank of sensors during ``[start, end)``.

    The number of faults of each kind per sensor is Poisson with mean ``rate * years``; fault
    starts are uniform in the horizon and durations exponential (at least 1 s, clipped at
    ``end``).

    Parameters
    ----------
    sensor_ids : sequence of str
        Sensors of the bank.
    start, end : int
        Horizon of the run, seconds since the run's origin.
    rates : FaultRates
        Rates (per sensor per year) and sizes (bank's unit).
    seed : int or numpy.random.Generator, optional
        Seed; the same seed gives the same faults.

    Returns
    -------
    list of SensorFault
        Faults sorted by start time, ready for ``InstrumentBank(faults=...)``.

    Examples
    --------
    >>> faults = draw_faults(["n1", "n4"], 0, 365 * 86400, FaultRates.all_on(), seed=1)
    >>> sorted({type(f).__name__ for f in faults})
    ['Bias', 'Drift', 'Dropout', 'Spikes', 'Stuck']
    """
    if end <= start:
        raise ValueError(f"draw_faults: end ({end} s) must be after start ({start} s)")
    rng = np.random.default_rng(seed)
    ids = np.asarray(sensor_ids, dtype=str)
    years = (end - start) / SECONDS_PER_YEAR
    faults: list[SensorFault] = []
    for kind in _KINDS:
        counts = rng.poisson(getattr(rates, kind) * years, size=len(ids))
        who = np.repeat(ids, counts)
        begins = rng.integers(start, end, size=len(who))
        lengths = np.maximum(1, np.rint(rng.exponential(rates.mean_duration_s, size=len(who))))
        ends = np.minimum(begins + lengths.astype(np.int64), end)
        scale = rng.uniform(0.5, 1.5, size=len(who)) * rng.choice([-1.0, 1.0], size=len(who))
        seeds = rng.integers(0, 2**63 - 1, size=len(who))
        for i, sensor in enumerate(who):
            window = (str(sensor), int(begins[i]), int(ends[i]))
            faults.append(_make_fault(kind, window, float(scale[i]), int(seeds[i]), rates))
    faults.sort(key=lambda f: (f.start, f.sensor_id))
    return faults


def _make_fault(
    kind: str, window: tuple[str, int, int], scale: float, seed: int, rates: FaultRates
) -> SensorFault:
    """One fault of ``kind`` on ``(sensor, start, end)``; ``scale`` is a signed size factor."""
    if kind == "dropout":
        return Dropout(*window)
    if kind == "stuck":
        return Stuck(*window)
    if kind == "drift":
        return Drift(*window, rate_per_day=scale * rates.drift_per_day)
    if kind == "bias":
        return Bias(*window, offset=scale * rates.bias_size)
    return Spikes(*window, rate_per_day=rates.spike_rate_per_day, size=rates.spike_size, seed=seed)
