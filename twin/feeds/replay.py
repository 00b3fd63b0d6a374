"""Replay: recorded readings delivered on the simpy clock, like a live feed.

Recorded SCADA files (see :mod:`twin.feeds.scada_files`) enter the twin through the same door
as a simulated plant's channels: a process that hands the sink, every ``period`` seconds, the
readings whose event time falls in the period just ended.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from twin.feeds.channels import Sink
from twin.feeds.clock import end_of_instant
from twin.feeds.readings import Readings, SimTime

__all__ = ["replay"]


def replay(
    env: simpy.Environment,
    recording: Readings,
    sink: Sink,
    period: SimTime = 300,
    channel: str = "replay",
) -> Generator[simpy.Event, Any, None]:
    """Deliver ``recording`` in time order, one batch per ``period`` seconds of event time.

    A reading stamped ``t`` arrives at the first multiple of ``period`` at or after ``t``
    (arrival time = delivery time), so a twin stepping on the same clock sees each 5-minute
    row as soon as its time has come, and never earlier. The process ends after the last row.

    Parameters
    ----------
    env : simpy.Environment
        The run's clock (a ``RealtimeEnvironment`` replays at its speed).
    recording : Readings
        Recorded readings, any order.
    sink : callable
        Receives each batch.
    period : int
        Delivery period, s.
    channel : str
        Channel name given to the delivered batches.

    Examples
    --------
    >>> from twin.feeds.channels import Inbox
    >>> rows = Readings("file", np.array(["a", "a", "b"]), np.array([1.0, 2.0, 3.0]),
    ...                 np.array(["m"] * 3), np.array([0, 300, 300]), np.array([0, 300, 300]))
    >>> env, inbox = simpy.Environment(), Inbox()
    >>> _ = env.process(replay(env, rows, inbox))
    >>> env.run()
    >>> [(int(b.arrival_time[0]), len(b)) for b in inbox.batches]
    [(0, 1), (300, 2)]
    """
    if not len(recording):
        return
    order = np.argsort(recording.event_time, kind="stable")
    event_time = recording.event_time[order]
    slot = -(-event_time // period) * period  # first delivery at or after each reading
    starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
    ends = np.r_[starts[1:], len(slot)]
    for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
        # at the end of the instant, after a plant or twin stepping at the same second
        yield end_of_instant(env, max(int(slot[first]) - env.now, 0))
        rows = order[first:last]
        sink(
            Readings(
                channel,
                recording.sensor_id[rows],
                recording.value[rows],
                recording.unit[rows],
                recording.event_time[rows],
                np.full(len(rows), env.now, dtype=np.int64),
            )
        )
