"""A run's store: bronze keeps every reading as received, once per batch, whole or not at all."""

from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest

import twin.store.run_store as run_store
from twin.feeds.readings import Readings
from twin.feeds.scada_files import read_scada_folder
from twin.store import RunStore, StoreError, run_path
from twin.store.schema import TABLES

WEEK = Path(__file__).resolve().parent / "data" / "scada" / "week"
ORIGIN = datetime(2018, 1, 1)


def _batch(sensor, unit, times, values, arrival=None, channel="scada") -> Readings:
    """A batch of one sensor's readings (arrival = event time unless given)."""
    times = np.asarray(times, dtype=np.int64)
    arrival = times if arrival is None else np.asarray(arrival, dtype=np.int64)
    n = len(times)
    return Readings(
        channel, np.full(n, sensor), np.asarray(values, float), np.full(n, unit), times, arrival
    )


def _snapshot(store: RunStore) -> dict:
    """Every row of every bronze and metadata table, in a fixed order."""
    return {
        table: store.con.execute(
            f"SELECT * EXCLUDE (stored_at) FROM {table} ORDER BY ALL"
        ).fetchall()
        if table == "batches"
        else store.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        for table in ("batches", "sensors", "batch_series", "bronze", "silver")
    }


@pytest.fixture
def store(tmp_path):
    """A new, empty store with origin 2018-01-01."""
    with RunStore.open(run_path(tmp_path, "test"), origin=ORIGIN, network="L-TOWN") as opened:
        yield opened


def test_a_new_store_has_every_layer_and_the_runs_metadata(tmp_path):
    """runs/<name>/twin.duckdb holds bronze, silver, gold and the origin, grid and network."""
    path = run_path(tmp_path / "runs", "demo")
    RunStore.open(path, origin=ORIGIN, step_s=600, network="L-TOWN").close()
    assert path == tmp_path / "runs" / "demo" / "twin.duckdb" and path.exists()
    with RunStore.open(path, read_only=True) as store:
        assert (store.info.name, store.info.origin, store.info.step_s, store.info.network) == (
            "demo",
            ORIGIN,
            600,
            "L-TOWN",
        )
        names = {row[0] for row in store.con.execute("SHOW TABLES").fetchall()}
    assert names == {name for layer in TABLES.values() for name in layer}


def test_bronze_keeps_duplicates_and_out_of_order_readings_as_received(store):
    """Nothing is sorted, merged or converted on the way into bronze."""
    batch = _batch(
        "p227",
        "m3/h",
        [600, 0, 600, 300],
        [80.5, 77.77, 80.5, np.nan],
        arrival=[900, 900, 905, 900],
    )
    store.ingest(batch, "poll 1")
    rows = store.con.execute(
        "SELECT channel, sensor_id, value, unit, event_time, arrival_time, batch FROM bronze "
        "ORDER BY reading"
    ).fetchall()
    assert [r[4] for r in rows] == [600, 0, 600, 300]
    assert [r[5] for r in rows] == [900, 900, 905, 900]
    assert rows[0] == ("scada", "p227", 80.5, "m3/h", 600, 900, 1)
    assert np.isnan(rows[3][2])


def test_storing_the_same_batch_twice_changes_nothing(store):
    """The second time is recognised by its content and reported as not new."""
    first = store.ingest(_batch("n1", "m", [0, 300], [50.1, 50.2]), "a")
    before = _snapshot(store)
    again = store.ingest(_batch("n1", "m", [0, 300], [50.1, 50.2]), "a")
    assert first.new and not again.new and again.batch == first.batch
    assert _snapshot(store) == before


def test_rereading_the_same_files_stores_nothing_new(store):
    """A file read again (new arrays, same content) has the same key."""
    for path, readings in read_scada_folder(WEEK).files.items():
        assert store.ingest(readings, path.name).new
    before = _snapshot(store)
    for path, readings in read_scada_folder(WEEK).files.items():
        assert not store.ingest(readings, path.name).new
    assert _snapshot(store) == before
    assert store.con.execute("SELECT count(*) FROM bronze").fetchall() == [(4 * 2016,)]


def test_a_batch_that_differs_in_one_value_is_a_new_batch(store):
    """Content keys are exact: a corrected value is stored too (silver picks the last)."""
    store.ingest(_batch("n1", "m", [0, 300], [50.1, 50.2]))
    assert store.ingest(_batch("n1", "m", [0, 300], [50.1, 50.3])).new


def test_an_unknown_unit_rejects_the_whole_batch(store):
    """A unit the store cannot convert to SI is named, and nothing is stored."""
    store.ingest(_batch("n1", "m", [0], [50.0]))
    before = _snapshot(store)
    bad = _batch("n4", "psi", [0, 300], [70.0, 71.0])
    with pytest.raises(StoreError, match=r"unknown unit\(s\) \['psi'\]"):
        store.ingest(bad)
    assert _snapshot(store) == before


def test_a_sensor_that_changes_unit_is_refused(store):
    """p227 reported in m3/h, then in L/s: refused, naming the sensor and both units."""
    store.ingest(_batch("p227", "m3/h", [0], [80.0]))
    before = _snapshot(store)
    with pytest.raises(StoreError, match=r"sensor 'p227' was stored in 'm3/h' and now in L/s"):
        store.ingest(_batch("p227", "L/s", [300], [22.0]))
    assert _snapshot(store) == before


def test_the_same_id_may_report_two_quantities(store):
    """At L-Town node n1 a pressure logger (m) and an AMR meter (L/h) share the id."""
    store.ingest(_batch("n1", "m", [0], [50.0]))
    store.ingest(_batch("n1", "L/h", [0], [120.0]))
    assert store.con.execute(
        "SELECT sensor_id, si_unit, unit FROM sensors ORDER BY ALL"
    ).fetchall() == [("n1", "m", "m"), ("n1", "m3/s", "L/h")]


def test_a_failure_inside_the_transaction_leaves_no_trace(store, monkeypatch):
    """Bronze rows already inserted are rolled back when the batch cannot be completed."""
    store.ingest(_batch("n1", "m", [0], [50.0]))
    before = _snapshot(store)
    insert = run_store._insert_bronze

    def insert_then_fail(con, batch):
        insert(con, batch)
        assert con.execute("SELECT count(*) FROM bronze").fetchall() == [(3,)]
        raise OSError("disk full")

    monkeypatch.setattr(run_store, "_insert_bronze", insert_then_fail)
    with pytest.raises(OSError, match="disk full"):
        store.ingest(_batch("n1", "m", [300, 600], [50.1, 50.2]))
    assert _snapshot(store) == before


def test_last_event_time_is_kept_per_channel(store):
    """The resume point of each channel is the last event time stored on it."""
    assert store.last_event_time("scada") is None
    store.ingest(_batch("n1", "m", [0, 300], [50.0, 50.1], channel="scada"))
    store.ingest(_batch("n1", "L/h", [0, 900], [10.0, 12.0], channel="ami"))
    store.ingest(_batch("n1", "m", [600], [50.2], channel="scada"))
    assert store.last_event_time("scada") == 600
    assert store.last_event_times() == {"ami": 900, "scada": 600}


def test_reopening_with_another_origin_is_refused(tmp_path):
    """Times would not line up: the error names both origins."""
    path = run_path(tmp_path, "r")
    RunStore.open(path, origin=ORIGIN).close()
    with pytest.raises(StoreError, match="origin is 2018-01-01 00:00:00, not 2019-01-01"):
        RunStore.open(path, origin=datetime(2019, 1, 1))


def test_a_store_needs_an_origin_to_be_created(tmp_path):
    """Opening a missing store without an origin creates nothing."""
    with pytest.raises(StoreError, match="no such run store"):
        RunStore.open(run_path(tmp_path, "missing"))
    assert not (tmp_path / "missing").exists()


def test_a_duckdb_file_that_is_not_a_store_is_refused(tmp_path):
    """Someone else's database is not mistaken for a run."""
    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(StoreError, match="not a twin run store"):
        RunStore.open(path)


@pytest.mark.parametrize("name", ["../up", "a/b", "", ".hidden"])
def test_run_names_cannot_escape_the_runs_folder(tmp_path, name):
    """A run name is one folder name."""
    with pytest.raises(StoreError, match="run name"):
        run_path(tmp_path, name)
