"""Silver: readings on the run's grid in SI, duplicates collapsed, gaps and faults flagged."""

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from twin.feeds.readings import Readings
from twin.feeds.scada_files import read_scada_folder
from twin.store import RunStore, run_path

WEEK = Path(__file__).resolve().parent / "data" / "scada" / "week"
DAY = 86400


def _batch(sensor, unit, times, values, arrival=None) -> Readings:
    """A batch of one sensor's readings (arrival = event time unless given)."""
    times = np.asarray(times, dtype=np.int64)
    arrival = times if arrival is None else np.asarray(arrival, dtype=np.int64)
    n = len(times)
    return Readings(
        "scada", np.full(n, sensor), np.asarray(values, float), np.full(n, unit), times, arrival
    )


def _wavy(n: int, seed: int = 1, level: float = 50.0) -> np.ndarray:
    """A pressure-like day: slow daily swing plus 2 cm noise, in m."""
    rng = np.random.default_rng(seed)
    return level + 3 * np.sin(np.arange(n) * 2 * np.pi / 288) + rng.normal(0, 0.02, n)


def _silver(store: RunStore, sensor: str, unit: str | None = None) -> list[tuple]:
    """(time, value, flag, received) rows of one series, in time order."""
    rows = store.con.execute(
        "SELECT time, value, flag::VARCHAR, received, unit FROM silver WHERE sensor_id = ? "
        "ORDER BY time",
        [sensor],
    ).fetchall()
    return [r[:4] for r in rows if unit is None or r[4] == unit]


@pytest.fixture
def store(tmp_path):
    """A new store on a 300 s grid, origin 2018-01-01."""
    with RunStore.open(run_path(tmp_path, "t"), origin=datetime(2018, 1, 1)) as opened:
        yield opened


def test_the_real_week_is_all_ok_and_in_si(store):
    """Four complete series, nothing flagged; m3/h become m3/s, metres stay metres."""
    for path, readings in read_scada_folder(WEEK).files.items():
        store.ingest(readings, path.name)
    assert store.refresh_silver() == 4
    counts = store.con.execute(
        "SELECT sensor_id, unit, flag::VARCHAR, count(*) FROM silver GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert counts == [
        ("PUMP_1", "m3/s", "ok", 2016),
        ("T1", "m", "ok", 2016),
        ("p227", "m3/s", "ok", 2016),
        ("p235", "m3/s", "ok", 2016),
    ]
    assert _silver(store, "p227")[0][1] == pytest.approx(77.77 / 3600)
    assert _silver(store, "T1")[0][1] == pytest.approx(3.5)


def test_amr_litres_per_hour_become_cubic_metres_per_second(store):
    """3,600,000 L/h is 1 m3/s; n1's pressure under the same id stays separate."""
    store.ingest(_batch("n1", "L/h", [0, 300], [360.0, 720.0]))
    store.ingest(_batch("n1", "m", [0, 300], [50.0, 50.1]))
    store.refresh_silver()
    assert [r[1] for r in _silver(store, "n1", "m3/s")] == pytest.approx([1e-4, 2e-4])
    assert [r[1] for r in _silver(store, "n1", "m")] == pytest.approx([50.0, 50.1])


def test_a_reading_sent_twice_is_one_slot_flagged_duplicate(store):
    """A retransmitted poll is collapsed, and the slot says two readings arrived."""
    store.ingest(_batch("n1", "m", [0, 300, 600], [50.0, 50.1, 50.2]))
    store.ingest(_batch("n1", "m", [300], [50.1], arrival=[900]))
    store.refresh_silver()
    assert _silver(store, "n1") == [
        (0, 50.0, "ok", 1),
        (300, 50.1, "duplicate", 2),
        (600, 50.2, "ok", 1),
    ]


def test_a_corrected_value_replaces_the_earlier_one(store):
    """Of two readings with the same event time, the one stored last is kept."""
    store.ingest(_batch("n1", "m", [0, 300, 600], [50.0, 99.9, 50.2]))
    store.ingest(_batch("n1", "m", [300], [50.1], arrival=[3600]))
    store.refresh_silver()
    assert _silver(store, "n1")[1][:2] == (300, 50.1)


def test_late_data_fills_its_slot_and_removes_the_gap(store):
    """A gap at 300 s is a NULL gap row until the late reading arrives, then it is ok."""
    store.ingest(_batch("n1", "m", [0, 600], [50.0, 50.2]))
    store.refresh_silver()
    assert _silver(store, "n1")[1] == (300, None, "gap", 0)
    store.ingest(_batch("n1", "m", [300], [50.1], arrival=[7200]))
    assert store.refresh_silver() == 1
    assert _silver(store, "n1")[1] == (300, 50.1, "ok", 1)


def test_off_grid_times_go_to_the_nearest_slot(store):
    """Readings stamped 299 s and 449 s belong to the 300 s slot; 451 s to the 600 s slot."""
    store.ingest(_batch("n1", "m", [0, 299, 451], [50.0, 50.1, 50.2]))
    store.ingest(_batch("n1", "m", [449], [50.15]))
    store.refresh_silver()
    assert _silver(store, "n1") == [
        (0, 50.0, "ok", 1),
        (300, 50.1, "duplicate", 2),
        (600, 50.2, "ok", 1),
    ]


def test_gaps_are_flagged_not_filled(store):
    """An hour without readings is 12 gap rows with no value; an empty reading is a gap too."""
    values = _wavy(288)
    values[100] = np.nan
    keep = np.r_[0:50, 62:288]
    store.ingest(_batch("n1", "m", np.arange(288)[keep] * 300, values[keep]))
    store.refresh_silver()
    rows = _silver(store, "n1")
    assert len(rows) == 288
    gaps = [r for r in rows if r[2] == "gap"]
    assert [r[0] // 300 for r in gaps] == [*range(50, 62), 100]
    assert all(r[1] is None for r in gaps)


def test_a_spike_is_an_outlier_but_a_step_is_not(store):
    """One reading 5 m off both neighbours is flagged; a 5 m lasting drop (a burst) is not."""
    values = _wavy(288)
    values[100] += 5.0
    values[200:] -= 5.0
    store.ingest(_batch("n1", "m", np.arange(288) * 300, values))
    store.refresh_silver()
    flagged = [(r[0] // 300, r[2]) for r in _silver(store, "n1") if r[2] != "ok"]
    assert flagged == [(100, "outlier")]


def test_a_pump_switching_on_and_off_is_not_an_outlier(store):
    """The real PUMP_1 week (0 or ~44 m3/h, long runs at exactly 0) has no flagged value."""
    readings = read_scada_folder(WEEK).readings
    pump = readings.sensor_id == "PUMP_1"
    store.ingest(
        Readings(
            "replay",
            *(
                getattr(readings, f)[pump]
                for f in ("sensor_id", "value", "unit", "event_time", "arrival_time")
            ),
        )
    )
    store.refresh_silver()
    assert {r[2] for r in _silver(store, "PUMP_1")} == {"ok"}


def test_a_value_frozen_for_twelve_hours_is_stuck_but_zero_is_not(store):
    """A logger repeating 51.23 m for 12 h is stuck; a meter at 0 L/h all day is fine."""
    values = _wavy(288)
    values[100:244] = 51.23
    store.ingest(_batch("n1", "m", np.arange(288) * 300, values))
    store.ingest(_batch("n2", "L/h", np.arange(288) * 300, np.zeros(288)))
    store.refresh_silver()
    stuck = [r[0] // 300 for r in _silver(store, "n1") if r[2] == "stuck"]
    assert stuck == list(range(100, 244))
    assert {r[2] for r in _silver(store, "n2")} == {"ok"}


def test_a_value_frozen_for_less_than_twelve_hours_is_not_stuck(store):
    """A tank level that stays put for 11 h (quantised to 1 cm) is plausible."""
    values = _wavy(288)
    values[100:232] = 3.12
    store.ingest(_batch("T1", "m", np.arange(288) * 300, values))
    store.refresh_silver()
    assert "stuck" not in {r[2] for r in _silver(store, "T1")}


@pytest.mark.parametrize(
    ("unit", "value"),
    [("m", -20.0), ("m", 500.0), ("L/h", -5.0), ("m3/h", 50_000.0), ("m", np.inf)],
)
def test_physically_impossible_values_are_out_of_range(store, unit, value):
    """Below vacuum, above any pipe rating, negative consumption, 14 m3/s: kept and flagged."""
    values = np.full(5, 1.0)
    values[2] = value
    store.ingest(_batch("s", unit, np.arange(5) * 300, values))
    store.refresh_silver()
    rows = _silver(store, "s")
    assert [r[2] for r in rows] == ["ok", "ok", "out_of_range", "ok", "ok"]
    assert rows[2][1] is not None


def test_refreshing_again_changes_nothing(store):
    """Silver is a function of bronze: a second refresh has nothing to do."""
    store.ingest(_batch("n1", "m", [0, 300], [50.0, 50.1]))
    assert store.refresh_silver() == 1
    before = store.con.execute("SELECT * FROM silver ORDER BY ALL").fetchall()
    assert store.refresh_silver() == 0
    assert store.con.execute("SELECT * FROM silver ORDER BY ALL").fetchall() == before


def test_only_series_with_new_readings_are_rebuilt(store):
    """A batch for n2 rebuilds n2 and leaves n1's rows as they were."""
    store.ingest(_batch("n1", "m", np.arange(288) * 300, _wavy(288, seed=1)))
    store.ingest(_batch("n2", "m", np.arange(288) * 300, _wavy(288, seed=2)))
    store.refresh_silver()
    n1 = _silver(store, "n1")
    store.ingest(_batch("n2", "m", [288 * 300], [50.0]))
    assert store.refresh_silver() == 1
    assert _silver(store, "n1") == n1 and len(_silver(store, "n2")) == 289


def test_flags_do_not_depend_on_duplicates_elsewhere(tmp_path):
    """A series gets the same rows whether or not another series had duplicated readings."""
    origin = datetime(2018, 1, 1)
    series = _wavy(2 * 288, seed=3)
    series[[50, 400]] += 4.0
    results = []
    for name, duplicate in (("clean", False), ("mixed", True)):
        with RunStore.open(run_path(tmp_path, name), origin=origin) as store:
            store.ingest(_batch("n1", "m", np.arange(2 * 288) * 300, series))
            if duplicate:
                store.ingest(_batch("n9", "m", [0, 0], [40.0, 40.0]))
            store.refresh_silver()
            results.append(_silver(store, "n1"))
    assert results[0] == results[1]
    assert [r[0] // 300 for r in results[0] if r[2] == "outlier"] == [50, 400]


def test_an_empty_reading_does_not_hide_a_real_one_in_its_slot(store):
    """A re-sent poll that arrived empty leaves the value received earlier in place."""
    store.ingest(_batch("n1", "m", [0, 300, 600], [50.0, 50.1, 50.2]))
    store.ingest(_batch("n1", "m", [300], [np.nan], arrival=[900]))
    store.refresh_silver()
    assert _silver(store, "n1")[1] == (300, 50.1, "duplicate", 2)
