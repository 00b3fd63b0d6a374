"""LeakDetector on one synthetic zone: new leaks, growing leaks, repairs and dips."""

import numpy as np
import pandas as pd
import pytest

from twin.detect.baseline import HOURS_PER_WEEK, HourOfWeekBaseline
from twin.detect.detector import LeakDetector
from twin.detect.events import EventState
from twin.detect.shape import step_evidence

STEP_S = 300
HOUR = 3600
NOISE_M3H = 0.5  # σ of a 5-minute residual; hourly medians are far quieter


def _detector() -> LeakDetector:
    """One zone whose consumption residual is 0 ± 1 m³/h in every hour of the week."""
    shape = (HOURS_PER_WEEK, 1)
    baseline = HourOfWeekBaseline(
        ("DMA",),
        pd.Timestamp("2018-01-01"),
        np.zeros(shape),
        np.ones(shape),
        np.full(shape, 10),
        np.full(shape, "hour-of-week"),
    )
    return LeakDetector(["DMA"], baseline, step_s=STEP_S)


def _run(leak_m3h, hours: float, seed: int = 0) -> LeakDetector:
    """Feed ``hours`` of residuals: noise plus ``leak_m3h(t_h)``, m³/h."""
    detector = _detector()
    rng = np.random.default_rng(seed)
    for t in range(STEP_S, int(hours * HOUR) + 1, STEP_S):
        residual = leak_m3h(t / HOUR) + rng.normal(0.0, NOISE_M3H)
        detector.update(t, np.array([residual]))
    return detector


def _confirmed(detector: LeakDetector) -> list:
    return [e for e in detector.book if e.confirmed_at is not None]


def test_step_evidence_tells_a_burst_from_a_ramp():
    """Of noisy 16-hour ramps, under 10% look like a burst; with a 4 σ jump 2 h before the
    end, over 90% do."""
    rng = np.random.default_rng(1)
    hours = np.arange(16)
    ramps = [0.4 * hours + rng.normal(0, 1, 16) for _ in range(200)]
    jumps = [r + np.where(hours >= 14, 4.0, 0.0) for r in ramps]
    assert np.mean([step_evidence(r, 1.0) > 2.0 for r in ramps]) < 0.10
    assert np.mean([step_evidence(j, 1.0) > 2.0 for j in jumps]) > 0.90


def test_an_incipient_leak_growing_for_days_is_one_event():
    """A leak growing from 0 to 20 m³/h over three days raises one event, not one per climb."""
    detector = _run(lambda h: 0.0 if h < 30 else min((h - 30) / 72, 1.0) * 20.0, 6 * 24)
    events = _confirmed(detector)
    assert len(events) == 1
    assert events[0].flow_m3h == pytest.approx(20.0, rel=0.25)


def test_a_burst_beside_a_growing_leak_is_a_new_event():
    """An abrupt 8 m³/h leak while another one grows is raised on its own, within 2 hours."""

    def flow(h: float) -> float:
        growing = 0.0 if h < 30 else min((h - 30) / 72, 1.0) * 20.0
        return growing + (8.0 if h >= 70 else 0.0)

    detector = _run(flow, 5 * 24)
    events = _confirmed(detector)
    assert len(events) == 2
    burst = events[1]
    assert burst.event_id in detector.bursts
    assert 70 * HOUR <= burst.raised_at <= 72 * HOUR


def test_a_dip_of_consumption_does_not_repair_a_leak():
    """Two hours of low consumption under a 10 m³/h leak leave the leak open."""
    detector = _run(lambda h: (10.0 if h >= 20 else 0.0) - (12.0 if 60 <= h < 62 else 0.0), 80)
    (event,) = _confirmed(detector)
    assert event.is_open


def test_a_repair_that_holds_closes_the_leak_at_the_drop():
    """A 10 m³/h leak that stops is marked repaired, dated within 2 h of the repair."""
    detector = _run(lambda h: 10.0 if 20 <= h < 60 else 0.0, 80)
    (event,) = _confirmed(detector)
    assert event.state == EventState.REPAIRED
    repaired_at = event.history[-1][0]
    assert 60 * HOUR <= repaired_at <= 62 * HOUR
    assert detector.believed_m3h[0] == pytest.approx(0.0)


def test_an_operator_repair_drops_the_leak_at_once_and_a_new_one_is_seen():
    """A leak the operator reports repaired is repaired then and no longer believed; a later
    leak in the same zone is raised as a new event."""
    detector = _detector()
    rng = np.random.default_rng(2)
    repaired = None
    for t in range(STEP_S, 80 * HOUR + 1, STEP_S):
        h = t / HOUR
        leak = 10.0 if 20 <= h < 40 else 6.0 if h >= 60 else 0.0
        detector.update(t, np.array([leak + rng.normal(0.0, NOISE_M3H)]))
        if t == 40 * HOUR:
            (first,) = _confirmed(detector)
            repaired = detector.operator_repaired(t, first.event_id)
            assert detector.believed_m3h[0] == pytest.approx(0.0)
    first, second = _confirmed(detector)
    assert repaired and first.state == EventState.REPAIRED
    assert first.history[-1][0] == 40 * HOUR
    assert detector.operator_repaired(80 * HOUR, first.event_id) is False
    assert second.is_open and 60 * HOUR <= second.raised_at <= 62 * HOUR
    assert second.flow_m3h == pytest.approx(6.0, rel=0.3)
