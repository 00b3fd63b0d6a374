"""Sweeps: --vary parsing and validation, and identical tables in-process, on a
LocalCluster and on a real dask scheduler + worker pair started on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from typer.main import get_group

import twin.cli.sweep  # noqa: F401  (importing a command module registers its command)
from twin.cli import main
from twin.cli.app import app
from twin.scenario.sweep import local_cluster, parse_vary, plan_sweep, run_sweep

# Net1, 1 day of history and 6 h watched, no calibration or report: a run of a few seconds.
SCENARIO = """\
[run]
network = "Net1"
start = "2018-01-08 00:00"
duration_days = 0.25
history_days = 1
seed = 3

[sensors]
layout = "list"
pressure = ["11", "22", "31"]
flow = ["10"]
tank_level = ["2"]
amr_demand = ["12", "21", "32"]

[[leaks]]
junction = "22"
diameter_mm = 10
start = "+3h"

[twin]
calibrate_roughness = false

[outputs]
report = false
store = false
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "net1-small.toml"
    path.write_text(SCENARIO)
    return path


def test_vary_values_are_typed_as_toml():
    """--vary values are TOML values: ints, floats, quoted strings, arrays, bare words."""
    assert parse_vary("leaks.0.diameter_mm=8,12.5").values == (8, 12.5)
    assert parse_vary('run.network="Net1",Net3').values == ("Net1", "Net3")
    assert parse_vary('sensors.pressure=["11", "22"],[]').values == (["11", "22"], [])


@pytest.mark.parametrize("option", ["run.seed", "=1,2", "run.seed=1,,2", "run.seed=1,1", "a=@x"])
def test_malformed_vary_is_refused_naming_the_option(option: str):
    """A --vary option without values, with an empty, repeated or unreadable one fails."""
    with pytest.raises(ValueError, match="--vary"):
        parse_vary(option)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("run.sede=1,2", "run.sede=1: .*run.sede: unknown key path"),
        ('leaks.0.junction="22",nope', "leaks.0.junction='nope': .*no such junction"),
        ("leaks.0.junction=22", "leaks.0.junction = 22: expected text in quotes"),
        ("run.duration_days=0.25,abc", "run.duration_days = 'abc': expected a number"),
    ],
)
def test_bad_combination_fails_before_any_run(scenario_file: Path, option: str, expected: str):
    """A key or value the scenario refuses fails the sweep at planning, naming it."""
    variations = [parse_vary("run.seed=1,2"), parse_vary(option)]
    with pytest.raises(ValueError, match=expected):
        plan_sweep(scenario_file, variations)


def test_repeats_get_consecutive_seeds_and_own_folders(scenario_file: Path):
    """--repeat 3 over 2 values gives 6 runs with seeds 3, 4, 5 and distinct folders."""
    plan = plan_sweep(scenario_file, [parse_vary("leaks.0.diameter_mm=8,20")], 3)
    assert [s.seed for s in plan.runs] == [3, 4, 5, 3, 4, 5]
    assert plan.runs[4].folder == "4_leaks.0.diameter_mm=20_repeat=1"
    assert plan.runs[4].scenario["leaks"][0]["diameter_mm"] == 20
    assert len({s.folder for s in plan.runs}) == 6


def test_quoted_ids_stay_text(scenario_file: Path):
    """A quoted value that looks like a number reaches the scenario as a junction id."""
    plan = plan_sweep(scenario_file, [parse_vary('leaks.0.junction="22","31"')])
    assert [s.scenario["leaks"][0]["junction"] for s in plan.runs] == ["22", "31"]
    assert plan.runs[1].folder == "1_leaks.0.junction=31"


def _fails_on_small_leaks(scenario, out: Path) -> dict:
    """Stand-in runner: a run that breaks for leaks under 10 mm."""
    if scenario.leaks[0].diameter_mm < 10:
        raise RuntimeError("engine crashed")
    return {"leaks": len(scenario.leaks)}


def test_failed_run_is_a_row_not_the_end(scenario_file: Path, tmp_path: Path):
    """A run that raises is recorded with its error; the other runs still give figures."""
    plan = plan_sweep(scenario_file, [parse_vary("leaks.0.diameter_mm=8,20")])
    table = run_sweep(plan, tmp_path / "out", run=_fails_on_small_leaks)
    assert table.loc[0, "error"] == "RuntimeError: engine crashed"
    assert table.loc[1, "error"] == "" and table.loc[1, "leaks"] == 1
    assert "engine crashed" in (tmp_path / "out/runs/0_leaks.0.diameter_mm=8/error.txt").read_text()
    assert len(pd.read_csv(tmp_path / "out/sweep.csv")) == 2


def test_sweep_command_refuses_a_bad_key_with_one_message(scenario_file, tmp_path, capsys):
    """`twin sweep` with an unknown key exits 2 with one line naming it, and runs nothing."""
    argv = ["twin", "sweep", str(scenario_file), "--vary", "run.sede=1,2"]
    argv += ["--out", str(tmp_path / "out")]
    with pytest.MonkeyPatch.context() as patch, pytest.raises(SystemExit) as stop:
        patch.setattr(sys, "argv", argv)
        main()
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "run.sede" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dask_scheduler(tmp_path: Path):
    """A real `dask scheduler` and one `dask worker` process on loopback; the address."""
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    http = ["--dashboard-address", "127.0.0.1:0"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = []
    try:
        scheduler = [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), *http]
        processes.append(subprocess.Popen(scheduler, **quiet))
        worker = [dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-nanny"]
        worker += ["--host", "127.0.0.1", "--local-directory", str(tmp_path / "dask"), *http]
        processes.append(subprocess.Popen(worker, **quiet))
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _figures(csv: Path) -> pd.DataFrame:
    table = pd.read_csv(csv, keep_default_na=False)
    return table.drop(columns=[c for c in table.columns if c.startswith("seconds_")])


@pytest.mark.slow
def test_sweep_gives_the_same_table_wherever_it_runs(
    scenario_file: Path, tmp_path: Path, dask_scheduler: str
):
    """In-process, on a LocalCluster and via `twin sweep --scheduler`: equal but timings."""
    from distributed import Client

    vary = "leaks.0.diameter_mm=8,20"
    plan = plan_sweep(scenario_file, [parse_vary(vary)])
    here = run_sweep(plan, tmp_path / "here")
    with local_cluster(2) as cluster, Client(cluster) as client:
        run_sweep(plan, tmp_path / "local", client)
    args = ["sweep", str(scenario_file), "--vary", vary, "--scheduler", dask_scheduler]
    result = CliRunner().invoke(get_group(app), [*args, "--out", str(tmp_path / "remote")])
    assert result.exit_code == 0, result.output
    assert (here["error"] == "").all() and here["leaks_detected"].notna().all()
    expected = _figures(tmp_path / "here/sweep.csv")
    pd.testing.assert_frame_equal(expected, _figures(tmp_path / "local/sweep.csv"))
    pd.testing.assert_frame_equal(expected, _figures(tmp_path / "remote/sweep.csv"))
    assert (tmp_path / "remote/runs/1_leaks.0.diameter_mm=20/summary.json").is_file()
    assert "sweep: 2 run(s)" in result.output
