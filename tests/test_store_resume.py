"""A feed killed part-way (kill -9) resumes with no reading lost and none stored twice."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from twin.store import RunStore

WEEK = Path(__file__).resolve().parent / "data" / "scada" / "week"
WINDOWS = 56  # the real week in 3-hour batches

# A feed replaying the real week in 3-hour batches, resuming after the last stored event
# time. With PAUSE_IN=k it stops inside batch k's transaction (bronze rows inserted, not
# committed) and says so, so that the test can kill it exactly there.
FEED = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np
    import twin.store.run_store as run_store
    from twin.feeds.readings import Readings
    from twin.feeds.scada_files import read_scada_folder
    from twin.store import RunStore

    week, store_path = sys.argv[1], sys.argv[2]
    pause_in = int(os.environ.get("PAUSE_IN", "0"))
    insert = run_store._insert_bronze

    def insert_and_maybe_pause(con, batch):
        insert(con, batch)
        if batch == pause_in:
            print("inside", batch, flush=True)
            time.sleep(60)

    run_store._insert_bronze = insert_and_maybe_pause
    recording = read_scada_folder(week)
    r = recording.readings
    with RunStore.open(store_path, origin=recording.origin) as store:
        last = store.last_event_time("replay")
        print("resume after", last, flush=True)
        for start in range(0, 7 * 86400, 3 * 3600):
            if last is not None and start <= last:
                continue
            keep = (r.event_time >= start) & (r.event_time < start + 3 * 3600)
            batch = Readings("replay", r.sensor_id[keep], r.value[keep], r.unit[keep],
                             r.event_time[keep], r.arrival_time[keep])
            stored = store.ingest(batch, f"window {start}")
            print("stored", stored.batch, flush=True)
        store.refresh_silver()
    """
)


def _feed(tmp_path: Path, store: Path, pause_in: int = 0) -> subprocess.Popen:
    """Start the feed in its own Python process."""
    script = tmp_path / "feed.py"
    script.write_text(FEED)
    env = {**os.environ, "PAUSE_IN": str(pause_in)}
    return subprocess.Popen(
        [sys.executable, str(script), str(WEEK), str(store)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _tables(path: Path) -> dict:
    """Bronze, batches (without the wall-clock stamp) and silver, row by row."""
    with RunStore.open(path, read_only=True) as store:
        return {
            "bronze": store.con.execute("SELECT * FROM bronze ORDER BY reading").fetchall(),
            "batches": store.con.execute(
                "SELECT * EXCLUDE (stored_at) FROM batches ORDER BY batch"
            ).fetchall(),
            "silver": store.con.execute("SELECT * FROM silver ORDER BY ALL").fetchall(),
        }


def test_a_killed_feed_resumes_without_losing_or_repeating_readings(tmp_path):
    """Kill -9 inside batch 11's transaction, re-run: bronze equals an uninterrupted run."""
    clean = tmp_path / "clean" / "twin.duckdb"
    assert _feed(tmp_path, clean).wait(timeout=120) == 0

    killed = tmp_path / "killed" / "twin.duckdb"
    feed = _feed(tmp_path, killed, pause_in=11)
    for line in feed.stdout:
        if line.startswith("inside"):
            os.kill(feed.pid, signal.SIGKILL)
            break
    feed.wait(timeout=60)
    assert feed.returncode == -signal.SIGKILL

    with RunStore.open(killed, read_only=True) as store:
        stored = store.con.execute("SELECT count(*), max(batch) FROM batches").fetchall()
        assert stored == [(10, 10)]  # batch 11's inserted rows did not survive the kill
        assert store.con.execute("SELECT count(*) FROM bronze").fetchall() == [(10 * 36 * 4,)]
        assert store.last_event_time("replay") == 10 * 3 * 3600 - 300

    again = _feed(tmp_path, killed)
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0
    assert out.splitlines()[0] == f"resume after {10 * 3 * 3600 - 300}"
    assert out.count("stored") == WINDOWS - 10
    assert _tables(killed) == _tables(clean)
    assert len(_tables(clean)["bronze"]) == 4 * 2016
