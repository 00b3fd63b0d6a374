import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from twin.cli import _register_commands
from twin.cli.app import app

DAY_H = 24


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """Ten simulated days of L-Town (BattLeDIM sensors), a 20 mm leak in Area C from day 8."""
    folder = tmp_path_factory.mktemp("case")
    _register_commands()
    result = CliRunner().invoke(
        app,
        [
            "generate",
            "L-TOWN",
            "--days",
            "10",
            "--seed",
            "5",
            "--leak",
            f"p257:20:{8 * DAY_H + 3}",
            "--out",
            str(folder),
        ],
    )
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def replayed(case, tmp_path_factory):
    out = tmp_path_factory.mktemp("replay")
    result = CliRunner().invoke(
        app,
        [
            "replay",
            "--network",
            "L-TOWN",
            "--scada",
            str(case),
            "--out",
            str(out),
            "--no-calibrate-roughness",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_replay_writes_the_store_events_balance_and_report(replayed):
    """twin replay leaves twin.duckdb, events.csv, water_balance.json and report.html."""
    for name in ("twin.duckdb", "events.csv", "water_balance.json", "report.html"):
        assert (replayed / name).stat().st_size > 0
    events = pd.read_csv(replayed / "events.csv")
    assert list(events.columns[:5]) == [
        "event_id",
        "detected_at",
        "start_estimate",
        "flow_m3h",
        "area",
    ]


def test_the_leak_is_detected_in_its_zone_within_hours(case, replayed):
    """The 20 mm leak in Area C raises an event in zone C within 3 h of its start."""
    truth = pd.read_csv(case / "truth" / "leaks.csv", parse_dates=["start"])
    events = pd.read_csv(replayed / "events.csv", parse_dates=["detected_at"])
    in_c = events[(events.area == "C") & (events.detected_at >= truth.start[0])]
    assert len(in_c)
    assert in_c.detected_at.min() - truth.start[0] <= pd.Timedelta(hours=3)


def test_real_losses_match_the_true_leak_volume_within_10_percent(case, replayed):
    """Zone C's real losses over the watched days are the leak's true volume, within 10%."""
    balance = {b["area"]: b for b in json.loads((replayed / "water_balance.json").read_text())}
    outflow = pd.read_csv(case / "truth" / "leak_outflow.csv", index_col=0, parse_dates=True)
    watched = outflow[outflow.index >= outflow.index[0] + pd.Timedelta(days=7)]
    true_m3 = float(watched.iloc[:, 0].sum() * 300 / 3600)
    assert balance["C"]["real_losses_m3"] == pytest.approx(true_m3, rel=0.10)


def test_a_folder_without_pressures_and_demands_still_replays(case, tmp_path):
    """Missing files reduce what the twin can do, and it says so; it does not crash."""
    folder = tmp_path / "scada"
    folder.mkdir()
    for name in ("Flows.csv", "Levels.csv"):
        (folder / name).write_bytes((case / name).read_bytes())
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["replay", "--network", "L-TOWN", "--scada", str(folder), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "no Pressures file" in result.output and "no Demands file" in result.output
    assert (out / "events.csv").exists()


def test_a_column_naming_no_network_element_is_refused(case, tmp_path):
    """A SCADA column that is not a link of the network is named with its file."""
    folder = tmp_path / "scada"
    folder.mkdir()
    text = (case / "Flows.csv").read_text().replace("p227", "p99999", 1)
    (folder / "Flows.csv").write_text(text)
    result = CliRunner().invoke(
        app, ["replay", "--network", "L-TOWN", "--scada", str(folder), "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "Flows.csv, column 'p99999'" in str(result.exception or result.output)


def test_the_leak_is_localized_within_300_m_and_written_as_battledim_results(replayed):
    """The Area C event names a pipe within BattLeDIM's 300 m of p257, with a walkable
    search area, and leaks.txt holds that pipe in BattLeDIM's result layout."""
    from twin.evaluate.distance import PipeDistances
    from twin.evaluate.results import read_leaks_txt

    events = pd.read_csv(replayed / "events.csv")
    leak = events[events["area"] == "C"].iloc[0]
    distances = PipeDistances.from_network("L-TOWN")
    assert distances.pipe_distance(leak["pipe"], "p257") <= 300
    assert 0 < leak["search_area_km"] < 2 and leak["pipe"] in leak["search_area_pipes"]
    results = read_leaks_txt(replayed / "leaks.txt")
    assert leak["pipe"] in set(results["pipe"])
    candidates = pd.read_csv(replayed / "candidates.csv")
    assert candidates.groupby(["event_id", "time"])["probability"].sum().max() <= 1 + 1e-9


def _gold(replayed, sql: str) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(replayed / "twin.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def test_the_store_holds_hourly_zone_consumption_measured_and_expected(replayed):
    """Gold residuals hold each zone's hourly measured and expected consumption (m³/s), and
    the pressure rows their measured and expected means, residual = measured - expected."""
    rows = _gold(replayed, "SELECT * FROM residuals")
    zones = rows[rows["model"] == "zone consumption"]
    assert set(zones["sensor_id"]) == {"AB", "C"} and set(zones["unit"]) == {"m3/s"}
    assert zones.groupby("sensor_id")["time"].diff().dropna().eq(3600).all()
    pressure = rows[rows["unit"] == "m"].dropna(subset=["residual"])
    assert len(pressure) and pressure["measured"].notna().all()
    for part in (zones.dropna(subset=["residual"]), pressure):
        difference = part["measured"] - part["expected"] - part["residual"]
        assert difference.abs().max() < 1e-9
    # the leak (about 10 m³/h in zone C) shows as measured above expected after it started
    late = zones[(zones["sensor_id"] == "C") & (zones["time"] > 8 * 86_400 + 6 * 3600)]
    assert late["residual"].mean() * 3600 > 5


def test_daily_kpis_add_up_to_the_whole_run_and_reach_the_dashboard(replayed):
    """Each zone's daily system input sums to its whole-run one (1%), and the dashboard's
    NRW-over-time reads one point per day."""
    from twin.dashboard.reader import RunReader

    kpis = _gold(replayed, "SELECT * FROM kpis WHERE kpi = 'system_input'")
    daily = kpis[kpis["method"].str.endswith("daily")].groupby("area")["value"].sum()
    whole = kpis[~kpis["method"].str.endswith("daily")].set_index("area")["value"]
    assert daily.to_dict() == pytest.approx(whole.to_dict(), rel=0.01)
    nrw = RunReader(replayed).kpis().query("kpi == 'nrw'")
    assert nrw.groupby("area")["period_start"].nunique().min() >= 2


def test_a_week_or_less_without_history_is_refused_with_what_to_give(case, tmp_path):
    """Five days of SCADA and no --history: a message saying the twin needs more, no crash."""
    folder = tmp_path / "scada"
    folder.mkdir()
    lines = (case / "Flows.csv").read_text().splitlines(keepends=True)
    (folder / "Flows.csv").write_text("".join(lines[: 1 + 5 * 288]))
    result = CliRunner().invoke(
        app, ["replay", "--network", "L-TOWN", "--scada", str(folder), "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "--history" in str(result.exception or result.output)
