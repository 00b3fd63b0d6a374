"""How the dashboard touches a run's DuckDB file: read-only queries, short writes for actions.

DuckDB allows, per file, either one process that writes or any number that only read, and
inside one process all connections to a file must share one configuration (a read-only and
a read-write connection cannot coexist). The dashboard reads almost always and writes only
when an operator acknowledges an event, so:

- reads go through one read-only connection (a fresh cursor per query, since a DuckDB
  connection must not be used by two threads at once). In a finished run it stays open:
  opening the file costs about 40 ms, too much per callback. In a live run it is opened per
  query and closed at once, so the process writing the run is never locked out for long;
- an operator action waits for the reads under way to end, closes the read-only connection,
  writes through one short read-write connection and closes it; the next read reopens
  read-only. A readers-writer lock orders this between the server's threads;
- another process may hold the file (a live run writing, a second dashboard writing an
  action): opening is retried for a few seconds before a clear error.

A separate actions file beside the store would avoid the lock dance, but the twin loop
would then have to read two files to learn that a leak was repaired; one file keeps a run
self-contained (copy the folder, keep the operators' decisions).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

__all__ = ["StoreAccess", "StoreBusyError"]

_RETRY_S = 5.0
_RETRY_PAUSE_S = 0.05


class StoreBusyError(RuntimeError):
    """The store file stayed locked by another process longer than the retry window."""


class _ReadersWriterLock:
    """Many readers or one writer; a waiting writer stops new readers from starving it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class StoreAccess:
    """Read-only queries and short write transactions on one run's store file.

    Parameters
    ----------
    path : Path
        The run's ``twin.duckdb``.
    keep_open : bool
        Keep the read-only connection open between queries (finished runs); False opens
        and closes it per query (live runs, where another process writes the file).
    """

    def __init__(self, path: Path, *, keep_open: bool = True) -> None:
        self.path = Path(path)
        self.keep_open = keep_open
        self._lock = _ReadersWriterLock()
        self._open_lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None

    def frame(self, sql: str, parameters: Sequence[Any] | None = None) -> pd.DataFrame:
        """The result of a read-only query as a DataFrame."""
        with self.cursor() as cursor:
            return cursor.execute(sql, list(parameters or [])).df()

    def rows(self, sql: str, parameters: Sequence[Any] | None = None) -> list[tuple]:
        """The rows of a read-only query."""
        with self.cursor() as cursor:
            return cursor.execute(sql, list(parameters or [])).fetchall()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only cursor of this thread's own (shared or private) connection."""
        with self._lock.reading():
            if self.keep_open:
                cursor = self._reader().cursor()
            else:
                cursor = _connect(self.path, read_only=True)
            try:
                yield cursor
            finally:
                cursor.close()

    def write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Run statements in one read-write transaction, then close the connection."""
        with self._lock.writing():
            self._close_reader()
            con = _connect(self.path, read_only=False)
            try:
                con.execute("BEGIN")
                try:
                    for sql, parameters in statements:
                        con.execute(sql, list(parameters))
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                con.close()

    def close(self) -> None:
        """Close the read-only connection (the next read reopens it)."""
        with self._lock.writing():
            self._close_reader()

    def _reader(self) -> duckdb.DuckDBPyConnection:
        with self._open_lock:
            if self._con is None:
                self._con = _connect(self.path, read_only=True)
            return self._con

    def _close_reader(self) -> None:
        with self._open_lock:
            if self._con is not None:
                self._con.close()
                self._con = None


def _connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the store, retrying while another process holds a conflicting lock."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no run store here (twin replay writes twin.duckdb)")
    deadline = time.monotonic() + _RETRY_S
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                mode = "read-only" if read_only else "for an operator action"
                raise StoreBusyError(
                    f"{path}: could not open the store {mode}; another process holds it ({error})"
                ) from None
            time.sleep(_RETRY_PAUSE_S)
