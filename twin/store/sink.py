"""A feed sink that stores what arrives, many deliveries to one transaction.

A channel delivers a small batch every poll (a 5-minute SCADA poll of L-Town is 37 readings);
one transaction each would cost the run more than the hydraulics. The sink keeps deliveries
per channel and stores them together once enough have arrived, on a writer thread of its own
so the feeds go on while DuckDB writes (DuckDB releases the GIL while it works).
"""

from __future__ import annotations

from collections import defaultdict
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor

from twin.feeds.readings import Readings
from twin.store.run_store import RunStore

__all__ = ["StoreSink"]


class StoreSink:
    """Callable sink (``sink(readings)``) that ingests into ``store`` in buffered batches.

    Parameters
    ----------
    store : RunStore
        The run's store.
    flush_readings : int
        Store a channel's buffer once it holds this many readings (one transaction each).
    background : bool
        Store on one writer thread (default) instead of in the caller's. Either way batches
        are stored one at a time, in the order they were handed over; :meth:`flush` waits for
        all of them and raises the first error a write met. Do not use ``store`` yourself
        between deliveries and :meth:`flush` while this is on.

    Notes
    -----
    A run killed between two flushes loses the unflushed deliveries, never part of one: the
    store's resume point (:meth:`RunStore.last_event_time`) is the last flushed batch, and a
    simulated run resumed from there delivers the lost ones again.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from datetime import datetime
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = RunStore.open(Path(folder.name) / "twin.duckdb", origin=datetime(2018, 1, 1),
    ...                       step_s=300, network="x")
    >>> sink = StoreSink(store, flush_readings=2)
    >>> one = Readings("scada", np.array(["n1"]), np.array([30.0]), np.array(["m"]),
    ...                np.array([300]), np.array([305]))
    >>> sink(one); store.last_event_time("scada") is None
    True
    >>> sink.flush(); store.last_event_time("scada")
    300
    >>> store.close(); folder.cleanup()
    """

    def __init__(
        self, store: RunStore, flush_readings: int = 50_000, *, background: bool = True
    ) -> None:
        self.store = store
        self.flush_readings = flush_readings
        self._buffers: dict[str, list[Readings]] = defaultdict(list)
        self._counts: dict[str, int] = defaultdict(int)
        self._writer = ThreadPoolExecutor(1, "twin-store") if background else None
        self._pending: list[Future[None]] = []
        self.stored = 0

    def __call__(self, readings: Readings) -> None:
        if not len(readings):
            return
        channel = readings.channel
        self._buffers[channel].append(readings)
        self._counts[channel] += len(readings)
        if self._counts[channel] >= self.flush_readings:
            self._flush_channel(channel)

    def _flush_channel(self, channel: str) -> None:
        parts = self._buffers.pop(channel, [])
        self._counts.pop(channel, None)
        if not parts:
            return
        if self._writer is None:
            self._write(parts, channel)
        else:
            self._raise_failed(wait=False)
            self._pending.append(self._writer.submit(self._write, parts, channel))

    def _write(self, parts: list[Readings], channel: str) -> None:
        batch = Readings.concat(parts, channel)
        self.stored += self.store.ingest(batch, source=f"feed:{channel}").readings

    def _raise_failed(self, *, wait: bool) -> None:
        """Drop finished writes, raising the first that failed; with ``wait``, wait for all."""
        if wait:
            futures.wait(self._pending)
        done = [f for f in self._pending if f.done()]
        self._pending = [f for f in self._pending if not f.done()]
        for future in done:
            future.result()

    def flush(self) -> None:
        """Store everything still buffered and wait until it is stored."""
        for channel in list(self._buffers):
            self._flush_channel(channel)
        self._raise_failed(wait=True)
