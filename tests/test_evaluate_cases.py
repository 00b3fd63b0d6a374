"""Evaluation cases drawn from a seed, and ``twin evaluate`` end to end."""

import sys

import pandas as pd
import pytest
from click.testing import CliRunner
from typer.main import get_group

import twin.cli.evaluate  # noqa: F401  (importing a command module registers its command)
from twin.cli import main
from twin.cli.app import app
from twin.evaluate.cases import CasePlan, draw_cases, leak_pipes
from twin.network import load, network_areas, resolve_network
from twin.network.sensors import sidecar_layout


@pytest.fixture(scope="module")
def drawn():
    """Twelve L-Town cases from seed 7, leaks of 10-14 mm."""
    return draw_cases("L-TOWN", 12, seed=7, diameters=(10, 14))


def test_the_same_seed_draws_the_same_cases(drawn):
    """Drawn again from seed 7: equal; the first cases do not depend on how many are drawn."""
    assert draw_cases("L-TOWN", 12, seed=7, diameters=(10, 14)) == drawn
    assert draw_cases("L-TOWN", 3, seed=7, diameters=(10, 14)) == drawn[:3]
    assert draw_cases("L-TOWN", 12, seed=8, diameters=(10, 14)) != drawn


def test_leak_diameters_lie_in_the_range(drawn):
    """Every leak is 10-14 mm, and they are not all the same size."""
    sizes = [leak.diameter_mm for case in drawn for leak in case.leaks]
    assert all(10 <= size <= 14 for size in sizes)
    assert len(set(sizes)) > 5


def test_leaks_start_in_the_first_12_watched_days(drawn):
    """Starts fall after the 7 days of history and before day 7 + 12; growth 1-4 days."""
    for case in drawn:
        assert case.history_days == 7 and case.watch_days == 14
        for leak in case.leaks:
            assert 7 * 24 <= leak.start_h < 19 * 24
            if leak.kind == "incipient":
                assert 24 <= leak.peak_h - leak.start_h <= 96
    kinds = {leak.kind for case in drawn for leak in case.leaks}
    assert kinds == {"abrupt", "incipient"}


def test_one_to_three_leaks_on_distinct_pipes_inside_a_zone(drawn):
    """1-3 leaks per case, never twice on one pipe, never on a meter or a zone boundary."""
    inp = resolve_network("L-TOWN")
    wn = load(inp)
    allowed = set(leak_pipes(wn, network_areas(inp, wn, sidecar_layout(inp).flow)))
    assert not {"p227", "p235"} & allowed
    for case in drawn:
        pipes = [leak.pipe for leak in case.leaks]
        assert 1 <= len(pipes) <= 3 and len(set(pipes)) == len(pipes)
        assert set(pipes) <= allowed


def test_a_shorter_watch_keeps_leaks_inside_it():
    """With a 2-day watch, leaks start within its first 6/7."""
    for case in draw_cases("L-TOWN", 5, seed=1, plan=CasePlan.watching(2.0)):
        assert case.days == 9.0
        assert all(7 * 24 <= leak.start_h < 7 * 24 + 2 * 24 * 6 / 7 for leak in case.leaks)


def test_bad_leak_diameters_are_refused_cleanly(monkeypatch, capsys):
    """--leak-diameters 25,8: exit 2, the option named, no traceback."""
    monkeypatch.setattr(sys, "argv", ["twin", "evaluate", "L-TOWN", "--leak-diameters", "25,8"])
    with pytest.raises(SystemExit) as done:
        main()
    err = " ".join(capsys.readouterr().err.split())
    assert done.value.code == 2
    assert "--leak-diameters '25,8': expected SMALLEST,LARGEST in mm" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_evaluate_one_short_case_end_to_end(tmp_path, monkeypatch):
    """One L-Town case with a 1-day watch: the figures table, and a row per leak in leaks.csv."""
    monkeypatch.setenv("COLUMNS", "200")  # rich's console: one table row a line
    out = tmp_path / "eval"
    args = ["evaluate", "L-TOWN", "--cases", "1", "--seed", "1", "--workers", "1"]
    result = CliRunner().invoke(
        get_group(app), [*args, "--watch-days", "1", "--out", str(out)], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    for figure in (
        "leaks detected",
        "false alarms per 30 days",
        "median delay, abrupt (h)",
        "top-1 pipe accuracy",
        "top-10 pipe accuracy",
        "localization distance, median (m)",
        "localized within 300 m",
        "search area, median (km)",
        "BattLeDIM score, share of perfect",
    ):
        assert figure in text
    (spec,) = draw_cases("L-TOWN", 1, seed=1, plan=CasePlan.watching(1.0))
    leaks = pd.read_csv(out / "leaks.csv")
    assert leaks["pipe"].tolist() == [leak.pipe for leak in spec.leaks]
    summary = pd.read_csv(out / "summary.csv", index_col="figure")
    assert 0 <= summary.at["detected", "value"] <= 1
    assert summary.at["battledim_share", "value"] <= 1
    assert (out / "case000" / "twin" / "leaks.txt").is_file()
