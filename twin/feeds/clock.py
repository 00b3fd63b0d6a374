"""The simulated clock: a simpy environment, as fast as possible or scaled to wall time.

Every simulated second is one unit of simpy time, counted from the run's origin. A planner's
scenario runs as fast as the machine allows (:class:`simpy.Environment`); a live control-room
demo runs at a fixed multiple of real time (:class:`simpy.rt.RealtimeEnvironment`), e.g.
``speed=600`` shows ten simulated minutes per wall second.

Channels sample their instruments with :func:`end_of_instant`, a timeout processed after
every ordinary event of the same simulated second, so that a sample at ``t`` always sees the
plant's hydraulic step at ``t``, whatever order the processes were started in.
"""

from __future__ import annotations

from typing import Any

import simpy
from simpy.events import EventPriority, Timeout
from simpy.rt import RealtimeEnvironment

from twin.feeds.readings import SimTime

__all__ = ["make_environment", "end_of_instant", "LATE"]

LATE = EventPriority(2)
"""Event priority after simpy's ``URGENT`` (0) and ``NORMAL`` (1): the end of an instant."""


def make_environment(speed: float | None = None, origin_s: SimTime = 0) -> simpy.Environment:
    """Make the simulated clock of a run.

    Parameters
    ----------
    speed : float, optional
        ``None`` (default): run as fast as possible. A number: simulated seconds per wall
        second (``600`` makes 1 simulated second last 1/600 wall second). The clock is not
        strict: when the computation falls behind, it catches up instead of failing.
    origin_s : int
        Simulated time at which the clock starts, seconds since the run's origin (0 for a new
        run, later when a run resumes).

    Returns
    -------
    simpy.Environment
        A plain environment, or a :class:`simpy.rt.RealtimeEnvironment` when ``speed`` is set.
        Its wall clock starts when it is made: call ``env.sync()`` just before ``env.run()`` if
        setting up the run took a while.

    Examples
    --------
    >>> env = make_environment(origin_s=3600)
    >>> env.now
    3600
    >>> make_environment(speed=600).factor == 1 / 600
    True
    """
    if speed is None:
        return simpy.Environment(initial_time=origin_s)
    if not speed > 0:
        raise ValueError(f"make_environment: speed must be positive (got {speed})")
    return RealtimeEnvironment(initial_time=origin_s, factor=1.0 / speed, strict=False)


class _EndOfInstant(Timeout):
    """A :class:`simpy.events.Timeout` processed with priority :data:`LATE`."""

    def __init__(self, env: simpy.Environment, delay: SimTime, value: Any = None) -> None:
        if delay < 0:
            raise ValueError(f"end_of_instant: negative delay {delay}")
        # Inlined from Timeout.__init__ (which always schedules with NORMAL priority).
        self.env = env
        self.callbacks = []
        self._value = value
        self._delay = delay
        self._ok = True
        env.schedule(self, LATE, delay)


def end_of_instant(env: simpy.Environment, delay: SimTime, value: Any = None) -> Timeout:
    """A timeout that fires ``delay`` s from now, after all ordinary events of that second.

    Parameters
    ----------
    env : simpy.Environment
        The run's clock.
    delay : int
        Seconds from ``env.now``.
    value : object, optional
        Value of the event once it fires.

    Returns
    -------
    simpy.events.Timeout
        Yield it from a process, or append callbacks to it.

    Examples
    --------
    >>> env = make_environment()
    >>> order = []
    >>> def late(env):
    ...     yield end_of_instant(env, 5)
    ...     order.append("channel")
    >>> def plant(env):
    ...     yield env.timeout(5)
    ...     order.append("plant")
    >>> _ = env.process(late(env)), env.process(plant(env))
    >>> env.run()
    >>> order
    ['plant', 'channel']
    """
    return _EndOfInstant(env, delay, value)
