"""Matching the twin's events to true leaks, and the localization figures, on hand-built tables."""

import numpy as np
import pandas as pd
import pytest

from twin.evaluate import PipeDistances
from twin.evaluate.metrics import false_alarms, localize_leaks, match_events, summary

T0 = pd.Timestamp("2018-03-01")


def _events(*rows) -> pd.DataFrame:
    """Events ``(event_id, hours after T0, zone[, pipe[, search area pipes, km]])``."""
    records = []
    for event_id, hours, zone, *where in rows:
        pipe, walk, km = (list(where) + [None, None, np.nan])[:3]
        records.append(
            {
                "event_id": event_id,
                "detected_at": (T0 + pd.Timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S"),
                "area": zone,
                "pipe": pipe or "",
                "search_area_pipes": walk or "",
                "search_area_km": km,
            }
        )
    return pd.DataFrame(records)


def _leaks(*rows) -> pd.DataFrame:
    """Leaks ``(pipe, zone, start hours after T0[, kind])``."""
    return pd.DataFrame(
        [
            {"pipe": pipe, "zone": zone, "start": T0 + pd.Timedelta(hours=h), "kind": kind}
            for pipe, zone, h, *more in rows
            for kind in [more[0] if more else "abrupt"]
        ]
    )


@pytest.fixture
def line():
    """Five pipes in a row, 100 m each: p1 - p2 - p3 - p4 - p5."""
    nodes = ["n0", "n1", "n2", "n3", "n4", "n5"]
    pipes = pd.DataFrame(
        {"start_node": nodes[:-1], "end_node": nodes[1:], "length_m": [100.0] * 5},
        index=[f"p{k}" for k in range(1, 6)],
    )
    return PipeDistances(pipes, nodes)


def test_an_event_in_another_zone_is_a_false_alarm():
    """A leak in AB and an event in C at the right time: the leak is missed, the event wrong."""
    events = _events(("E1", 2, "C"))
    matched = match_events(events, _leaks(("p1", "AB", 1)))
    assert matched["event_id"].isna().all()
    assert false_alarms(events, matched)["event_id"].tolist() == ["E1"]


def test_the_earliest_undetected_leak_of_the_zone_takes_the_event():
    """Two open leaks in AB: the first event goes to the earlier leak, the next to the other."""
    leaks = _leaks(("p2", "AB", 5), ("p1", "AB", 1))
    matched = match_events(_events(("E2", 9, "AB"), ("E1", 6, "AB")), leaks)
    assert matched["event_id"].tolist() == ["E2", "E1"]
    assert matched["delay_h"].tolist() == [4.0, 5.0]


def test_an_event_up_to_an_hour_before_the_start_counts():
    """Raised 30 min early it detects the leak (delay -0.5 h); 2 h early it is a false alarm."""
    early = match_events(_events(("E1", 9.5, "AB")), _leaks(("p1", "AB", 10)))
    assert early["delay_h"].tolist() == [-0.5]
    events = _events(("E1", 8, "AB"))
    too_early = match_events(events, _leaks(("p1", "AB", 10)))
    assert too_early["event_id"].isna().all()
    assert len(false_alarms(events, too_early)) == 1


def test_a_second_event_for_a_detected_leak_is_a_false_alarm():
    """Each leak is detected once: a repeat event counts against the twin."""
    events = _events(("E1", 2, "AB"), ("E2", 3, "AB"))
    matched = match_events(events, _leaks(("p1", "AB", 1)))
    assert matched["event_id"].tolist() == ["E1"]
    assert false_alarms(events, matched)["event_id"].tolist() == ["E2"]


def test_localization_distance_runs_from_the_top_pipe_to_the_leak_pipe(line):
    """The twin names p4 for a leak on p1: 300 m from middle to middle, not top-1."""
    events = _events(("E1", 2, "AB", "p4", "p3;p4;p5", 0.3))
    located = localize_leaks(match_events(events, _leaks(("p1", "AB", 1))), events, line)
    row = located.iloc[0]
    assert row["localized"] and not row["top1"] and not row["in_search_area"]
    assert row["distance_m"] == pytest.approx(300.0)
    assert row["search_area_km"] == pytest.approx(0.3)


def test_top1_and_top10_follow_the_latest_ranking(line):
    """A first ranking missed p2; the refined one puts it 2nd: top-10 yes, top-1 no."""
    events = _events(("E1", 2, "AB", "p3", "p2;p3", 0.2))
    candidates = pd.DataFrame(
        {
            "event_id": ["E1"] * 3,
            "time": ["2018-03-01 03:00:00", "2018-03-01 05:00:00", "2018-03-01 05:00:00"],
            "rank": [1, 1, 2],
            "pipe": ["p5", "p3", "p2"],
            "probability": [0.9, 0.6, 0.3],
        }
    )
    matched = match_events(events, _leaks(("p2", "AB", 1)))
    located = localize_leaks(matched, events, line, candidates).iloc[0]
    assert located["rank"] == 2 and bool(located["top10"]) and not located["top1"]
    assert located["in_search_area"]
    exact = localize_leaks(match_events(events, _leaks(("p3", "AB", 1))), events, line)
    assert exact["top1"].tolist() == [True] and exact["distance_m"].tolist() == [0.0]


def test_events_without_localization_columns_count_as_detected_not_localized(line):
    """An older run's events (no pipe column): detected, not localized, top-10 unknown."""
    events = _events(("E1", 2, "AB"))[["event_id", "detected_at", "area"]]
    located = localize_leaks(match_events(events, _leaks(("p1", "AB", 1))), events, line)
    assert located["event_id"].tolist() == ["E1"]
    assert not located["localized"].any() and not located["top1"].any()
    assert located["top10"].isna().all() and located["distance_m"].isna().all()
    figures = summary(located, 0, 14.0)
    assert figures.at["detected", "shown"] == "100%"
    assert figures.at["detected", "basis"] == "1/1 leaks"
    assert figures.at["top1", "value"] == 0.0
    assert figures.at["top10", "shown"] == "unavailable"
    assert figures.at["distance_median_m", "shown"] == "unavailable"


def test_summary_figures_over_several_leaks(line):
    """Three leaks, two detected (one on its pipe, one 200 m off), one false alarm in 15 days."""
    events = _events(
        ("E1", 2, "AB", "p1", "p1;p2", 0.2),
        ("E2", 30, "AB", "p5", "p4;p5", 0.4),
        ("E3", 40, "C"),
    )
    leaks = _leaks(("p1", "AB", 1), ("p3", "AB", 20, "incipient"), ("p2", "C", 50))
    matched = match_events(events, leaks)
    located = localize_leaks(matched, events, line)
    figures = summary(located, len(false_alarms(events, matched)), 15.0, 800.0, 1000.0)
    value = figures["value"]
    assert value["detected"] == pytest.approx(2 / 3)
    assert value["false_alarms_per_30d"] == pytest.approx(2.0)
    assert value["delay_abrupt_h"] == pytest.approx(1.0)
    assert value["delay_incipient_h"] == pytest.approx(10.0)
    assert value["top1"] == pytest.approx(0.5)
    assert value["distance_median_m"] == pytest.approx(100.0)
    assert value["distance_p90_m"] == pytest.approx(180.0)
    assert value["within_300m"] == pytest.approx(1.0)
    assert value["search_area_km"] == pytest.approx(0.3)
    assert value["battledim_share"] == pytest.approx(0.8)
    assert figures.at["battledim_share", "shown"] == "80.0%"
