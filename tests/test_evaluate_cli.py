"""``twin score``: a generated case scored end to end, and bad results files refused cleanly."""

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from typer.main import get_group

import twin.cli.generate  # noqa: F401  (importing a command module registers its command)
import twin.cli.score  # noqa: F401
from twin.cli import main
from twin.cli.app import app
from twin.evaluate import read_truth

LEAKS_2018 = Path(__file__).parent / "data" / "battledim" / "2018_leak_events.csv"


def _twin(*args: str):
    """Run ``twin <args>`` as a command group, whatever other commands are registered."""
    return CliRunner().invoke(get_group(app), list(args), terminal_width=200)


def _main(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run the ``twin`` entry point (which maps bad input to exit 2); status and stderr."""
    monkeypatch.setattr(sys, "argv", ["twin", *args])
    with pytest.raises(SystemExit) as done:
        main()
    return done.value.code, " ".join(capsys.readouterr().err.split())


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """Six hours of L-Town with a 20 mm leak on p257 from 01:00, never repaired."""
    out = tmp_path_factory.mktemp("score") / "case"
    args = ["--days", "0.25", "--seed", "5", "--leak", "p257:20:1", "--out", str(out)]
    result = _twin("generate", "L-TOWN", *args)
    assert result.exit_code == 0, result.output
    return out


def test_score_a_generated_case_end_to_end(case, tmp_path):
    """Found at its start on its pipe, plus one false alarm: the perfect score minus 500 EUR."""
    leaks_txt = tmp_path / "leaks.txt"
    leaks_txt.write_text(
        "# linkID, startTime\np257, 2018-01-01 01:00\np1, 2018-01-01 02:00\n"
        "p258, 2018-01-01 03:00\n"
    )
    result = _twin("score", str(case), str(leaks_txt))
    assert result.exit_code == 0, result.output
    outflow_m3s = read_truth(case / "truth").outflow_m3s["leak_p257"]
    lost_m3 = outflow_m3s.iloc[:-1].sum() * 300  # each 5-min rate holds until the next stamp
    assert lost_m3 > 5 * 5  # more than 5 m3/h for the 5 h from 01:00 to the data end
    perfect = 0.80 * lost_m3
    assert f"score {perfect - 500:,.2f} EUR of a perfect {perfect:,.2f} EUR" in result.stdout
    assert "hits 1, missed 0, false alarms 1, repeat hits 1" in result.stdout


def test_score_refuses_a_bad_line_naming_it(case, tmp_path, monkeypatch, capsys):
    """A time without its leading zero: exit 2, the file and line 3 named, no traceback."""
    leaks_txt = tmp_path / "team.txt"
    leaks_txt.write_text("# linkID, startTime\np257, 2018-01-01 01:00\np1, 2018-01-01 2:00\n")
    code, err = _main(monkeypatch, capsys, "score", str(case), str(leaks_txt))
    assert code == 2
    assert f"error: {leaks_txt}, line 3: expected 'PIPE, YYYY-MM-DD HH:MM'" in err
    assert "Traceback" not in err


def test_score_refuses_an_unknown_pipe_naming_its_line(case, tmp_path, monkeypatch, capsys):
    """A pipe L-Town does not have: exit 2 and the line that names it."""
    leaks_txt = tmp_path / "team.txt"
    leaks_txt.write_text("# linkID, startTime\n\np99999, 2018-01-01 01:00\n")
    code, err = _main(monkeypatch, capsys, "score", str(case), str(leaks_txt))
    assert code == 2
    assert f"{leaks_txt}, line 3: no pipe 'p99999' in the network" in err


def test_score_the_2018_leak_list_without_money(tmp_path):
    """The real 2018 leaks have windows but no outflows: hits and delays, and a note."""
    leaks_txt = tmp_path / "leaks.txt"
    leaks_txt.write_text("# linkID, startTime\np461, 2018-01-23 05:25\np1, 2018-01-02 00:00\n")
    result = _twin("score", str(LEAKS_2018), str(leaks_txt))
    assert result.exit_code == 0, result.output
    assert "hits 1, missed 13, false alarms 1, repeat hits 0" in result.stdout
    assert "01:00" in result.stdout  # p461's delay
    assert "no money score: it needs the leaks' outflows" in " ".join(result.stdout.split())
