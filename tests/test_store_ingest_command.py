"""`twin ingest`: recorded SCADA into a run's store, a data-quality table, clean errors."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from typer.main import get_group

import twin.cli.ingest  # noqa: F401  (importing a command module registers its command)
from twin.cli.app import app
from twin.store import RunStore, run_path
from twin.store.quality import quality_summary

WEEK = Path(__file__).resolve().parent / "data" / "scada" / "week"


def _twin(*args: str):
    """Run ``twin <args>`` as a command group, whatever other commands are registered."""
    return CliRunner().invoke(get_group(app), [str(a) for a in args], terminal_width=200)


def _says(result, text: str) -> bool:
    """Whether the command's output holds ``text``, however the console wrapped it."""
    return "".join(text.split()) in "".join(result.output.split())


def _contents(path: Path) -> dict:
    """Every batch, bronze and silver row of a store."""
    with RunStore.open(path, read_only=True) as store:
        return {
            t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("batches", "bronze", "silver")
        }


@pytest.fixture
def week(tmp_path):
    """A writable copy of the real first week of 2018 flows and tank level."""
    return Path(shutil.copytree(WEEK, tmp_path / "week"))


def test_ingest_stores_the_week_and_prints_its_quality(tmp_path):
    """Each file is a batch; the table shows readings, full coverage and the time span."""
    result = _twin("ingest", WEEK, "--run", "week", "--runs-dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert "2018_SCADA_Flows.csv: 6,048 readings, stored as batch 1" in result.stdout
    assert "origin 2018-01-01 00:00:00, grid 300 s" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("p227"))
    assert row.split() == [
        "p227",
        "m3/h",
        "2,016",
        "100.00",
        "0",
        "0",
        "2018-01-01",
        "00:00",
        "2018-01-07",
        "23:55",
    ]


def test_ingesting_the_same_folder_again_changes_nothing(tmp_path):
    """The second run reports the files as already stored and the store is unchanged."""
    assert _twin("ingest", WEEK, "--run", "week", "--runs-dir", tmp_path).exit_code == 0
    before = _contents(run_path(tmp_path, "week"))
    result = _twin("ingest", WEEK, "--run", "week", "--runs-dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert "already stored, batch 2" in result.stdout
    assert _contents(run_path(tmp_path, "week")) == before


def test_a_bad_file_is_rejected_whole_and_the_store_is_left_as_it_was(tmp_path, week):
    """Good files stored first; a folder with a broken file stores nothing and says where."""
    assert _twin("ingest", week, "--run", "r", "--runs-dir", tmp_path).exit_code == 0
    before = _contents(run_path(tmp_path, "r"))
    shutil.copy(week / "2018_SCADA_Levels.csv", week / "2019_SCADA_Levels.csv")
    bad = week / "2019_SCADA_Flows.csv"
    text = (week / "2018_SCADA_Flows.csv").read_bytes().replace(b"2018-", b"2019-")
    bad.write_bytes(text.replace(b"66,49", b"66;49", 1))
    result = _twin("ingest", week, "--run", "r", "--runs-dir", tmp_path)
    assert result.exit_code == 2
    assert _says(result, "2019_SCADA_Flows.csv, line 10: has 5 fields separated by ';'")
    assert "Traceback" not in result.output
    assert _contents(run_path(tmp_path, "r")) == before


def test_a_bad_file_in_a_new_run_creates_no_store(tmp_path, week):
    """Files are checked before the store is created."""
    path = week / "2018_SCADA_Levels.csv"
    path.write_bytes(path.read_bytes().replace(b"3,5", b"three", 1))
    result = _twin("ingest", week, "--run", "new", "--runs-dir", tmp_path)
    assert result.exit_code == 2
    assert _says(result, "line 2, column 'T1': value 'three' is not a number")
    assert not (tmp_path / "new").exists()


def test_a_missing_folder_is_a_clean_error(tmp_path):
    """No traceback, the folder is named."""
    result = _twin("ingest", tmp_path / "nowhere", "--run", "r", "--runs-dir", tmp_path)
    assert result.exit_code == 2
    assert _says(result, "nowhere: no such folder")


def test_quality_counts_gaps_and_flags_per_sensor(tmp_path, week):
    """Two missing hours of T1 show as one gap, 24 missing slots, and lower coverage."""
    path = week / "2018_SCADA_Levels.csv"
    lines = path.read_bytes().split(b"\r\n")
    del lines[500:524]
    path.write_bytes(b"\r\n".join(lines))
    assert _twin("ingest", week, "--run", "q", "--runs-dir", tmp_path).exit_code == 0
    with RunStore.open(run_path(tmp_path, "q"), read_only=True) as store:
        summary = quality_summary(store).set_index("sensor_id")
    t1 = summary.loc["T1"]
    assert (t1.readings, t1.gaps, t1.gap_slots, t1.flagged) == (2016 - 24, 1, 24, 0)
    assert t1.coverage_pct == pytest.approx(100 * (2016 - 24) / 2016)
    assert summary.loc["p227"].coverage_pct == 100.0
    assert str(t1.last_time) == "2018-01-07 23:55:00"
