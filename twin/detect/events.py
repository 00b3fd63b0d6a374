"""Leak events and their lifecycle: suspected, confirmed, localized, repaired, closed.

A detector's alarm raises a *suspected* event. The twin *confirms* it when the evidence
persists (and from then on believes in its leak flow), *localizes* it once a search area is
known (possibly several times, as the search area is refined), and the utility reports it
*repaired*; an event is *closed* last. A suspected event that did not persist is closed
directly: that is how a false alarm is dropped. Every change is kept in the event's history.

Allowed transitions::

    suspected -> confirmed | closed
    confirmed -> localized | repaired | closed
    localized -> localized (refined) | repaired | closed
    repaired  -> closed
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

__all__ = ["EVENT_COLUMNS", "EventBook", "EventState", "LeakEvent"]

EVENT_COLUMNS = (
    "event_id",
    "detected_at",
    "start_estimate",
    "flow_m3h",
    "area",
    "state",
    "detector",
    "confirmed_at",
    "closed_at",
    "sensors",
    "pipe",
    "probability",
    "search_area_pipes",
    "search_area_km",
)
"""Columns of :meth:`EventBook.to_frame`, in order (the first five are what the CLI needs)."""

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class EventState(StrEnum):
    """Where a leak event is in its lifecycle."""

    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    LOCALIZED = "localized"
    REPAIRED = "repaired"
    CLOSED = "closed"


_ALLOWED: dict[EventState, frozenset[EventState]] = {
    EventState.SUSPECTED: frozenset({EventState.CONFIRMED, EventState.CLOSED}),
    EventState.CONFIRMED: frozenset({EventState.LOCALIZED, EventState.REPAIRED, EventState.CLOSED}),
    EventState.LOCALIZED: frozenset({EventState.LOCALIZED, EventState.REPAIRED, EventState.CLOSED}),
    EventState.REPAIRED: frozenset({EventState.CLOSED}),
    EventState.CLOSED: frozenset(),
}
_OPEN = frozenset({EventState.SUSPECTED, EventState.CONFIRMED, EventState.LOCALIZED})
_BELIEVED = frozenset({EventState.CONFIRMED, EventState.LOCALIZED})


@dataclass
class LeakEvent:
    """One suspected or known leak, as the twin sees it.

    Attributes
    ----------
    event_id : str
        ``"E001"``, ``"E002"``... in the order the events were raised.
    area : str
        Area (DMA) the leak is in.
    detector : str
        What raised it: ``"inflow-cusum"``, ``"pressure-cusum"``, ``"night-flow"``...
    raised_at : int
        When the twin raised it, seconds since the run's origin.
    start_estimate : int
        When the leak is estimated to have started, seconds since the run's origin.
    flow_m3h : float
        Current estimate of the leak flow (m³/h).
    state : EventState
        Where the event is in its lifecycle.
    confirmed_at, localized_at, closed_at : int or None
        When it was confirmed, first localized and closed (s since origin), None until then.
    sensors : tuple of str
        The series whose residuals raised it.
    pipe : str
        The most likely pipe of the latest localization ("" until localized).
    probability : float
        Its probability (NaN until localized).
    search_area_pipes : tuple of str
        The pipes a crew should walk (the latest search area).
    search_area_km : float
        Their length, km (NaN until localized).
    locations : list of (int, str)
        Every localization as (time in s since origin, most likely pipe), oldest first.
    history : list of (int, str, str)
        Every state change as (time in s since origin, new state, note), oldest first.
    """

    event_id: str
    area: str
    detector: str
    raised_at: int
    start_estimate: int
    flow_m3h: float
    state: EventState = EventState.SUSPECTED
    confirmed_at: int | None = None
    localized_at: int | None = None
    closed_at: int | None = None
    sensors: tuple[str, ...] = ()
    pipe: str = ""
    probability: float = float("nan")
    search_area_pipes: tuple[str, ...] = ()
    search_area_km: float = float("nan")
    locations: list[tuple[int, str]] = field(default_factory=list)
    history: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """Whether the leak may still be running (neither repaired nor closed)."""
        return self.state in _OPEN


class EventBook:
    """All leak events of a run, with the transitions between their states.

    Examples
    --------
    >>> book = EventBook()
    >>> event = book.raise_event(3600, "DMA-A", "inflow-cusum", 3000, 4.5, sensors=("p227",))
    >>> event.event_id, event.state
    ('E001', <EventState.SUSPECTED: 'suspected'>)
    >>> book.believed_leak_m3h("DMA-A")  # a suspicion is not yet believed
    0.0
    >>> book.confirm("E001", 5400, flow_m3h=5.0)
    >>> book.believed_leak_m3h("DMA-A")
    5.0
    >>> book.repaired("E001", 86400)
    >>> book.open_events()
    []
    >>> book.close("E001", 3600)
    Traceback (most recent call last):
    ...
    ValueError: event E001 (repaired): time 3600 s is before its last change at 86400 s
    """

    def __init__(self) -> None:
        self._events: dict[str, LeakEvent] = {}

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[LeakEvent]:
        return iter(self._events.values())

    def __getitem__(self, event_id: str) -> LeakEvent:
        try:
            return self._events[event_id]
        except KeyError:
            known = ", ".join(self._events) or "none"
            raise KeyError(f"no leak event {event_id!r} (events: {known})") from None

    def raise_event(
        self,
        t: int,
        area: str,
        detector: str,
        start_estimate: int,
        flow_m3h: float,
        sensors: Sequence[str] = (),
    ) -> LeakEvent:
        """Open a new suspected event and return it.

        Parameters
        ----------
        t : int
            Now, seconds since the run's origin.
        area : str
            Area (DMA) of the suspected leak.
        detector : str
            Name of the detector that alarmed.
        start_estimate : int
            Estimated start of the leak (s since origin), not after ``t``.
        flow_m3h : float
            First estimate of the leak flow (m³/h).
        sensors : sequence of str, default ()
            The series whose residuals raised it.
        """
        if start_estimate > t:
            raise ValueError(f"a leak raised at {t} s cannot start later, at {start_estimate} s")
        event_id = f"E{len(self._events) + 1:03d}"
        event = LeakEvent(
            event_id,
            area,
            detector,
            int(t),
            int(start_estimate),
            float(flow_m3h),
            sensors=tuple(sensors),
            history=[(int(t), EventState.SUSPECTED.value, f"raised by {detector}")],
        )
        self._events[event_id] = event
        return event

    def confirm(
        self, event_id: str, t: int, flow_m3h: float | None = None, start_s: int | None = None
    ) -> None:
        """Confirm a suspected event at time ``t`` (s), optionally with a new flow (m³/h)
        and a refined estimate of its start (s, not after it was raised)."""
        event = self._move(event_id, t, EventState.CONFIRMED, "")
        event.confirmed_at = int(t)
        if flow_m3h is not None:
            event.flow_m3h = float(flow_m3h)
        if start_s is not None:
            if start_s > event.raised_at:
                raise ValueError(
                    f"event {event_id} raised at {event.raised_at} s cannot start later, "
                    f"at {start_s} s"
                )
            event.start_estimate = int(start_s)

    def localize(
        self,
        event_id: str,
        t: int,
        note: str = "",
        *,
        pipe: str = "",
        probability: float = float("nan"),
        search_area_pipes: tuple[str, ...] = (),
        search_area_km: float = float("nan"),
    ) -> None:
        """Record a (new or refined) location at time ``t`` (s); the note says which.

        ``pipe`` is the most likely pipe and ``probability`` its probability; the search
        area is the pipes a crew should walk and their length (km).
        """
        event = self._move(event_id, t, EventState.LOCALIZED, note)
        if event.localized_at is None:
            event.localized_at = int(t)
        if pipe:
            event.pipe = pipe
            event.probability = float(probability)
            event.search_area_pipes = tuple(search_area_pipes)
            event.search_area_km = float(search_area_km)
            event.locations.append((int(t), pipe))

    def repaired(self, event_id: str, t: int) -> None:
        """Record the repair of a confirmed or localized leak at time ``t`` (s)."""
        self._move(event_id, t, EventState.REPAIRED, "")

    def close(self, event_id: str, t: int, reason: str = "") -> None:
        """Close an event at time ``t`` (s): after its repair, or as a false alarm."""
        event = self._move(event_id, t, EventState.CLOSED, reason)
        event.closed_at = int(t)

    def update_flow(self, event_id: str, flow_m3h: float) -> None:
        """Replace the flow estimate (m³/h) of an open event (not in the history)."""
        event = self[event_id]
        if not event.is_open:
            raise ValueError(
                f"event {event_id} ({event.state}): the flow of a leak that is no longer "
                "running cannot change"
            )
        event.flow_m3h = float(flow_m3h)

    def open_events(self, area: str | None = None) -> list[LeakEvent]:
        """Events neither repaired nor closed, in one area or all, oldest first."""
        return [e for e in self if e.is_open and (area is None or e.area == area)]

    def believed_leak_m3h(self, area: str) -> float:
        """Total flow (m³/h) of the confirmed and localized leaks in an area."""
        return float(sum(e.flow_m3h for e in self if e.area == area and e.state in _BELIEVED))

    def to_frame(self, origin: pd.Timestamp) -> pd.DataFrame:
        """One row per event, for reports and the CLI.

        Parameters
        ----------
        origin : pandas.Timestamp
            The run's origin: times become ``"YYYY-MM-DD HH:MM:SS"`` strings (empty when
            not yet set).

        Returns
        -------
        pandas.DataFrame
            Columns :data:`EVENT_COLUMNS`: ``event_id``, ``detected_at``, ``start_estimate``,
            ``flow_m3h`` (m³/h), ``area``, ``state``, ``detector``, ``confirmed_at``,
            ``closed_at``, ``sensors`` (joined by ``";"``), ``pipe``, ``probability``,
            ``search_area_pipes`` (joined by ``";"``), ``search_area_km`` (km); rows in
            order of raising.

        Examples
        --------
        >>> book = EventBook()
        >>> _ = book.raise_event(7200, "DMA-A", "night-flow", 3600, 3.0, sensors=("p1", "p2"))
        >>> row = book.to_frame(pd.Timestamp("2018-01-01")).iloc[0]
        >>> row["detected_at"], row["start_estimate"], row["closed_at"], row["sensors"]
        ('2018-01-01 02:00:00', '2018-01-01 01:00:00', '', 'p1;p2')
        """
        origin = pd.Timestamp(origin)

        def when(t: int | None) -> str:
            return "" if t is None else (origin + pd.Timedelta(seconds=t)).strftime(_TIME_FORMAT)

        rows = [
            (
                e.event_id,
                when(e.raised_at),
                when(e.start_estimate),
                e.flow_m3h,
                e.area,
                e.state.value,
                e.detector,
                when(e.confirmed_at),
                when(e.closed_at),
                ";".join(e.sensors),
                e.pipe,
                e.probability,
                ";".join(e.search_area_pipes),
                e.search_area_km,
            )
            for e in self
        ]
        frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
        return frame.astype(
            {"flow_m3h": np.float64, "probability": np.float64, "search_area_km": np.float64}
        )

    def _move(self, event_id: str, t: int, to: EventState, note: str) -> LeakEvent:
        """Check and record one transition; the event is unchanged if it is refused."""
        event = self[event_id]
        if to not in _ALLOWED[event.state]:
            allowed = ", ".join(sorted(_ALLOWED[event.state])) or "nothing"
            raise ValueError(
                f"event {event_id} is {event.state} and cannot become {to} "
                f"(from {event.state}: {allowed})"
            )
        last = event.history[-1][0]
        if t < last:
            raise ValueError(
                f"event {event_id} ({event.state}): time {t} s is before its last change "
                f"at {last} s"
            )
        event.state = to
        event.history.append((int(t), to.value, note))
        return event
