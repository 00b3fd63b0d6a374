"""The dashboard's access to a run: reading the store, and operator actions that persist."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from twin.dashboard.event_table import event_rows, operator_states
from twin.dashboard.reader import RunReader
from twin.dashboard.zone_flow import zone_consumption
from twin.feeds.readings import Readings
from twin.store import RunStore
from twin.store.gold import write_gold

ORIGIN = datetime(2018, 1, 1)
STEP_S = 300
DAYS = 2
LOGGERS = ("11", "21", "31")


def _batch(channel: str, sensor: str, unit: str, values: np.ndarray, delay_s: int = 0) -> Readings:
    times = np.arange(len(values), dtype=np.int64) * STEP_S
    return Readings(
        channel,
        np.full(len(values), sensor),
        values.astype(float),
        np.full(len(values), unit),
        times,
        times + delay_s,
    )


def build_run(folder: Path) -> Path:
    """A small finished run of Net1 written with the store's own API: two days of readings
    (three pressure loggers, the pump's flow meter, the tank level, one AMR meter delivered
    2 h late), one localized event and one merged into it, KPIs, hourly residuals (logger
    31 drifting 0.2 m/day) and a water_balance.json."""
    folder.mkdir(parents=True, exist_ok=True)
    n = DAYS * 86_400 // STEP_S
    hours = np.arange(n) * STEP_S / 3600
    rng = np.random.default_rng(7)
    with RunStore.open(
        folder / "twin.duckdb", origin=ORIGIN, step_s=STEP_S, network="Net1"
    ) as store:
        for k, logger in enumerate(LOGGERS):
            pressure = 80 + 5 * k + np.sin(hours / 24 * 2 * np.pi) + rng.normal(0, 0.05, n)
            store.ingest(_batch("scada", logger, "m", pressure), "pressures")
        store.ingest(
            _batch("scada", "9", "m3/h", 300 + 50 * np.sin(hours / 24 * 2 * np.pi)), "flows"
        )
        store.ingest(_batch("scada", "2", "m", 120 + 0.5 * np.sin(hours / 12 * np.pi)), "levels")
        store.ingest(_batch("ami", "12", "L/h", np.full(n, 500.0), delay_s=7200), "amr")
        store.refresh_silver()
        write_gold(store.con, _gold(n))
    balance = [
        {
            "area": "Z1",
            "start": "2018-01-01 00:00:00",
            "end": "2018-01-03 00:00:00",
            "days": 2.0,
            "system_input_m3": 14400.0,
            "billed_metered_m3": 12000.0,
            "real_losses_m3": 2400.0,
            "nrw_m3": 2400.0,
            "nrw_percent": 16.67,
            "real_losses_m3_per_day": 1200.0,
            "uarl_m3_per_day": 100.0,
            "ili": 12.0,
            "currency": "EUR",
        }
    ]
    (folder / "water_balance.json").write_text(json.dumps(balance), encoding="utf-8")
    return folder


def _gold(n: int) -> dict[str, pd.DataFrame]:
    events = pd.DataFrame(
        {
            "event_id": ["E001", "E002"],
            "area": ["Z1", "Z1"],
            "detector": ["inflow-cusum", "inflow-cusum"],
            "state": ["localized", "closed"],
            "raised_time": [100_800, 120_000],
            "start_time": [93_600, 118_000],
            "flow": [10 / 3600, 2 / 3600],  # 10 and 2 m3/h
            "confirmed_time": pd.array([104_400, 121_000], dtype="Int64"),
            "closed_time": pd.array([None, 122_000], dtype="Int64"),
            "sensors": [[], []],
            "note": ["first location", "merged into E001"],
        }
    )
    candidates = pd.DataFrame(
        {
            "event_id": "E001",
            "time": 108_000,
            "rank": [1, 2, 3, 4],
            "element_id": ["12", "22", "21", "11"],
            "element_kind": "link",
            "probability": [0.5, 0.25, 0.15, 0.1],
            "in_search_area": [True, True, True, False],
            "method": "pooled",
        }
    )
    kpis = pd.DataFrame(
        {
            "kpi": ["nrw", "ili"],
            "area": "Z1",
            "period_start": 0,
            "period_end": n * STEP_S,
            "value": [16.67, 12.0],
            "unit": ["%", "1"],
            "method": "iwa-top-down",
        }
    )
    hours = np.arange(0, n * STEP_S, 3600)
    residuals = pd.concat(
        pd.DataFrame(
            {
                "sensor_id": logger,
                "unit": "m",
                "time": hours,
                "measured": np.nan,
                "expected": np.nan,
                "residual": (0.2 * hours / 86_400) if logger == "31" else -0.01,
                "model": "hourly mean",
            }
        )
        for logger in LOGGERS
    )
    return {"events": events, "candidates": candidates, "kpis": kpis, "residuals": residuals}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return build_run(tmp_path_factory.mktemp("dash") / "run")


def test_reader_sees_the_runs_sensors_by_kind(run_dir):
    """Each stored series is told apart as logger, flow meter, tank level or AMR meter."""
    kinds = RunReader(run_dir).sensors().set_index("sensor_id")["kind"].to_dict()
    assert kinds == {
        "11": "pressure",
        "21": "pressure",
        "31": "pressure",
        "2": "tank_level",
        "9": "flow",
        "12": "amr_demand",
    }


def test_reader_refuses_a_folder_without_a_store(tmp_path):
    """A folder that holds no twin.duckdb is named in the error."""
    with pytest.raises(FileNotFoundError, match="no twin.duckdb"):
        RunReader(tmp_path)


def test_operator_action_survives_a_new_reader(tmp_path):
    """An acknowledgement written through one reader is seen by a fresh one (a page reload)."""
    run = build_run(tmp_path / "run")
    RunReader(run).record_action("E001", "acknowledged", user="ops", run_time=110_000)
    states = operator_states(RunReader(run).actions())
    assert states == {"E001": "acknowledged"}


def test_operator_action_on_an_unknown_event_is_refused(tmp_path):
    """An event id that is not in the run is refused, naming it, and nothing is written."""
    reader = RunReader(build_run(tmp_path / "run"))
    with pytest.raises(KeyError, match="E999"):
        reader.record_action("E999", "repaired")
    with pytest.raises(ValueError, match="operator action 'fixed'"):
        reader.record_action("E001", "fixed")
    assert reader.actions().empty


def test_reads_and_actions_interleave_across_threads(tmp_path):
    """Reads from several server threads while actions are written never clash on the file."""
    reader = RunReader(build_run(tmp_path / "run"))
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(20):
                reader.series(["11"], "m", 0, 3600)
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for action in ("acknowledged", "crew_sent", "repaired"):
        reader.record_action("E001", action)
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(reader.actions()["action"]) == ["acknowledged", "crew_sent", "repaired"]


def test_schema_3_store_gains_the_actions_table_on_first_action(tmp_path):
    """A store written before operator actions existed is read, and takes an action."""
    run = build_run(tmp_path / "run")
    with duckdb.connect(str(run / "twin.duckdb")) as con:
        con.execute("DROP TABLE operator_actions")
        con.execute("UPDATE run SET schema_version = 3")
    reader = RunReader(run)
    assert reader.actions().empty
    reader.record_action("E001", "crew_sent")
    assert operator_states(reader.actions()) == {"E001": "crew sent"}


def test_event_rows_count_lost_water_and_money_up_to_the_position(run_dir):
    """A 10 m3/h leak started 2 h before the position has lost 20 m3, and merged events hide."""
    reader = RunReader(run_dir)
    rows = event_rows(
        reader.events(),
        reader.candidates(),
        {},
        pd.Timestamp(ORIGIN),
        93_600 + 7200 + 3600,  # 1 h after it was raised (raised 2 h after its start)
        reader.network(),
        0.8,
    )
    assert [r["event_id"] for r in rows] == ["E001"]
    assert rows[0]["lost_m3"] == pytest.approx(30.0)
    assert rows[0]["cost"] == pytest.approx(24.0)
    assert rows[0]["pipe"] == "12"
    pipes = reader.network().links["length_m"]
    assert rows[0]["search_area_km"] == pytest.approx(
        pipes[["12", "22", "21"]].sum() / 1000, abs=1e-3
    )


def test_zone_consumption_is_inflow_minus_tank_storage(run_dir):
    """Net1's zone takes the pump's flow less what its tank stores (level change x area)."""
    reader = RunReader(run_dir)
    consumption = zone_consumption(reader)
    (column,) = consumption.columns
    assert column.endswith("measured [m3/h]")
    hours = np.arange(len(consumption)) * STEP_S / 3600
    pump = 300 + 50 * np.sin(hours / 24 * 2 * np.pi)
    tank_m2 = np.pi * reader.network().model.get_node("2").diameter ** 2 / 4
    storage = tank_m2 * 0.5 * np.pi / 12 * np.cos(hours / 12 * np.pi)  # m3/h
    measured = consumption[column].to_numpy()
    # balanced over an hour, so within a few m3/h of the instantaneous balance; the storage
    # term itself swings by about 24 m3/h
    assert np.nanmax(np.abs(measured - (pump - storage))) < 10.0
    assert np.nanmax(np.abs(measured - pump)) > 20.0
