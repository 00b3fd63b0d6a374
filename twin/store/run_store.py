"""A run's store: one DuckDB file, ``runs/<name>/twin.duckdb``, and idempotent atomic ingest.

- **Idempotent**: a batch is keyed by a hash of its content; storing it again changes nothing.
- **Atomic**: a batch is stored whole in one transaction, or not at all (a failure, or the
  process being killed part-way, leaves no trace of it).
- **Resumable**: :meth:`RunStore.last_event_time` gives, per channel, the last event time
  stored; a feed that delivers each channel in time order and was killed resumes after it,
  with no reading lost or stored twice.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

import duckdb
import numpy as np
import pyarrow as pa

from twin.feeds.readings import Readings
from twin.store import silver
from twin.store.bronze import EncodedBatch, encode_batch
from twin.store.schema import READABLE_VERSIONS, SCHEMA_VERSION, create_schema
from twin.store.units import UNITS, si_unit_sql

__all__ = ["RunInfo", "RunStore", "StoreError", "StoredBatch", "run_path"]

_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class StoreError(ValueError):
    """A store that cannot be opened as asked, or a batch it refuses (nothing is stored)."""


@dataclass(frozen=True)
class RunInfo:
    """A run's metadata.

    Attributes
    ----------
    name : str
        The run's name.
    origin : datetime
        Time 0 of every time in the store (no time zone).
    step_s : int
        Silver time grid, seconds.
    network : str
        Network model name (``""`` if unknown).
    """

    name: str
    origin: datetime
    step_s: int
    network: str


@dataclass(frozen=True)
class StoredBatch:
    """What ingesting one batch did.

    Attributes
    ----------
    batch : int or None
        The batch number in the store (None for an empty batch, which is not stored).
    key : str
        Content hash of the batch.
    readings : int
        Readings in the batch.
    new : bool
        False when the same batch was already stored (nothing was changed).
    """

    batch: int | None
    key: str
    readings: int
    new: bool


def run_path(runs_dir: Path, name: str) -> Path:
    """Path of a run's store file: ``<runs_dir>/<name>/twin.duckdb``."""
    if not _RUN_NAME.match(name):
        raise StoreError(
            f"run name {name!r}: use letters, digits, '.', '_' and '-', starting with a "
            "letter or digit"
        )
    return Path(runs_dir) / name / "twin.duckdb"


class RunStore:
    """A run's DuckDB store: bronze, silver and gold tables and the run's metadata.

    Open it with :meth:`open`; use it as a context manager to close it.

    Examples
    --------
    >>> import tempfile
    >>> path = run_path(tempfile.mkdtemp(), "demo")
    >>> t = np.array([0, 300])
    >>> batch = Readings("scada", np.array(["n1", "n1"]), np.array([50.0, 50.2]),
    ...                  np.array(["m", "m"]), t, t)
    >>> with RunStore.open(path, origin=datetime(2018, 1, 1)) as store:
    ...     first, again = store.ingest(batch), store.ingest(batch)
    ...     print(first.new, again.new, store.last_event_time("scada"))
    True False 300
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, info: RunInfo):
        self.con, self.path, self.info = con, path, info

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        origin: datetime | None = None,
        step_s: int = 300,
        network: str = "",
        read_only: bool = False,
    ) -> RunStore:
        """Open a run's store, creating it (and its folder) when it does not exist.

        Parameters
        ----------
        path : path
            The store file, e.g. ``run_path("runs", "demo")``.
        origin : datetime, optional
            The run's origin: required to create a store; when opening one, it must equal
            the stored origin.
        step_s : int
            Silver grid step in seconds (used when creating).
        network : str
            Network model name (used when creating).
        read_only : bool
            Open an existing store read-only (the dashboard does).

        Raises
        ------
        StoreError
            No origin for a new store, a different origin, another schema version, or a
            file that is not a twin store.
        """
        path = Path(path)
        if not path.exists():
            if read_only or origin is None:
                raise StoreError(f"{path}: no such run store (an origin is needed to create it)")
            return cls._create(path, origin, step_s, network)
        con = duckdb.connect(str(path), read_only=read_only)
        try:
            info = _read_info(con, path)
            if origin is not None and origin != info.origin:
                raise StoreError(
                    f"{path}: the run's origin is {info.origin}, not {origin}; times would "
                    "not line up (use another run name)"
                )
        except BaseException:
            con.close()
            raise
        _tune(con)
        return cls(con, path, info)

    @classmethod
    def _create(cls, path: Path, origin: datetime, step_s: int, network: str) -> RunStore:
        """Create an empty store: built under a temporary name, then renamed into place.

        A creation that is killed part-way leaves no store that looks real but is not.
        """
        if int(step_s) <= 0:
            raise StoreError(f"grid step must be a positive number of seconds, not {step_s}")
        if origin.tzinfo is not None:
            raise StoreError(f"origin {origin} has a time zone; runs use local naive time")
        info = RunInfo(path.parent.name, origin, int(step_s), network)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        with duckdb.connect(str(partial)) as con:
            con.execute("BEGIN")
            create_schema(con)
            con.execute(
                "INSERT INTO run VALUES (?, ?, ?, ?, current_localtimestamp(), ?)",
                [info.name, origin, info.step_s, network, SCHEMA_VERSION],
            )
            con.execute("COMMIT")
        os.replace(partial, path)
        con = duckdb.connect(str(path))
        _tune(con)
        return cls(con, path, info)

    def close(self) -> None:
        """Close the store (everything committed is on disk)."""
        self.con.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def ingest(self, readings: Readings, source: str = "") -> StoredBatch:
        """Store a batch in bronze, whole and once.

        Parameters
        ----------
        readings : Readings
            The batch as received (values in the reported units, times in seconds since the
            run's origin).
        source : str
            Where it came from (a file name, a feed), kept in ``batches.source``.

        Returns
        -------
        StoredBatch
            ``new=False`` when the same batch was stored before (nothing changed).

        Raises
        ------
        StoreError
            A unit the store does not know, or a sensor reporting a quantity in another unit
            than before or than elsewhere in the batch. Nothing is stored.
        """
        encoded = encode_batch(readings)
        if len(encoded) == 0:
            return StoredBatch(None, encoded.key, 0, False)
        unknown = sorted(set(encoded.units) - set(UNITS))
        if unknown:
            raise StoreError(
                f"batch from {source or readings.channel!r}: unknown unit(s) {unknown}; "
                f"the store accepts {sorted(UNITS)}"
            )
        self.con.execute("BEGIN")
        try:
            stored = self._store(encoded, source)
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")
        return stored

    def _store(self, encoded: EncodedBatch, source: str) -> StoredBatch:
        """Insert a new batch (inside the caller's transaction), or find it already stored."""
        con = self.con
        found = _first(con, "SELECT batch FROM batches WHERE key = ?", [encoded.key])
        if found:
            return StoredBatch(found[0], encoded.key, len(encoded), False)
        batch, first_reading = _first(
            con,
            "SELECT coalesce(max(batch), 0) + 1, coalesce(max(first_reading + readings), 0) "
            "FROM batches",
        )
        table = encoded.table.append_column(
            "reading", pa.array(np.arange(first_reading, first_reading + len(encoded)))
        )
        con.register("_incoming", table)
        try:
            _record_series(con, batch, source)
            _insert_bronze(con, batch)
        finally:
            con.unregister("_incoming")
        con.execute(
            """INSERT INTO batches
               SELECT ?, ?, ?, ?, sum(readings), ?, min(first_event_time),
                      max(last_event_time), max(last_arrival_time), current_localtimestamp(),
                      false
               FROM _series""",
            [batch, encoded.key, encoded.channel, source, first_reading],
        )
        con.execute("DROP TABLE _series")
        return StoredBatch(batch, encoded.key, len(encoded), True)

    def last_event_time(self, channel: str) -> int | None:
        """Last event time stored for a channel (seconds since origin), None if nothing yet.

        A feed that delivers in time order resumes with the readings after this time.
        """
        row = _first(
            self.con, "SELECT max(last_event_time) FROM batches WHERE channel = ?", [channel]
        )
        return None if row[0] is None else int(row[0])

    def last_event_times(self) -> dict[str, int]:
        """Last event time stored per channel (seconds since origin)."""
        rows = self.con.execute(
            "SELECT channel, max(last_event_time) FROM batches GROUP BY channel ORDER BY channel"
        ).fetchall()
        return {channel: int(last) for channel, last in rows}

    def refresh_silver(self) -> int:
        """Rebuild silver for every series that received readings since the last refresh.

        A series is rebuilt over its whole history (robust scales and runs span it), so a
        live loop refreshes every so often rather than after every batch.

        Returns
        -------
        int
            Number of series rebuilt (0: silver was up to date).
        """
        return silver.refresh(self.con, self.info.step_s)


def _insert_bronze(con: duckdb.DuckDBPyConnection, batch: int) -> None:
    """Bulk-insert the registered ``_incoming`` batch into bronze (caller's transaction)."""
    con.execute(
        f"""INSERT INTO bronze
            SELECT reading, {int(batch)}, channel, sensor_id, value, unit, event_time,
                   arrival_time
            FROM _incoming"""
    )


def _record_series(con: duckdb.DuckDBPyConnection, batch: int, source: str) -> None:
    """Record the series of the registered ``_incoming`` batch; refuse a change of unit.

    Leaves a temporary table ``_series`` (one row per sensor id and reported unit).
    """
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _series AS
            SELECT sensor_id::VARCHAR AS sensor_id, unit::VARCHAR AS unit,
                   {si_unit_sql("unit::VARCHAR")} AS si_unit, count(*) AS readings,
                   min(event_time) AS first_event_time, max(event_time) AS last_event_time,
                   max(arrival_time) AS last_arrival_time
            FROM _incoming GROUP BY ALL"""
    )
    clash = _first(
        con,
        """SELECT n.sensor_id, list(DISTINCT n.unit ORDER BY n.unit), any_value(s.unit)
           FROM _series n LEFT JOIN sensors s USING (sensor_id, si_unit)
           GROUP BY n.sensor_id, n.si_unit
           HAVING count(DISTINCT n.unit) > 1 OR bool_or(n.unit <> s.unit)
           ORDER BY n.sensor_id LIMIT 1""",
    )
    if clash:
        sensor, units, before = clash
        said = f"was stored in {before!r}" if before else "is reported"
        raise StoreError(
            f"batch from {source or 'feed'!r}: sensor {sensor!r} {said} and now in "
            f"{' and '.join(units)}: a sensor must keep one unit per quantity; nothing stored"
        )
    con.execute(
        """INSERT INTO batch_series
           SELECT ?, sensor_id, si_unit, readings, first_event_time, last_event_time
           FROM _series""",
        [batch],
    )
    con.execute(
        """INSERT INTO sensors SELECT sensor_id, si_unit, unit, ? FROM _series
           ON CONFLICT DO NOTHING""",
        [batch],
    )


def _read_info(con: duckdb.DuckDBPyConnection, path: Path) -> RunInfo:
    """The run's metadata; refuse a file that is not a store of this schema version."""
    try:
        row = _first(con, "SELECT name, origin, step_s, network, schema_version FROM run")
    except duckdb.CatalogException:
        raise StoreError(f"{path}: not a twin run store (no run table)") from None
    if row is None:
        raise StoreError(f"{path}: run store has no metadata row")
    name, origin, step_s, network, version = row
    if version not in READABLE_VERSIONS:
        raise StoreError(
            f"{path}: store schema version {version}, this twin reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}; replay the run again to rebuild it"
        )
    return RunInfo(name, origin, int(step_s), network)


def _first(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None
) -> tuple | None:
    """The first row of a query (None if none), with the result fully consumed."""
    rows = con.execute(sql, parameters or []).fetchall()
    return rows[0] if rows else None


def _tune(con: duckdb.DuckDBPyConnection) -> None:
    """Session settings: results need no insertion order unless a query asks for one."""
    con.execute("SET preserve_insertion_order = false")
