"""BattLeDIM scoring rules on a hand-built truth with known volumes, and the results file."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.evaluate import (
    LeakTruth,
    PipeDistances,
    read_leak_events_2018,
    read_leaks_txt,
    score,
    write_leaks_txt,
)

DATA = Path(__file__).parent / "data" / "battledim"
T = pd.Timestamp("2018-01-01 00:00")
A_EUR_AFTER_2H = 0.80 * 3 * 36  # leak A from 02:00 to its repair at 05:00: 3 h at 36 m3/h


def at(hhmm: str) -> pd.Timestamp:
    return pd.Timestamp(f"2018-01-01 {hhmm}")


@pytest.fixture
def line() -> PipeDistances:
    """Five 100 m pipes in a row: p1 (n0-n1), p2, p3, p4, p5 (n4-n5); middles 100 m apart."""
    nodes = [f"n{k}" for k in range(6)]
    pipes = pd.DataFrame(
        {"start_node": nodes[:-1], "end_node": nodes[1:], "length_m": 100.0},
        index=[f"p{k}" for k in range(1, 6)],
    )
    return PipeDistances(pipes, nodes)


def _truth(with_outflow: bool = True) -> LeakTruth:
    """Leak A on p1 01:00-05:00 and leak B on p5 from 03:00 (never repaired), 36 m3/h each.

    The data run 00:00-06:00 on a 5-min grid: A loses 144 m3, B 108 m3.
    """
    leaks = pd.DataFrame(
        {
            "site": ["p1", "p5"],
            "on": "pipe",
            "diameter_m": 0.02,
            "type": "abrupt",
            "start": [at("01:00"), at("03:00")],
            "peak": pd.NaT,
            "end": [at("05:00"), pd.NaT],
        },
        index=pd.Index(["A", "B"], name="leak_id"),
    )
    grid = pd.date_range(T, at("06:00"), freq="5min")
    outflow = pd.DataFrame(
        {
            "A": np.where((grid >= at("01:00")) & (grid < at("05:00")), 0.01, 0.0),
            "B": np.where(grid >= at("03:00"), 0.01, 0.0),
        },
        index=grid,
    )
    return LeakTruth(leaks, outflow if with_outflow else None, at("06:00"))


def _score(*detections: tuple[str, str], with_outflow: bool = True, distances=None):
    frame = pd.DataFrame([(p, at(t)) for p, t in detections], columns=["pipe", "time"])
    return score(frame, _truth(with_outflow), distances)


def test_a_hit_earns_080_eur_per_m3_lost_from_detection_to_repair(line):
    """Detected on its own pipe 1 h after the start: 3 h of 36 m3/h saved, 86.40 EUR."""
    result = _score(("p1", "02:00"), distances=line)
    row = result.detections.iloc[0]
    assert (row.outcome, row.leak, row.distance_m) == ("hit", "A", 0.0)
    assert row.earned_eur == pytest.approx(86.4, abs=1e-9)
    assert result.total_eur == pytest.approx(86.4, abs=1e-9)


def test_perfect_detections_score_the_whole_volume(line):
    """Each leak found at its start on its pipe: 0.80 x (144 + 108) m3 = 201.60 EUR, 100 %."""
    result = _score(("p1", "01:00"), ("p5", "03:00"), distances=line)
    assert result.perfect_eur == pytest.approx(201.6, abs=1e-9)
    assert result.total_eur == pytest.approx(201.6, abs=1e-9)
    assert result.share_of_perfect == pytest.approx(1.0)
    assert result.leaks["volume_m3"].tolist() == pytest.approx([144.0, 108.0])


def test_a_false_alarm_costs_500_eur(line):
    """A detection where and when nothing leaks sends a crew for nothing."""
    result = _score(("p3", "00:30"), distances=line)
    row = result.detections.iloc[0]
    assert (row.outcome, row.leak, row.earned_eur) == ("false alarm", None, -500.0)
    assert (result.false_alarms, result.hits, result.missed) == (1, 0, 2)
    assert result.total_eur == -500.0


def test_a_repeat_hit_scores_nothing(line):
    """A second detection of a leak already found neither earns nor costs."""
    result = _score(("p1", "02:00"), ("p2", "02:30"), distances=line)
    second = result.detections.iloc[1]
    assert (second.outcome, second.leak, second.earned_eur) == ("repeat", "A", 0.0)
    assert (result.hits, result.repeat_hits, result.false_alarms) == (1, 1, 0)
    assert result.total_eur == pytest.approx(A_EUR_AFTER_2H)


@pytest.mark.parametrize(
    ("time", "outcome", "eur"),
    [
        ("00:55", "false alarm", -500.0),  # before leak A starts
        ("01:00", "hit", 0.8 * 144),  # at its start: the whole volume
        ("05:00", "hit", 0.0),  # at its repair: nothing left to save
        ("05:05", "false alarm", -500.0),  # after its repair
    ],
)
def test_a_detection_outside_the_leak_window_is_a_false_alarm(line, time, outcome, eur):
    """The window runs from the leak's start to its repair, both included."""
    row = _score(("p1", time), distances=line).detections.iloc[0]
    assert row.outcome == outcome
    assert row.earned_eur == pytest.approx(eur, abs=1e-9)


@pytest.mark.parametrize(
    ("pipe", "outcome", "eur"),
    [
        ("p2", "hit", A_EUR_AFTER_2H - 100 / 300 * 500),  # 100 m
        ("p4", "hit", A_EUR_AFTER_2H - 500),  # 300 m, at the tolerance: still found
        ("p5", "false alarm", -500.0),  # 400 m, beyond it
    ],
)
def test_distance_costs_its_share_of_500_eur_up_to_300_m(line, pipe, outcome, eur):
    """A hit d metres from the leak pays d / 300 x 500 EUR for the crew's search."""
    row = _score((pipe, "02:00"), distances=line).detections.iloc[0]
    assert row.outcome == outcome
    assert row.earned_eur == pytest.approx(eur, abs=1e-9)
    if outcome == "hit":
        assert row.distance_m == pytest.approx(line.pipe_distance("p1", pipe))


def test_a_false_alarm_reports_the_distance_to_the_nearest_leak(line):
    """Right place, wrong time: on B's pipe before B starts is a false alarm 0 m from B."""
    row = _score(("p5", "02:00"), distances=line).detections.iloc[0]
    assert (row.outcome, row.leak, row.distance_m) == ("false alarm", None, 0.0)


def test_an_unrepaired_leak_runs_to_the_data_end(line):
    """Leak B is never repaired: found at 05:00 it saves 1 h; after the data end, nothing."""
    result = _score(("p5", "05:00"), ("p5", "06:05"), distances=line)
    first, late = result.detections.itertuples()
    assert first.outcome == "hit" and first.earned_eur == pytest.approx(0.8 * 36, abs=1e-9)
    assert late.outcome == "false alarm"
    assert result.leaks.loc["B", "window_end"] == at("06:00")


def test_a_detection_near_two_leaks_goes_to_the_one_it_earns_most_on(line):
    """p3 is 200 m from both: B (2 h left) earns more than A (1 h left) at 04:00.

    The next detection there then finds A: a leak not yet hit comes before a repeat.
    """
    result = _score(("p3", "04:00"), ("p3", "04:10"), distances=line)
    first, second = result.detections.itertuples()
    assert (first.outcome, first.leak) == ("hit", "B")
    assert first.earned_eur == pytest.approx(0.8 * 72 - 200 / 300 * 500)
    assert (second.outcome, second.leak) == ("hit", "A")
    assert second.earned_eur == pytest.approx(0.8 * 30 - 200 / 300 * 500)


def test_detections_are_scored_in_time_order(line):
    """Listed late first, the earlier detection still takes the hit."""
    result = _score(("p1", "03:00"), ("p1", "02:00"), distances=line)
    assert result.detections["time"].tolist() == [at("02:00"), at("03:00")]
    assert result.detections["outcome"].tolist() == ["hit", "repeat"]


def test_detection_delay_per_leak(line):
    """Delay = first hit - leak start; a missed leak has none."""
    result = _score(("p1", "02:00"), ("p1", "02:30"), distances=line)
    assert result.delays.to_dict() == {"A": pd.Timedelta(hours=1)}
    assert result.missed == 1 and pd.isna(result.leaks.loc["B", "first_hit"])


def test_a_leak_at_a_junction_is_measured_from_the_node(line):
    """A leak at n2 is 50 m from the middle of p2 (and of p3)."""
    truth = _truth()
    leaks = truth.leaks.assign(on=["junction", "pipe"], site=["n2", "p5"])
    frame = pd.DataFrame({"pipe": ["p2"], "time": [at("02:00")]})
    row = score(frame, LeakTruth(leaks, truth.outflow_m3s, truth.data_end), line).detections
    assert (row.outcome.iat[0], row.distance_m.iat[0]) == ("hit", 50.0)


def test_without_outflows_hits_and_false_alarms_count_but_no_money(line):
    """The real 2018 truth has no outflow series: a hit's money is unknown, totals None."""
    result = _score(("p3", "00:10"), ("p1", "02:00"), with_outflow=False, distances=line)
    alarm, hit = result.detections.itertuples()
    assert hit.outcome == "hit" and np.isnan(hit.earned_eur)
    assert alarm.earned_eur == -500.0
    assert (result.total_eur, result.perfect_eur, result.share_of_perfect) == (None, None, None)
    assert result.delays.to_dict() == {"A": pd.Timedelta(hours=1)}


def test_a_detection_on_an_unknown_pipe_is_an_error(line):
    """Scoring checks the detected pipes against the network."""
    with pytest.raises(ValueError, match="no pipe 'p9'"):
        _score(("p9", "02:00"), distances=line)


def test_the_2018_leak_list_reads_as_windows_without_outflows():
    """14 leaks; the 4 not repaired in 2018 run to the data end, 2018-12-31 23:55."""
    truth = read_leak_events_2018(DATA / "2018_leak_events.csv")
    assert len(truth.leaks) == 14 and truth.outflow_m3s is None
    assert truth.leaks["end"].isna().sum() == 4
    assert pd.isna(truth.leaks.loc["leak_p257", "end"])
    assert truth.leaks.loc["leak_p461", "end"] == pd.Timestamp("2018-04-02 11:40")
    assert truth.leaks.loc["leak_p673", ["site", "type"]].tolist() == ["p673", "abrupt"]
    assert truth.data_end == pd.Timestamp("2018-12-31 23:55")


def test_leaks_txt_round_trip_rounds_times_up_to_the_minute(tmp_path):
    """Written in the BattLeDIM layout and read back; 02:00:30 becomes 02:01, never 02:00."""
    detections = pd.DataFrame({"pipe": ["p1", "p5"], "time": [at("02:00:30"), at("03:00")]})
    path = write_leaks_txt(tmp_path / "leaks.txt", detections)
    assert path.read_text().splitlines() == [
        "# linkID, startTime",
        "p1, 2018-01-01 02:01",
        "p5, 2018-01-01 03:00",
    ]
    back = read_leaks_txt(path)
    assert back["time"].tolist() == [at("02:01"), at("03:00")]
    assert back["line"].tolist() == [2, 3]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p1, 2018-01-01 02:00\n", "line 1: expected the header '# linkID, startTime'"),
        ("", "line 1: expected the header"),
        ("# linkID, startTime\np1, 2018-01-01 02:00\np2 2018-01-01 03:00\n", "line 3: expected"),
        ("# linkID, startTime\n\np1, 2018-01-01 2:00\n", "line 3: expected 'PIPE, YYYY-MM-DD"),
        ("# linkID, startTime\np1, 2018-02-30 02:00\n", "line 2: '2018-02-30 02:00' is no valid"),
        ("# linkID, startTime\np1, 2018-01-01 02:00\np77, 2018-01-01 02:00\n", "line 3: no pipe"),
    ],
)
def test_leaks_txt_errors_name_the_file_and_the_line(tmp_path, text, message):
    """A bad results file is refused with the file, the line and what was expected."""
    path = tmp_path / "team.txt"
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        read_leaks_txt(path, pipes={"p1", "p2"})
    assert str(error.value).startswith(f"{path}, ")
    assert message in str(error.value)
