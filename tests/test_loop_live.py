"""`twin live`: the store fills while the twin watches, operator repairs reach the twin, Ctrl-C
leaves the store consistent."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from twin.scenario import scenarios_dir

HANOI = scenarios_dir() / "hanoi-leakdb-year.toml"
STEP_S = 300
WATCH_START_S = 86_400
WATCH_END_S = 2 * 86_400


def _start_live(out: Path, speed: float) -> subprocess.Popen:
    """`twin live` on one watched Tuesday of Hanoi (a day of history) with a 40 mm leak
    from 03:00, in a process of its own (as a control room runs it beside a dashboard)."""
    command = [
        sys.executable,
        "-c",
        "from twin.cli import main; main()",
        "live",
        str(HANOI),
        "--days",
        "1",
        "--speed",
        str(speed),
        "--out",
        str(out),
        "--set",
        "run.start=2018-01-09 00:00",
        "--set",
        'leaks=[{pipe="21", diameter_mm=40, start="+3h"}]',
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _query(out: Path, sql: str) -> list[tuple]:
    """A read-only query from this process, retried while the live run holds the store."""
    deadline = time.monotonic() + 20
    while True:
        try:
            with duckdb.connect(str(out / "twin.duckdb"), read_only=True) as con:
                return con.execute(sql).fetchall()
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _status(out: Path) -> dict:
    path = out / "live.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _wait_for(process: subprocess.Popen, ready, timeout_s: float = 180):
    """Poll ``ready()`` until it gives something truthy; fail if the run ends first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = ready()
        if found:
            return found
        if process.poll() is not None:
            pytest.fail(f"the live run ended first:\n{process.stdout.read()}")
        time.sleep(0.05)
    process.kill()
    pytest.fail("timed out waiting for the live run")


def _finished(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=180)
    assert process.returncode == 0, output
    return output


def _consistent(out: Path) -> None:
    """Bronze holds every stored batch whole, silver is refreshed over all of them, and the
    gold events are those of events.csv."""
    (bronze,) = _query(out, "SELECT count(*) FROM bronze")[0]
    (batched, stale) = _query(
        out, "SELECT sum(readings), count(*) FILTER (WHERE NOT in_silver) FROM batches"
    )[0]
    assert bronze == batched and stale == 0
    gold = {e for (e,) in _query(out, "SELECT event_id FROM events")}
    assert set(pd.read_csv(out / "events.csv")["event_id"]) <= gold


@pytest.mark.slow
def test_the_store_fills_while_the_twin_watches_and_an_operator_repair_is_honoured(tmp_path):
    """While the live run writes, another process sees the store grow and marks the first
    confirmed leak repaired through the dashboard's reader; the twin takes the leak as
    repaired at its next store update. The run ends with a consistent store."""
    from twin.dashboard.reader import RunReader

    out = tmp_path / "live"
    process = _start_live(out, speed=20_000)
    _wait_for(process, lambda: _status(out).get("state") == "watching")
    (first,) = _query(out, "SELECT count(*) FROM silver")[0]
    confirmed = (
        "SELECT event_id, confirmed_time FROM events WHERE state IN ('confirmed', 'localized')"
    )
    (event_id, confirmed_s) = _wait_for(process, lambda: _query(out, confirmed))[0]
    RunReader(out, live=True).record_action(event_id, "repaired", user="test")
    (later,) = _query(out, "SELECT count(*) FROM silver")[0]
    assert process.poll() is None and later > first
    _finished(process)
    status = _status(out)
    repairs = {r["event_id"]: r["run_time_s"] for r in status["repairs"]}
    assert status["state"] == "finished" and event_id in repairs
    assert confirmed_s < repairs[event_id] < WATCH_END_S
    states = dict(_query(out, "SELECT event_id, state FROM events"))
    assert states[event_id] == "repaired"
    (last,) = _query(out, "SELECT max(time) FROM silver")[0]
    assert last == WATCH_END_S
    _consistent(out)


def test_ctrl_c_stops_a_live_run_cleanly(tmp_path):
    """SIGINT in the watch ends the run with status 0, the store consistent and up to the
    step the twin had reached, and live.json saying it stopped."""
    out = tmp_path / "live"
    process = _start_live(out, speed=2_000)
    _wait_for(process, lambda: _status(out).get("state") == "watching")
    process.send_signal(signal.SIGINT)
    output = _finished(process)
    status = _status(out)
    assert status["state"] == "stopped" and "stopped early" in output
    assert WATCH_START_S <= status["run_time_s"] < WATCH_END_S
    (last,) = _query(out, "SELECT max(time) FROM silver")[0]
    assert status["run_time_s"] <= last <= status["run_time_s"] + STEP_S
    _consistent(out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["live_stopped"] is True
