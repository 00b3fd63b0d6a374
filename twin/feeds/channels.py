"""Communication channels: the SCADA poller and the AMI head-end, as simpy processes.

A channel samples its instrument banks at the end of each sampling period (after the plant's
step at that second, see :func:`~twin.feeds.clock.end_of_instant`), and hands
:class:`~twin.feeds.readings.Readings` to a ``sink`` at the simulated time they arrive, as a
utility's SCADA and AMI head-end would:

- :func:`scada_poller` polls every ``period``; a poll arrives after a small random latency,
  or never if it is lost;
- :func:`ami_head_end` lets meters read every sampling period and upload in batches; a batch
  arrives after a delay, some meters' batches hours late or never, and each meter stamps its
  readings with its own slightly-off clock.

Everything is vectorised per channel: one simpy process per channel, one Readings per poll or
upload (plus one per distinct late arrival), never one object per sensor per step.

Examples
--------
>>> from twin.feeds.clock import make_environment
>>> from twin.feeds.instruments import flow_meters
>>> env = make_environment()
>>> inlet = flow_meters(["p227"], seed=1)
>>> def plant(env):
...     while True:
...         inlet.observe(env.now, [80.0])
...         yield env.timeout(60)
>>> inbox = Inbox()
>>> _ = env.process(plant(env))
>>> _ = env.process(scada_poller(env, [inlet], inbox, latency=(5, 5), seed=1))
>>> env.run(until=1000)
>>> [(int(r.event_time[0]), int(r.arrival_time[0])) for r in inbox.batches]
[(300, 305), (600, 605), (900, 905)]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from twin.feeds.clock import end_of_instant
from twin.feeds.faults import Seed
from twin.feeds.instruments import InstrumentBank
from twin.feeds.readings import Readings, SimTime

__all__ = ["Sink", "Inbox", "scada_poller", "ami_head_end"]

Sink = Callable[[Readings], None]
"""Where a channel delivers: called once per batch, at the batch's arrival time."""

ChannelProcess = Generator[simpy.Event, Any, None]


class Inbox:
    """A sink that keeps every delivered batch, in arrival order (for tests and demos)."""

    def __init__(self) -> None:
        self.batches: list[Readings] = []

    def __call__(self, readings: Readings) -> None:
        """Keep one delivered batch."""
        self.batches.append(readings)

    def __len__(self) -> int:
        return sum(len(b) for b in self.batches)

    def readings(self) -> Readings:
        """All delivered readings as one batch (channel of the first batch, or ``""``)."""
        channel = self.batches[0].channel if self.batches else ""
        return Readings.concat(self.batches, channel)


def scada_poller(
    env: simpy.Environment,
    banks: Sequence[InstrumentBank],
    sink: Sink,
    period: SimTime = 300,
    latency: tuple[SimTime, SimTime] = (1, 20),
    lost_poll_rate: float = 0.0,
    seed: Seed = None,
    channel: str = "scada",
) -> ChannelProcess:
    """SCADA poller: collect the banks' samples every ``period`` s and deliver them.

    Each bank is sampled every ``bank.period`` s (at multiples of it since the run's origin);
    each poll delivers every sample taken since the previous poll as one batch.

    Parameters
    ----------
    env : simpy.Environment
        The run's clock.
    banks : sequence of InstrumentBank
        Pressure loggers, flow meters, tank levels... observed by the plant.
    sink : callable
        Receives each poll's Readings at its arrival time.
    period : int
        Polling period (s).
    latency : (int, int)
        Range of the latency (s, inclusive, uniform): a poll at ``t`` arrives at
        ``t + latency``.
    lost_poll_rate : float
        Probability that a poll is lost: its samples are never delivered.
    seed : int or numpy.random.Generator, optional
        Seed of the latencies and losses.
    channel : str
        Channel name of the delivered Readings.

    Returns
    -------
    generator
        The process; start it with ``env.process(scada_poller(...))``.
    """
    _check_rates(channel, lost_poll_rate=lost_poll_rate)
    _check_range(channel, "latency", latency)
    rng = np.random.default_rng(seed)
    step = math.gcd(period, *(bank.period for bank in banks))
    taken: list[Readings] = []
    for t in _ticks(env, step):
        yield end_of_instant(env, t - env.now)
        taken.extend(bank.sample(t) for bank in banks if t % bank.period == 0)
        if t % period:
            continue
        # Both draws every poll, so one lost poll never shifts the later latencies.
        lost = rng.random() < lost_poll_rate
        delay = int(rng.integers(latency[0], latency[1], endpoint=True))
        if taken and not lost:
            _deliver(env, Readings.concat(taken, channel, arrival=t + delay), delay, sink)
        taken = []


def ami_head_end(
    env: simpy.Environment,
    banks: Sequence[InstrumentBank],
    sink: Sink,
    upload_period: SimTime = 86_400,
    delay: tuple[SimTime, SimTime] = (60, 900),
    late_rate: float = 0.0,
    late_delay: tuple[SimTime, SimTime] = (3_600, 6 * 3_600),
    missing_rate: float = 0.0,
    clock_offset_std: float = 0.0,
    seed: Seed = None,
    channel: str = "ami",
) -> ChannelProcess:
    """AMI head-end: meters read every ``bank.period`` s and upload every ``upload_period`` s.

    At each upload time ``u`` every meter's readings since the previous upload form its
    batch. Independently per meter and upload, a batch is missing (never arrives) with
    probability ``missing_rate``, late (arrives at ``u + late_delay``, drawn per meter) with
    probability ``late_rate``, and otherwise arrives with the others at ``u + delay`` (one
    delay per upload). Each meter's clock is off by a fixed offset drawn once, N(0,
    ``clock_offset_std``) rounded to whole seconds, which shifts all its event times.

    Parameters
    ----------
    env : simpy.Environment
        The run's clock.
    banks : sequence of InstrumentBank
        AMR meter banks observed by the plant; sensor ids unique across banks.
    sink : callable
        Receives each delivered batch at its arrival time.
    upload_period : int
        Time between uploads (s), e.g. 3600 or 86400.
    delay, late_delay : (int, int)
        Ranges (s, inclusive, uniform) of the ordinary and of the late delivery delay.
    late_rate, missing_rate : float
        Probabilities that a meter's batch is late, or missing.
    clock_offset_std : float
        Standard deviation of the meters' clock offsets (s).
    seed : int or numpy.random.Generator, optional
        Seed of the offsets, delays, late and missing batches.
    channel : str
        Channel name of the delivered Readings.

    Returns
    -------
    generator
        The process; start it with ``env.process(ami_head_end(...))``.
    """
    _check_rates(channel, late_rate=late_rate, missing_rate=missing_rate)
    if late_rate + missing_rate > 1:
        raise ValueError(f"{channel}: late_rate + missing_rate must be at most 1")
    _check_range(channel, "delay", delay)
    _check_range(channel, "late_delay", late_delay)
    rng = np.random.default_rng(seed)
    meters = _MeterIndex(banks, channel)
    offsets = np.rint(rng.normal(0.0, clock_offset_std, size=len(meters))).astype(np.int64)
    step = math.gcd(upload_period, *(bank.period for bank in banks))
    taken: list[Readings] = []
    for t in _ticks(env, step):
        yield end_of_instant(env, t - env.now)
        taken.extend(bank.sample(t) for bank in banks if t % bank.period == 0)
        if t % upload_period:
            continue
        fate = _draw_fates(rng, len(meters), delay, late_rate, late_delay, missing_rate)
        if taken:
            batch = Readings.concat(taken, channel)
            row_meter = meters.lookup(batch.sensor_id)
            event_time = batch.event_time + offsets[row_meter]
            _upload(env, batch, event_time, t + fate[row_meter], sink)
        taken = []


def _draw_fates(
    rng: np.random.Generator,
    n_meters: int,
    delay: tuple[SimTime, SimTime],
    late_rate: float,
    late_delay: tuple[SimTime, SimTime],
    missing_rate: float,
) -> npt.NDArray[np.int64]:
    """Delivery delay (s) of each meter's batch of one upload; -1 for a missing batch."""
    # Same number of draws every upload, so the stream never depends on the buffer.
    on_time = rng.integers(delay[0], delay[1], endpoint=True)
    late = rng.integers(late_delay[0], late_delay[1], size=n_meters, endpoint=True)
    u = rng.random(n_meters)
    fate = np.where(u < missing_rate + late_rate, late, on_time).astype(np.int64)
    fate[u < missing_rate] = -1
    return fate


def _upload(
    env: simpy.Environment,
    batch: Readings,
    event_time: npt.NDArray[np.int64],
    arrival: npt.NDArray[np.int64],
    sink: Sink,
) -> None:
    """Schedule one delivery per distinct arrival time; rows with arrival < now never arrive."""
    now = env.now
    for when in np.unique(arrival[arrival >= now]):
        rows = np.flatnonzero(arrival == when)
        part = Readings(
            batch.channel,
            batch.sensor_id[rows],
            batch.value[rows],
            batch.unit[rows],
            event_time[rows],
            np.full(len(rows), when, dtype=np.int64),
        )
        _deliver(env, part, int(when) - now, sink)


def _deliver(env: simpy.Environment, readings: Readings, delay: SimTime, sink: Sink) -> None:
    """Hand ``readings`` to ``sink`` in ``delay`` s (a timeout callback, not a process)."""
    arrival = env.timeout(delay, value=readings)
    arrival.callbacks.append(lambda event: sink(event.value))


class _MeterIndex:
    """Position of each meter in the channel's meter list, looked up by sensor id."""

    def __init__(self, banks: Sequence[InstrumentBank], channel: str) -> None:
        ids = np.concatenate([bank.ids for bank in banks]) if banks else np.array([], str)
        if len(np.unique(ids)) != len(ids):
            raise ValueError(f"{channel}: a sensor id appears in more than one bank")
        self._order = np.argsort(ids, kind="stable")
        self._sorted = ids[self._order]

    def __len__(self) -> int:
        return len(self._sorted)

    def lookup(self, sensor_ids: npt.NDArray[np.str_]) -> npt.NDArray[np.intp]:
        """Meter positions of ``sensor_ids`` (all known meters)."""
        return self._order[np.searchsorted(self._sorted, sensor_ids)]


def _ticks(env: simpy.Environment, step: SimTime) -> Generator[SimTime, None, None]:
    """Multiples of ``step`` (s since the origin) after ``env.now``, forever."""
    t = (int(env.now) // step + 1) * step
    while True:
        yield t
        t += step


def _check_rates(channel: str, **rates: float) -> None:
    for name, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{channel}: {name} must be a probability in [0, 1] (got {rate})")


def _check_range(channel: str, name: str, bounds: tuple[SimTime, SimTime]) -> None:
    low, high = bounds
    if not 0 <= low <= high:
        raise ValueError(f"{channel}: {name} must be (low, high) with 0 <= low <= high s")
