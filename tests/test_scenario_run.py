"""Scenario runs: same seed same bytes, every scenario file still runs, `twin run` end to end."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from typer.main import get_group

import twin.cli.run  # noqa: F401  (importing a command module registers its command)
from twin.cli.app import app
from twin.scenario import load_scenario, run_scenario, scenarios_dir
from twin.scenario.shorten import cut_short

HANOI = scenarios_dir() / "hanoi-leakdb-year.toml"
FIGURES = ("leaks", "leaks_detected", "false_alarms", "system_input_m3", "nrw_percent")


def _without_seconds(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if not k.startswith("seconds_")}


def _hanoi_day(overrides: dict | None = None):
    """One watched day of the Hanoi scenario (one day of history), with a 40 mm leak."""
    placed = {
        "leaks": [{"pipe": "21", "diameter_mm": 40, "start": "+6h"}],
        "outputs.store": False,
    }
    return cut_short(load_scenario(HANOI, placed | (overrides or {})), 1.0)


def test_the_same_seed_gives_the_same_plant_bytes():
    """The plant of a scenario delivers the same readings for the same seed, others for another."""
    from twin.scenario.generate import simulate_plant
    from twin.scenario.plan import plan_run

    def pressures(seed: int) -> bytes:
        plan = plan_run(_hanoi_day({"run.seed": seed}))
        made = simulate_plant(
            plan.inp, plan.setup, seed=seed, duration_s=plan.end_s, origin=plan.origin
        )
        return (
            made.sensors["Pressures"].to_csv().encode()
            + made.truth["leak_outflow"].to_csv().encode()
        )

    assert pressures(1) == pressures(1)
    assert pressures(1) != pressures(2)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_files_and_figures(tmp_path):
    """Two runs of one scenario write byte-identical SCADA files and truth, equal figures."""
    first = run_scenario(_hanoi_day(), tmp_path / "a")
    second = run_scenario(_hanoi_day(), tmp_path / "b")
    assert _without_seconds(first) == _without_seconds(second)
    for name in ("scada/Pressures.csv", "scada/Demands.csv", "truth/leak_outflow.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first["leaks"] == 1


def test_the_summary_is_flat_json_with_every_stage_timed(tmp_path):
    """summary.json holds plain figures only (no tables), the same as returned, with stages."""
    summary = run_scenario(_hanoi_day({"outputs.report": False}), tmp_path)
    stored = json.loads((tmp_path / "summary.json").read_text())
    assert stored == summary
    assert all(not isinstance(v, dict | list) for v in stored.values())
    assert {"seconds_generate", "seconds_learn", "seconds_watch", "seconds_score"} <= set(stored)
    assert stored["leaks"] == 1 and stored["scenario"] == "hanoi-leakdb-year"
    assert not (tmp_path / "report.html").exists()
    assert not (tmp_path / "twin.duckdb").exists()


def test_a_stuck_logger_and_a_lost_upload_reach_the_scada_files(tmp_path):
    """The stuck logger repeats one value and the lost AMI upload leaves a day of gaps."""
    scenario = cut_short(load_scenario(scenarios_dir() / "stuck-logger-amr-lost.toml"), 2.0)
    from twin.scenario.generate import simulate_plant
    from twin.scenario.plan import plan_run

    plan = plan_run(scenario)
    generated = simulate_plant(
        plan.inp, plan.setup, seed=5, duration_s=plan.end_s, origin=plan.origin, step_s=300
    )
    logger = generated.sensors["Pressures"]["n163"]
    stuck = logger["2018-03-12 06:05":"2018-03-14 00:00"]
    assert stuck.nunique() == 1
    assert logger["2018-03-11 06:05":"2018-03-12 06:00"].nunique() > 10
    amr = generated.sensors["Demands"]
    empty = amr.isna().all(axis=1)
    assert empty["2018-03-13 00:05":"2018-03-14 00:00"].all()
    assert not empty["2018-03-12 00:05":"2018-03-13 00:00"].any()


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(scenarios_dir().glob("*.toml")), ids=lambda p: p.stem)
def test_every_scenario_file_runs_cut_short(tmp_path, path):
    """Each scenario's first day (one of history) runs through and says what happened."""
    scenario = cut_short(load_scenario(path, {"outputs.store": False}), 1.0)
    summary = run_scenario(scenario, tmp_path)
    starts = pd.to_datetime([leak.start for leak in scenario.leaks])
    assert summary["leaks"] == int((starts >= pd.Timestamp(scenario.run.start)).sum())
    assert summary["leaks_detected"] <= summary["leaks"]
    assert summary["system_input_m3"] > 0
    events = pd.read_csv(tmp_path / "events.csv")
    assert summary["events"] == len(events)
    assert (tmp_path / "report.html").stat().st_size > 100_000
    assert "history of 1 day(s)" in summary["notes"]


@pytest.mark.slow
def test_twin_run_writes_a_summary_and_a_report_that_say_what_happened(tmp_path):
    """`twin run` on the night burst (3 watched days): files, summary and a one-file report."""
    out = tmp_path / "burst"
    result = CliRunner().invoke(
        get_group(app),
        [
            "run",
            str(scenarios_dir() / "night-burst-area-c.toml"),
            "--out",
            str(out),
            "--days",
            "3",
        ],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    for name in ("twin.duckdb", "events.csv", "leaks.txt", "candidates.csv", "water_balance.json"):
        assert (out / name).is_file(), name
    assert sorted(p.name for p in (out / "scada").iterdir()) == [
        "Demands.csv",
        "Flows.csv",
        "Levels.csv",
        "Pressures.csv",
    ]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["leaks"] == 1 and summary["duration_days"] == 3.0
    assert "leaks started in the watch: 1" in result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("window.PlotlyConfig") == 1  # plotly.js inlined once
    assert not re.search(r"<script[^>]+src=", page)  # nothing fetched from the network
    for section in ("outcome", "map", "truth", "events", "inflows", "residuals", "balance"):
        assert f'<section id="{section}">' in page
    assert "p257" in page and "true leaks (simulated)" in page
    events = pd.read_csv(out / "events.csv")
    assert all(event in page for event in events["event_id"])


def test_twin_run_refuses_a_bad_override(tmp_path):
    """A misspelt --set key fails before anything runs, naming the key and what is allowed."""
    with pytest.raises(ValueError, match="run.sead.*seed"):
        CliRunner().invoke(
            get_group(app),
            ["run", str(HANOI), "--out", str(tmp_path), "--set", "run.sead=3"],
            catch_exceptions=False,
        )
    assert not any(Path(tmp_path).iterdir())
