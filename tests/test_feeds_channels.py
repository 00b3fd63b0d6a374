"""Tests of twin.feeds.channels and twin.feeds.clock: when and how readings reach the twin."""

import time

import numpy as np
import pytest

from twin.feeds.channels import Inbox, ami_head_end, scada_poller
from twin.feeds.clock import make_environment
from twin.feeds.faults import FaultRates, draw_faults
from twin.feeds.instruments import amr_meters, flow_meters, pressure_loggers, tank_levels

HOUR = 3_600
DAY = 86_400


def _plant(env, banks, step=60, truth=None):
    """A stand-in plant: every ``step`` s, observe each bank with ``truth(bank, t)``."""
    truth = truth or (lambda bank, t: np.full(len(bank), 50.0 + np.sin(t / 3600.0)))
    while True:
        for bank in banks:
            bank.observe(env.now, truth(bank, env.now))
        yield env.timeout(step)


def _arrivals_checked(env, inbox):
    """A sink that checks each batch arrives at the simulated time it says."""

    def sink(readings):
        assert (readings.arrival_time == env.now).all()
        inbox(readings)

    return sink


def _run_scada(until, seed=0, truth=None, **options):
    env = make_environment()
    banks = [pressure_loggers(["n1", "n4", "n31"], seed=seed), tank_levels(["T1"], seed=seed)]
    inbox = Inbox()
    env.process(scada_poller(env, banks, _arrivals_checked(env, inbox), seed=seed, **options))
    env.process(
        _plant(env, banks, truth=truth)
    )  # started second: sampling still sees the step at t
    env.run(until=until)
    return inbox


def test_scada_polls_arrive_with_latency_in_range():
    """Every poll arrives whole, at its poll time plus a latency inside the configured range."""
    inbox = _run_scada(DAY, latency=(2, 30))
    assert len(inbox.batches) == DAY // 300 - 1  # the poll at 86400 s arrives after the run
    for batch in inbox.batches:
        assert sorted(batch.sensor_id.tolist()) == ["T1", "n1", "n31", "n4"]
        latency = batch.arrival_time - batch.event_time
        assert (latency >= 2).all() and (latency <= 30).all()
        assert (batch.event_time % 300 == 0).all()
    assert {b.channel for b in inbox.batches} == {"scada"}


def test_lost_polls_deliver_nothing():
    """A lost poll never arrives; the others arrive complete."""
    assert len(_run_scada(DAY, lost_poll_rate=1.0)) == 0
    inbox = _run_scada(10 * DAY, lost_poll_rate=0.2, seed=4)
    polls = 10 * DAY // 300
    assert len(inbox.batches) / polls == pytest.approx(0.8, abs=0.03)
    assert all(len(b) == 4 for b in inbox.batches)


def test_poll_period_longer_than_logging_period_delivers_backlog():
    """Loggers sampling every 5 min polled every 15 min deliver three samples per poll."""
    inbox = _run_scada(HOUR + 1, period=900, latency=(0, 0))
    first = inbox.batches[0]
    assert sorted(set(first.event_time.tolist())) == [300, 600, 900]
    assert (first.arrival_time == 900).all()


def test_tank_level_poll_sees_step_at_poll_time():
    """The level sampled at t is the plant's level at t, whichever process started first."""

    def step_number(bank, t):
        return np.full(len(bank), t / 60.0)

    level = _run_scada(HOUR, latency=(0, 0), truth=step_number).readings()
    rows = level.sensor_id == "T1"
    np.testing.assert_allclose(level.value[rows], level.event_time[rows] / 60.0, atol=0.02)


def _run_ami(until, seed=0, meters=20, **options):
    env = make_environment()
    bank = amr_meters([f"c{i}" for i in range(meters)], noise_std=0.0, seed=seed)
    inbox = Inbox()
    env.process(_plant(env, [bank], step=300, truth=lambda b, t: np.arange(len(b), dtype=float)))
    env.process(ami_head_end(env, [bank], _arrivals_checked(env, inbox), seed=seed, **options))
    env.run(until=until)
    return inbox


def test_ami_batches_arrive_after_each_upload():
    """With hourly readings and daily uploads, each upload brings 24 readings per meter."""
    inbox = _run_ami(3 * DAY + HOUR, upload_period=DAY, delay=(60, 600))
    assert len(inbox.batches) == 3
    for day, batch in enumerate(inbox.batches, start=1):
        assert len(batch) == 20 * 24
        assert batch.arrival_time[0] - day * DAY in range(60, 601)
        assert batch.event_time.min() == (day - 1) * DAY + HOUR
        assert batch.event_time.max() == day * DAY
    values = inbox.readings()
    np.testing.assert_allclose(values.value, [float(s[1:]) for s in values.sensor_id])


def test_ami_late_batches_arrive_hours_later():
    """Late meters' batches arrive late_delay after the upload, the others on time."""
    inbox = _run_ami(
        30 * DAY, upload_period=DAY, late_rate=0.3, late_delay=(2 * HOUR, 5 * HOUR), seed=2
    )
    all_ = inbox.readings()
    lag = all_.arrival_time - (all_.event_time + DAY - 1) // DAY * DAY
    late = lag >= 2 * HOUR
    assert late.mean() == pytest.approx(0.3, abs=0.05)
    assert (lag[late] <= 5 * HOUR).all() and (lag[~late] <= 900).all()
    # A meter's whole daily batch is late together: one arrival time per meter and upload.
    pairs = {(s, a) for s, a in zip(all_.sensor_id, all_.arrival_time, strict=True)}
    assert len(pairs) == len(all_) // 24


def test_ami_missing_batches_never_arrive():
    """Missing batches never arrive, however long the run goes on."""
    inbox = _run_ami(31 * DAY, upload_period=DAY, missing_rate=0.25, seed=3)
    delivered = len(inbox) / (30 * 20 * 24)
    assert delivered == pytest.approx(0.75, abs=0.05)
    assert len(_run_ami(3 * DAY, upload_period=DAY, missing_rate=1.0)) == 0


def test_ami_clock_offsets_shift_each_meter_by_a_fixed_amount():
    """Each meter's event times are off the hour by its own fixed offset, spread as configured."""
    inbox = _run_ami(
        5 * DAY, meters=400, upload_period=DAY, clock_offset_std=30.0, delay=(0, 0), seed=8
    )
    got = inbox.readings()
    offset = (got.event_time + HOUR // 2) % HOUR - HOUR // 2
    per_meter = {s: set(offset[got.sensor_id == s].tolist()) for s in np.unique(got.sensor_id)}
    assert all(len(v) == 1 for v in per_meter.values())
    assert np.std([v.pop() for v in per_meter.values()]) == pytest.approx(30.0, rel=0.15)


def test_channels_are_reproducible_with_seed():
    """The same seed gives the same bytes from both channels; another seed does not."""

    def fingerprint(seed):
        scada = _run_scada(DAY, seed=seed, lost_poll_rate=0.1).readings()
        ami = _run_ami(3 * DAY, seed=seed, late_rate=0.2, missing_rate=0.1).readings()
        fields = ("value", "event_time", "arrival_time")
        return b"".join(getattr(r, f).tobytes() for r in (scada, ami) for f in fields)

    assert fingerprint(1) == fingerprint(1)
    assert fingerprint(1) != fingerprint(2)


def test_week_of_ltown_sized_feeds():
    """A week of 119 L-Town instruments with faults on, 60-s plant steps, delivers every reading."""
    env = make_environment()
    pressure_ids = [f"n{i}" for i in range(33)]
    pressure = pressure_loggers(
        pressure_ids,
        seed=1,
        faults=draw_faults(pressure_ids, 0, 7 * DAY, FaultRates.all_on(52.0), seed=2),
    )
    flow, level = flow_meters(["p227", "p235", "PUMP_1"], seed=1), tank_levels(["T1"], seed=1)
    amr = amr_meters([f"c{i}" for i in range(82)], seed=1)
    scada, ami = Inbox(), Inbox()
    env.process(_plant(env, [pressure, flow, level, amr], step=60))
    env.process(scada_poller(env, [pressure, flow, level], scada, seed=3))
    env.process(ami_head_end(env, [amr], ami, upload_period=DAY, seed=4))
    env.run(until=7 * DAY + HOUR)
    assert len(scada) == 37 * ((7 * DAY + HOUR) // 300 - 1)  # the last poll ends the run
    assert len(ami) == 82 * 7 * 24
    assert np.isnan(scada.readings().value).any()  # the dropouts show as empty readings


def test_realtime_clock_runs_at_configured_speed():
    """600 simulated seconds at speed 600 take about one wall second."""
    env = make_environment(speed=600)
    ticks = []

    def ticker(env):
        while True:
            ticks.append(env.now)
            yield env.timeout(60)

    env.process(ticker(env))
    env.sync()
    start = time.monotonic()
    env.run(until=600)
    elapsed = time.monotonic() - start
    assert 0.8 <= elapsed <= 3.0
    assert ticks == list(range(0, 600, 60))


def test_fast_clock_starts_at_origin():
    """An as-fast-as-possible clock starts at the given second and refuses a bad speed."""
    assert make_environment(origin_s=7200).now == 7200
    with pytest.raises(ValueError, match="speed"):
        make_environment(speed=0)
