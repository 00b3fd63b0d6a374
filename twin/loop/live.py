"""The twin watching live: readings released on a real-time clock, the store filled as it goes.

:func:`watch_live` runs a twin that has learned from history (:func:`prepare_twin`) over the
readings of the watch on a :class:`simpy.rt.RealtimeEnvironment`: each reading reaches the
twin when its arrival time comes on that clock (``speed`` simulated seconds per wall
second), the twin steps as in a replay, and every ``flush_s`` simulated seconds a
:class:`LiveWriter` brings the run's store up to date:

1. it opens ``twin.duckdb`` read-write (retrying while a dashboard holds it for a read),
2. reads the operator actions and tells the detector about every new "repaired" one
   (:meth:`LeakDetector.operator_repaired`: the twin expects that leak gone from then on),
3. stores the readings that arrived since the last flush in bronze, one batch, and
   refreshes silver,
4. rewrites the gold tables (events, candidates, KPIs, residuals so far) and the files
   beside the store (``events.csv``, ``water_balance.json``...), and
5. closes the store, so that between flushes any number of read-only dashboards can open it
   (DuckDB lets one process write a file or many read it, never both).

Each step is a transaction, and no other process can open the file while it is held, so a
reader sees a flush whole or not at all; a run stopped part-way (Ctrl-C) has its last
transaction rolled back, and :func:`watch_live` then flushes once more what the twin had seen.
``live.json`` beside the store says where the run is (state, run time, flushes, repairs).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from twin.feeds.clock import make_environment
from twin.feeds.readings import Readings
from twin.feeds.replay import replay
from twin.loop.outputs import write_atomic
from twin.loop.replay_run import WatchingTwin, write_outputs
from twin.store import RunStore, StoreError
from twin.waterloss import WaterBalance

__all__ = ["LiveOutcome", "LiveWriter", "open_store_for_writing", "watch_live"]

STATUS_FILE = "live.json"
"""The live run's status file, beside the store."""
LIVE_CHANNEL = "live"
"""Channel of the batches a live run stores."""
_RETRY_S = 30.0
_RETRY_PAUSE_S = 0.05


@dataclass
class LiveOutcome:
    """What a live run did.

    Attributes
    ----------
    events : pandas.DataFrame
        ``events.csv`` rows at the end.
    balance : list of WaterBalance
        Whole-watch balance of each zone at the end.
    last_s : int
        Last step the twin processed, s since the origin.
    stopped : bool
        Stopped before the end of the watch (Ctrl-C).
    flushes : int
    repairs : list of (str, int)
        Operator repairs applied: event id and run time (s).
    seconds : dict of str to float
        Wall time per stage (``watch``: the real-time loop, ``flush``: the flushes in it), s.
    """

    events: pd.DataFrame
    balance: list[WaterBalance]
    last_s: int
    stopped: bool
    flushes: int
    repairs: list[tuple[str, int]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def open_store_for_writing(path: Path, wait_s: float = _RETRY_S) -> RunStore:
    """Open an existing run store read-write, retrying while a reader holds its lock.

    Raises
    ------
    StoreError
        The file stayed locked by another process for ``wait_s`` seconds.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return RunStore.open(path)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() > deadline:
                raise StoreError(
                    f"{path}: another process held the store for over {wait_s:g} s; the "
                    f"live run cannot write its readings ({error})"
                ) from None
            time.sleep(_RETRY_PAUSE_S)


class LiveWriter:
    """Brings a live run's store and files up to date, once per flush (module docstring).

    Parameters
    ----------
    store_path : Path
        The run's ``twin.duckdb`` (it must exist: created and given its history before).
    out : Path
        The run's folder (``events.csv``, ``water_balance.json``, ``live.json``...).
    watching : WatchingTwin
        The twin being run.
    speed : float
        Simulated seconds per wall second (for ``live.json``).
    """

    def __init__(self, store_path: Path, out: Path, watching: WatchingTwin, speed: float) -> None:
        self.store_path = Path(store_path)
        self.out = Path(out)
        self.watching = watching
        self.speed = speed
        self.pending: list[Readings] = []
        self.repairs: list[tuple[str, int]] = []
        self.flushes = 0
        self.flush_seconds = 0.0
        self.notes: list[str] = []
        self._applied: set[str] = set()

    def receive(self, readings: Readings) -> None:
        """A feed sink: keep arriving readings for the next flush."""
        if len(readings):
            self.pending.append(readings)

    def flush(self, now_s: int, state: str = "watching") -> None:
        """Apply operator repairs, store the new readings, rewrite gold; ``now_s``: the last
        step the twin processed, s."""
        clock = time.perf_counter()
        store = open_store_for_writing(self.store_path)
        try:
            self._apply_repairs(store.con, now_s)
            if self.pending:
                batch = Readings.concat(self.pending, LIVE_CHANNEL)
                store.ingest(batch, source=f"{LIVE_CHANNEL}:{now_s}")
                self.pending = []
            store.refresh_silver()  # also after a refresh an interrupt rolled back
            write_outputs(self.out, self.watching, now_s, store.con, report=False)
        finally:
            store.close()
        self.flushes += 1
        self.flush_seconds += time.perf_counter() - clock
        self.write_status(state, now_s)

    def _apply_repairs(self, con: duckdb.DuckDBPyConnection, now_s: int) -> None:
        """Tell the detector of every "repaired" action it has not heard of yet."""
        rows = con.execute(
            "SELECT DISTINCT event_id FROM operator_actions WHERE action = 'repaired'"
        ).fetchall()
        detector = self.watching.detector
        known = {e.event_id for e in detector.book}
        for (event_id,) in rows:
            if event_id in self._applied:
                continue
            self._applied.add(event_id)
            if event_id not in known:
                self.notes.append(f"operator repair of unknown event {event_id!r} ignored")
                continue
            if detector.operator_repaired(now_s, event_id):
                self.repairs.append((event_id, now_s))

    def write_status(self, state: str, now_s: int) -> None:
        """``live.json``: state (starting, watching, finished, stopped), run time and counts."""
        origin = self.watching.origin
        status = {
            "state": state,
            "run_time_s": int(now_s),
            "run_time": str(origin + pd.Timedelta(seconds=int(now_s))),
            "watch_start_s": self.watching.start_s,
            "watch_end_s": self.watching.duration_s,
            "speed": self.speed,
            "flushes": self.flushes,
            "repairs": [{"event_id": e, "run_time_s": t} for e, t in self.repairs],
            "updated": datetime.now().isoformat(timespec="seconds"),
        }
        write_atomic(self.out / STATUS_FILE, json.dumps(status, indent=2) + "\n")


def watch_live(
    watching: WatchingTwin,
    readings: Readings,
    store_path: Path,
    out: Path,
    *,
    speed: float = 600.0,
    flush_s: int = 3600,
    on_flush: Callable[[int], None] | None = None,
    report: bool = True,
) -> LiveOutcome:
    """Run ``watching`` over ``readings`` on a real-time clock, flushing every ``flush_s``.

    Parameters
    ----------
    watching : WatchingTwin
        From :func:`twin.loop.replay_run.prepare_twin`.
    readings : Readings
        The watch's readings (event times in s since the origin), released at their event
        time rounded up to the step, as :func:`twin.feeds.replay.replay` does.
    store_path : Path
        The run's store; it must exist (the history is usually stored in it already).
    out : Path
        The run's folder.
    speed : float
        Simulated seconds per wall second (600: an hour in 6 s).
    flush_s : int
        Simulated seconds between flushes (a multiple of the step); the last step flushes too.
    on_flush : callable, optional
        Called with the run time after each flush (progress).
    report : bool
        Write ``report.html`` at the end.

    Returns
    -------
    LiveOutcome
        Ctrl-C (KeyboardInterrupt) ends the run early with ``stopped`` True, after a last
        flush of what the twin had seen.
    """
    if flush_s <= 0 or flush_s % watching.step_s:
        raise ValueError(
            f"flush period {flush_s} s: expected a positive multiple of the step "
            f"({watching.step_s} s)"
        )
    twin = watching.twin
    writer = LiveWriter(store_path, out, watching, speed)
    progress = twin.on_step

    def on_step(t: int) -> None:
        if progress is not None:
            progress(t)
        if t % flush_s == 0 or t >= watching.duration_s:
            writer.flush(t)
            if on_flush is not None:
                on_flush(t)

    twin.on_step = on_step
    env = make_environment(speed, origin_s=watching.start_s)
    env.process(replay(env, readings, _both(twin.receive, writer.receive), watching.step_s))
    env.process(twin.process(env, first_s=watching.start_s))
    clock = time.perf_counter()
    stopped = False
    try:
        env.sync()
        env.run(until=watching.duration_s + 1)
    except KeyboardInterrupt:
        stopped = True
    watch_s = time.perf_counter() - clock
    twin.on_step = progress
    last = _last_step(watching)
    writer.flush(last, state="stopped" if stopped else "finished")
    twin.close()
    watching.notes.extend(writer.notes)
    events, balance = write_outputs(out, watching, last, None, report=report)
    seconds = {"watch": watch_s, "flush": writer.flush_seconds}
    return LiveOutcome(events, balance, last, stopped, writer.flushes, writer.repairs, seconds)


def _last_step(watching: WatchingTwin) -> int:
    """The last step the twin processed (the watch's start if none), s."""
    trace = watching.twin.trace
    return int(trace.times[trace.count - 1]) if trace.count else watching.start_s


def _both(*sinks: Callable[[Readings], None]) -> Callable[[Readings], None]:
    """A sink handing each batch to every one of ``sinks``."""

    def deliver(readings: Readings) -> None:
        for sink in sinks:
            sink(readings)

    return deliver
