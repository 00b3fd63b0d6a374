"""Replay: a recorded week of real BattLeDIM SCADA enters the twin as a feed on the clock."""

from pathlib import Path

import numpy as np
import simpy

from twin.feeds.channels import Inbox
from twin.feeds.replay import replay
from twin.feeds.scada_files import read_scada_folder
from twin.store import RunStore, StoreSink, quality_summary

WEEK = Path(__file__).parent / "data" / "scada" / "week"


def test_replay_delivers_every_recorded_reading_once_when_its_time_comes():
    """The real 2018 week (3 flows, 1 level): 2,016 deliveries, none before its event time."""
    recording = read_scada_folder(WEEK).readings
    env, inbox = simpy.Environment(), Inbox()
    env.process(replay(env, recording, inbox, period=300))
    env.run()
    delivered = inbox.readings()
    assert len(inbox.batches) == 7 * 288
    assert len(delivered) == len(recording) == 4 * 7 * 288
    assert np.all(delivered.arrival_time >= delivered.event_time)
    assert np.all(delivered.arrival_time - delivered.event_time < 300)
    assert sorted(delivered.value.tolist()) == sorted(recording.value.tolist())


def test_replayed_week_in_the_store_equals_the_files(tmp_path):
    """Replayed through a buffered store sink, silver covers the 4 sensors fully, unflagged."""
    scada = read_scada_folder(WEEK)
    env = simpy.Environment()
    with RunStore.open(tmp_path / "twin.duckdb", origin=scada.origin, network="L-TOWN") as store:
        sink = StoreSink(store, flush_readings=1_000)
        env.process(replay(env, scada.readings, sink))
        env.run()
        sink.flush()
        store.refresh_silver()
        summary = quality_summary(store)
        assert sink.stored == 4 * 7 * 288
        assert store.last_event_time("replay") == (7 * 288 - 1) * 300
    assert sorted(summary["sensor_id"]) == ["PUMP_1", "T1", "p227", "p235"]
    assert (summary["coverage_pct"] == 100).all() and (summary["flagged"] == 0).all()
