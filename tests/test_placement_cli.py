"""``twin place``: a readable layout, a table and a plot; unknown ids refused with exit 2."""

import subprocess
import sys

import pandas as pd
import pytest

from twin.network.sensors import read_sensor_layout
from twin.placement import run_placement


def twin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from twin.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_place_writes_a_readable_layout_table_and_plot(tmp_path):
    """Net1, 3 loggers: sensors.csv reads back with 3 loggers; the table has the baselines."""
    result = twin("place", "Net1", "--budget", "3", "--out", str(tmp_path), "--seed", "1")
    assert result.returncode == 0, result.stderr
    layout = read_sensor_layout(tmp_path / "sensors.csv")
    assert len(layout.pressure) == 3
    table = pd.read_csv(tmp_path / "layouts.csv", index_col="layout")
    assert {"greedy", "search", "random (seed 2)"} <= set(table.index)
    assert (table["sensors"] == 3).all()
    assert table["detection rate [share]"].between(0, 1).all()
    assert (tmp_path / "sensors_vs_error.html").stat().st_size > 10_000
    assert (tmp_path / "sensors_vs_error.png").is_file()
    assert "expected" in result.stdout


def test_existing_loggers_stay_and_candidates_limit_the_new_ones(tmp_path):
    """Hanoi: the existing loggers stay, and the new ones come from the candidates file."""
    existing = tmp_path / "existing.csv"
    existing.write_text("sensor_type,element_id\npressure,5\npressure,20\n")
    candidates = tmp_path / "candidates.txt"
    candidates.write_text("# where a logger may go\n10\n11\n12\n13\n")
    progress = []
    outcome = run_placement(
        "Hanoi",
        2,
        tmp_path / "out",
        existing=existing,
        candidates=candidates,
        on_progress=lambda fraction, message: progress.append(fraction),
    )
    placed = read_sensor_layout(tmp_path / "out" / "sensors.csv").pressure
    assert {"5", "20"} <= set(placed) and len(placed) == 4
    assert set(placed) - {"5", "20"} <= {"10", "11", "12", "13"}
    assert "existing" in [row["layout"] for row in outcome["table"]]
    assert progress[-1] == 1.0 and progress == sorted(progress)


def test_a_second_run_reuses_the_stored_signatures(tmp_path):
    """The leak signatures are simulated once per network and settings, then reloaded."""
    first = run_placement("Net1", 2, tmp_path)
    stamp = (tmp_path / "signatures.npz").stat().st_mtime_ns
    second = run_placement("Net1", 2, tmp_path, seed=1)
    assert (tmp_path / "signatures.npz").stat().st_mtime_ns == stamp
    assert first["signature_build_s"] == second["signature_build_s"]


def test_an_unknown_junction_in_existing_names_file_line_and_id(tmp_path):
    """An id that is no junction ends in exit 2 and one message: file, line, id."""
    path = tmp_path / "layout.csv"
    path.write_text("sensor_type,element_id\npressure,11\npressure,n999\n")
    out = tmp_path / "o"
    result = twin("place", "Net1", "--budget", "1", "--out", str(out), "--existing", str(path))
    assert result.returncode == 2
    assert "layout.csv: line 3: 'n999' is not a junction of Net1" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_an_unknown_candidate_names_file_line_and_id(tmp_path):
    """A candidates list with an unknown id is refused before anything is simulated."""
    path = tmp_path / "candidates.txt"
    path.write_text("11\n\n# comment\n99x\n")
    with pytest.raises(ValueError, match=r"candidates.txt: line 4: '99x' is not a junction"):
        run_placement("Net1", 1, tmp_path / "o", candidates=path)
    assert not (tmp_path / "o" / "signatures.npz").exists()
