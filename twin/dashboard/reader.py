"""What the dashboard reads from a run folder: the store's tables and the files beside it.

Everything but the operator actions is written once by ``twin replay``, so a finished run's
tables are read once and kept; a live run's are re-read when the store file changes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from twin.dashboard.network_view import NetworkView, network_view
from twin.dashboard.store_access import StoreAccess
from twin.store.quality import quality_summary
from twin.store.schema import OPERATOR_ACTIONS, OPERATOR_ACTIONS_DDL

__all__ = ["RunReader", "RunSummary", "sensor_kind"]

_T = TypeVar("_T")
STORE_FILE = "twin.duckdb"


@dataclass(frozen=True)
class RunSummary:
    """A run's metadata and time span.

    Attributes
    ----------
    name, network : str
        The run's name and its network (catalogue name or path).
    origin : pandas.Timestamp
        Time 0 of every ``*_time`` column.
    step_s : int
        Silver grid step, s.
    first_s, last_s : int
        First and last silver slot, s since origin (0, 0 for an empty store).
    schema_version : int
    """

    name: str
    network: str
    origin: pd.Timestamp
    step_s: int
    first_s: int
    last_s: int
    schema_version: int

    def times(self, seconds: Any) -> pd.DatetimeIndex:
        """Timestamps of run times (s), in nanoseconds."""
        offsets = pd.to_timedelta(np.asarray(seconds, dtype="int64"), unit="s")
        return pd.DatetimeIndex(self.origin + offsets, name="time").as_unit("ns")

    def stamp(self, seconds: float | None) -> pd.Timestamp | None:
        """The timestamp of a run time (None stays None)."""
        if seconds is None or pd.isna(seconds):
            return None
        return self.origin + pd.Timedelta(seconds=int(seconds))


def sensor_kind(si_unit: str, unit: str, sensor_id: str, tanks: set[str]) -> str:
    """The kind of instrument a stored series comes from.

    Examples
    --------
    >>> sensor_kind("m", "m", "n54", set()), sensor_kind("m3/s", "L/h", "n1", set())
    ('pressure', 'amr_demand')
    """
    if si_unit == "m":
        return "tank_level" if sensor_id in tanks else "pressure"
    if si_unit == "m3/s":
        return "amr_demand" if unit == "L/h" else "flow"
    return "volume"


class RunReader:
    """Read access to one run folder (``twin replay --out`` or ``twin run``).

    Parameters
    ----------
    run_dir : Path
        The folder holding ``twin.duckdb`` (and ``water_balance.json``...).
    live : bool
        The run is still being written: re-read tables when the store file changes and do
        not keep the file open.

    Raises
    ------
    FileNotFoundError
        No ``twin.duckdb`` in ``run_dir``.
    """

    def __init__(self, run_dir: Path, *, live: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self.live = live
        store = self.run_dir / STORE_FILE
        if not store.is_file():
            raise FileNotFoundError(
                f"{self.run_dir}: no {STORE_FILE} here; give the folder `twin replay --out` wrote"
            )
        self.access = StoreAccess(store, keep_open=not live)
        self._cache: dict[str, tuple[Any, Any]] = {}
        self._cache_lock = threading.Lock()

    # --- caching -------------------------------------------------------------------------

    def version(self) -> Any:
        """What changes when the store changes (live runs only; a finished run never does):
        a key for caching what is derived from the store."""
        if not self.live:
            return 0
        files = [self.access.path, self.access.path.with_name(STORE_FILE + ".wal")]
        return tuple(f.stat().st_mtime_ns if f.exists() else 0 for f in files)

    def cached(self, key: str, build: Callable[[], _T]) -> _T:
        """``build()``, computed once per store version and kept under ``key``."""
        stamp = self.version()
        with self._cache_lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = build()
        with self._cache_lock:
            self._cache[key] = (stamp, value)
        return value

    # --- metadata --------------------------------------------------------------------------

    def summary(self) -> RunSummary:
        """The run's metadata and the span of its silver readings."""
        return self.cached("summary", self._read_summary)

    def _read_summary(self) -> RunSummary:
        name, origin, step_s, network, version = self.access.rows(
            "SELECT name, origin, step_s, network, schema_version FROM run"
        )[0]
        first, last = self.access.rows("SELECT min(time), max(time) FROM silver")[0]
        return RunSummary(
            name,
            network,
            pd.Timestamp(origin),
            int(step_s),
            int(first or 0),
            int(last or 0),
            int(version),
        )

    def network(self) -> NetworkView:
        """The run's network, drawn from its coordinates."""
        network = self.summary().network
        if not network:
            raise LookupError(f"{self.access.path}: the run names no network; the map needs one")
        return network_view(network)

    def sensors(self) -> pd.DataFrame:
        """One row per stored series: ``sensor_id``, ``si_unit``, ``unit``, ``kind``."""
        return self.cached("sensors", self._read_sensors)

    def _read_sensors(self) -> pd.DataFrame:
        frame = self.access.frame(
            "SELECT sensor_id, si_unit, unit FROM sensors ORDER BY si_unit, sensor_id"
        )
        tanks = set(self.network().model.tank_name_list) if self.summary().network else set()
        frame["kind"] = [
            sensor_kind(s, u, i, tanks)
            for i, s, u in zip(frame["sensor_id"], frame["si_unit"], frame["unit"], strict=True)
        ]
        return frame

    def price(self) -> tuple[float, str]:
        """What a lost m³ costs and the currency, from the network's sidecar file."""
        flows = tuple(self.sensors().query("kind == 'flow'")["sensor_id"])
        areas = self.network().areas(flows)
        return areas.water_price_per_m3, areas.currency

    # --- gold ------------------------------------------------------------------------------

    def events(self) -> pd.DataFrame:
        """The gold events table (times in s since origin, flow in m³/s), by raised time."""
        return self.cached(
            "events", lambda: self.access.frame("SELECT * FROM events ORDER BY raised_time")
        )

    def candidates(self) -> pd.DataFrame:
        """Each event's latest ranking: ``event_id, rank, element_id, probability,
        in_search_area, time`` (a run that localized nothing gives no rows)."""
        return self.cached(
            "candidates",
            lambda: self.access.frame(
                """SELECT event_id, rank, element_id, element_kind, probability,
                          in_search_area, time
                   FROM candidates
                   QUALIFY time = max(time) OVER (PARTITION BY event_id)
                   ORDER BY event_id, rank"""
            ),
        )

    def kpis(self) -> pd.DataFrame:
        """The gold KPIs: ``kpi, area, period_start, period_end, value, unit, method``; where
        a KPI of an area is stored per day (method ending in ``daily``), only the days (the
        whole-run value is in ``water_balance.json``)."""
        return self.cached(
            "kpis",
            lambda: self.access.frame(
                """SELECT * FROM kpis
                   QUALIFY method LIKE '%daily' OR NOT bool_or(method LIKE '%daily')
                       OVER (PARTITION BY kpi, area)
                   ORDER BY kpi, area, period_start"""
            ),
        )

    def residuals(self, start_s: int | None = None, end_s: int | None = None) -> pd.DataFrame:
        """Gold residuals between two run times (all when None): long, as stored."""
        where, parameters = _between("time", start_s, end_s)
        return self.access.frame(
            f"SELECT * FROM residuals {where} ORDER BY sensor_id, time", parameters
        )

    def water_balance(self) -> list[dict[str, Any]]:
        """The run's ``water_balance.json`` (one object per zone and period; [] if absent)."""
        path = self.run_dir / "water_balance.json"
        if not path.is_file():
            return []
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not JSON ({error})") from None
        if not isinstance(rows, list):
            raise ValueError(f"{path}: expected a list of zone objects, got {type(rows).__name__}")
        return rows

    # --- silver ----------------------------------------------------------------------------

    def series(
        self,
        sensor_ids: list[str],
        si_unit: str,
        start_s: int | None = None,
        end_s: int | None = None,
    ) -> pd.DataFrame:
        """Silver values of some series in SI units, wide: index run time (s), one column
        per sensor id (NaN for gaps)."""
        if not sensor_ids:
            return pd.DataFrame()
        where, parameters = _between("time", start_s, end_s)
        where = f"{where} {'AND' if where else 'WHERE'} unit = ? AND sensor_id IN ?"
        long = self.access.frame(
            f"SELECT sensor_id, time, value FROM silver {where}",
            [*parameters, si_unit, list(sensor_ids)],
        )
        wide = long.pivot_table(index="time", columns="sensor_id", values="value", dropna=False)
        return wide.reindex(columns=[s for s in sensor_ids if s in wide.columns]).sort_index()

    def quality(self) -> pd.DataFrame:
        """Data quality per series (see :func:`twin.store.quality_summary`), with ``kind``."""

        def build() -> pd.DataFrame:
            with self.access.cursor() as cursor:
                store = SimpleNamespace(
                    con=cursor,
                    info=SimpleNamespace(
                        step_s=self.summary().step_s, origin=self.summary().origin
                    ),
                )
                table = quality_summary(store)  # type: ignore[arg-type]
            kinds = self.sensors().set_index(["sensor_id", "unit"])["kind"]
            table["kind"] = [
                kinds.get((s, u), "")
                for s, u in zip(table["sensor_id"], table["unit"], strict=True)
            ]
            return table

        return self.cached("quality", build)

    def arrivals_until(self, end_s: int) -> pd.DataFrame:
        """Per kind of series, the share of grid slots up to ``end_s`` with a reading.

        Returns
        -------
        pandas.DataFrame
            Columns ``si_unit``, ``slots``, ``received`` (slots with at least one reading),
            ``flagged`` (slots flagged stuck/outlier/out_of_range), ``sensors``.
        """
        return self.access.frame(
            """SELECT unit AS si_unit, count(*) AS slots,
                      count(*) FILTER (WHERE received > 0) AS received,
                      count(*) FILTER (WHERE flag IN ('stuck', 'outlier', 'out_of_range'))
                          AS flagged,
                      count(DISTINCT sensor_id) AS sensors
               FROM silver WHERE time <= ? GROUP BY unit ORDER BY unit""",
            [int(end_s)],
        )

    def batches(self) -> pd.DataFrame:
        """Stored batches with their delay: ``batch, channel, source, readings, kinds,
        first_event_time, last_event_time, last_arrival_time, delay_s`` (arrival of the last
        reading minus its event time, s)."""
        return self.cached(
            "batches",
            lambda: self.access.frame(
                """SELECT b.batch, b.channel, b.source, b.readings,
                          string_agg(DISTINCT s.unit, ', ') AS units,
                          b.first_event_time, b.last_event_time, b.last_arrival_time,
                          b.last_arrival_time - b.last_event_time AS delay_s
                   FROM batches b
                   JOIN batch_series bs USING (batch)
                   JOIN sensors s ON s.sensor_id = bs.sensor_id AND s.si_unit = bs.si_unit
                   GROUP BY ALL ORDER BY b.batch"""
            ),
        )

    # --- operator actions ------------------------------------------------------------------

    def actions(self) -> pd.DataFrame:
        """Operator actions, oldest first: ``event_id, action, time, run_time, user, note``
        (never cached: another browser may just have written one)."""
        exists = self.access.rows(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'operator_actions'"
        )[0][0]
        if not exists:  # a schema-3 store: no action yet
            return pd.DataFrame(columns=["event_id", "action", "time", "run_time", "user", "note"])
        return self.access.frame("SELECT * FROM operator_actions ORDER BY time, action")

    def record_action(
        self,
        event_id: str,
        action: str,
        *,
        user: str = "",
        note: str = "",
        run_time: int | None = None,
        when: datetime | None = None,
    ) -> None:
        """Store one operator action on an event (the only write the dashboard makes).

        Raises
        ------
        ValueError
            An action other than :data:`twin.store.schema.OPERATOR_ACTIONS`.
        KeyError
            An event id that is not in the run's events.
        """
        if action not in OPERATOR_ACTIONS:
            raise ValueError(f"operator action {action!r}: expected one of {OPERATOR_ACTIONS}")
        known = set(self.events()["event_id"])
        if event_id not in known:
            raise KeyError(f"event {event_id!r} is not in this run (events: {sorted(known)})")
        when = when or datetime.now().replace(microsecond=0)
        self.access.write(
            [
                (OPERATOR_ACTIONS_DDL, []),
                (
                    "INSERT INTO operator_actions VALUES (?, ?, ?, ?, ?, ?)",
                    [event_id, action, when, run_time, user, note],
                ),
            ]
        )


def _between(column: str, start_s: int | None, end_s: int | None) -> tuple[str, list[int]]:
    """A WHERE clause keeping ``column`` within [start_s, end_s] (either may be open)."""
    terms, parameters = [], []
    if start_s is not None:
        terms.append(f"{column} >= ?")
        parameters.append(int(start_s))
    if end_s is not None:
        terms.append(f"{column} <= ?")
        parameters.append(int(end_s))
    return (f"WHERE {' AND '.join(terms)}" if terms else ""), parameters
