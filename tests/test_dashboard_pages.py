"""Dashboard pages and callbacks over a small synthetic run, called directly (no browser)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.test_dashboard_run import build_run
from twin.dashboard import create_app, ids
from twin.dashboard.app import page_layout
from twin.dashboard.figures.network_map import EVENT_TRACES
from twin.dashboard.pages import PAGES, leaks, network_map, overview, sensors, whatif
from twin.dashboard.reader import RunReader

PAGE_IDS = {
    "/": {ids.REPLAY_SLIDER, ids.FEED_HEALTH, ids.OPEN_EVENTS, ids.OVERVIEW_KPIS},
    "/map": {ids.NETWORK_MAP, ids.MAP_COLOUR, ids.ELEMENT_SERIES},
    "/leaks": {
        ids.EVENT_TABLE,
        ids.NETWORK_MAP,
        ids.ACK_BUTTON,
        ids.CREW_BUTTON,
        ids.REPAIRED_BUTTON,
        ids.EVENT_STATE,
    },
    "/balance": {ids.NRW_FIGURE, ids.BALANCE_TABLE, ids.MNF_FIGURE},
    "/sensors": {ids.FEEDS_TABLE, ids.FEEDS_COVERAGE},
    "/whatif": {ids.WHATIF_LAYOUT, ids.WHATIF_MAP_A, ids.PLACEMENT_BUTTON},
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return build_run(tmp_path_factory.mktemp("pages") / "run")


def _names(figure: dict) -> list[str | None]:
    return [t.get("name") for t in figure["data"]]


def _walk(component) -> list:
    """Every component in a layout tree."""
    found = []
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        found.append(node)
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return found


def _ids(component) -> set[str]:
    """Every component id in a layout tree."""
    return {node.id for node in _walk(component) if getattr(node, "id", None)}


def _text(component) -> str:
    """The layout (or list of components) as text, to look for what it says."""
    if isinstance(component, list):
        return " ".join(_text(c) for c in component)
    return str(component.to_plotly_json())


@pytest.mark.parametrize("path", sorted(PAGE_IDS))
def test_every_page_builds_with_its_ids(run_dir, path):
    """Each page's layout builds for the run and holds the ids the browser tests use."""
    layout = page_layout(RunReader(run_dir), path, "E001", None)
    assert PAGE_IDS[path] <= _ids(layout)
    assert "Cannot draw" not in _text(layout)


def test_unknown_path_gets_a_not_found_page(run_dir):
    """A path that is no page says so instead of failing."""
    assert "No page at /nowhere" in _text(page_layout(RunReader(run_dir), "/nowhere", None, None))


def test_app_registers_a_callback_for_each_page_output(run_dir):
    """The app wires the router, the map, the actions and the overview."""
    app = create_app(run_dir)
    outputs = " ".join(app.callback_map)
    for component in (
        ids.PAGE,
        ids.NETWORK_MAP,
        ids.EVENT_STATE,
        ids.FEED_HEALTH,
        ids.WHATIF_MAP_B,
    ):
        assert component in outputs


def test_selecting_an_event_zooms_the_map_to_its_search_area(run_dir):
    """The selected event's search area is outlined and the view closes in on it."""
    reader = RunReader(run_dir)
    whole = network_map.map_figure(reader, "diameter", None, 100_000)
    chosen = network_map.map_figure(reader, "diameter", "E001", 100_000)
    assert ids.SEARCH_AREA_TRACE in _names(chosen)
    assert ids.SEARCH_AREA_TRACE not in _names(whole)
    span = lambda f: f["layout"]["xaxis"]["range"][1] - f["layout"]["xaxis"]["range"][0]  # noqa: E731
    assert span(chosen) < span(whole)


def test_selecting_another_event_patches_only_the_event_traces(run_dir):
    """The patch for a new event replaces the map's last traces and ranges, not its pipes."""
    reader = RunReader(run_dir)
    whole = network_map.map_figure(reader, "diameter", None, 100_000)
    patch = network_map.event_patch(reader, "E001").to_plotly_json()["operations"]
    places = [tuple(op["location"]) for op in patch]
    assert places[:EVENT_TRACES] == [("data", k) for k in range(-EVENT_TRACES, 0)]
    assert ("layout", "xaxis", "range") in places
    names = [op["params"]["value"].get("name") for op in patch[:EVENT_TRACES]]
    assert ids.SEARCH_AREA_TRACE in names
    assert len(whole["data"]) > EVENT_TRACES + 1  # pipes and nodes stay in the browser


@pytest.mark.parametrize("colour", ["zone", "diameter", "pressure", "residual"])
def test_map_colours_pipes_from_the_store(run_dir, colour):
    """Every colouring gives coloured pipe traces (none falls back to all grey)."""
    figure = network_map.map_figure(RunReader(run_dir), colour, None, 100_000)
    assert "pipes" not in _names(figure)


def test_clicking_a_logger_shows_measured_and_expected(run_dir):
    """A pressure logger's series has its measured values and hourly expected values."""
    figure = network_map.element_series(RunReader(run_dir), "node:11")
    assert [t.name for t in figure.data] == ["measured", "expected"]


def test_clicking_a_pipe_without_a_meter_says_so(run_dir):
    """A pipe with no sensor names its length, though node 12 of the same id has a meter."""
    figure = network_map.element_series(RunReader(run_dir), "link:12")
    assert "pipe 12" in figure.layout.annotations[0].text
    assert "no meter" in figure.layout.annotations[0].text
    amr = network_map.element_series(RunReader(run_dir), "node:12")
    assert amr.layout.title.text == "amr demand 12" and amr.layout.yaxis.title.text == "[L/h]"


def test_acknowledge_button_persists_across_a_reload(tmp_path):
    """Pressing acknowledge stores the action; a fresh reader's table shows it."""
    run = build_run(tmp_path / "run")
    text, rows = leaks.apply_action(RunReader(run), ids.ACK_BUTTON, "E001", 110_000, "ops")
    assert text.startswith("E001: acknowledged by ops")
    assert rows[0]["state"] == "acknowledged"
    again = leaks.table_rows(RunReader(run), 110_000)
    assert again[0]["state"] == "acknowledged" and again[0]["twin_state"] == "localized"


def test_operator_actions_show_the_run_time_they_were_taken_at(tmp_path):
    """An action taken at replay position 110,000 s reads on the run's clock, not today's."""
    run = build_run(tmp_path / "run")
    reader = RunReader(run)
    text, rows = leaks.apply_action(reader, ids.ACK_BUTTON, "E001", 110_000, "ops")
    run_stamp = f"{reader.summary().origin + pd.Timedelta(seconds=110_000):%Y-%m-%d %H:%M}"
    assert f"at {run_stamp} run time" in text and "recorded" in text
    assert rows[0]["acted_at"] == run_stamp


def test_selecting_an_event_without_pressing_records_nothing(tmp_path):
    """The actions callback fired by a selection alone writes nothing."""
    run = build_run(tmp_path / "run")
    text, _ = leaks.apply_action(RunReader(run), ids.SELECTED_EVENT, "E001", 110_000)
    assert "no operator action yet" in text
    assert RunReader(run).actions().empty


def test_live_overview_shows_losses_so_far_from_the_kpis(tmp_path):
    """Without water_balance.json (a live run) the NRW card comes from the stored KPIs."""
    run = build_run(tmp_path / "run")
    (run / "water_balance.json").unlink(missing_ok=True)
    reader = RunReader(run, live=True)
    reader.kpis = lambda: _DAILY_KPIS  # what the live run's loop has written so far
    texts = str(overview.loss_figures(reader, 172_800))
    assert "Non-revenue water (days so far)" in texts and "16.7 %" in texts
    assert "Real losses (days so far)" in texts and "190 m³/day" in texts


_DAILY_KPIS = pd.DataFrame(
    {
        "kpi": ["system_input", "nrw", "real_losses"] * 2,
        "area": ["A"] * 6,
        "period_start": [0, 0, 0, 86_400, 86_400, 86_400],
        "period_end": [86_400, 86_400, 86_400, 172_800, 172_800, 172_800],
        "value": [1000.0, 10.0, 80.0, 2000.0, 20.0, 300.0],
    }
)


def test_kpi_totals_add_up_the_days_that_have_ended():
    """NRW volume is each day's % of its system input; real losses are per day of each zone."""
    kpis = _DAILY_KPIS
    assert overview.kpi_totals(kpis, 100_000) == pytest.approx((1000.0, 100.0, 80.0))
    assert overview.kpi_totals(kpis, 172_800) == pytest.approx((3000.0, 500.0, 190.0))
    assert overview.kpi_totals(kpis, 1_000) is None


def test_negative_real_losses_give_no_ili():
    """A zone whose real losses come out below zero shows ILI 'n/a', never a negative ILI."""
    from twin.dashboard.pages import balance

    row = {"area": "C", "ili": -0.3, "real_losses_m3_per_day": -9.2, "uarl_m3_per_day": 30.0}
    assert balance.ili_value(row) is None
    card = str(balance.ili_card(row))
    assert "n/a" in card and "below zero" in card
    assert balance.ili_value({**row, "ili": 1.8, "real_losses_m3_per_day": 50.0}) == 1.8


def test_run_in_a_folder_named_run_is_called_by_its_parent(run_dir):
    """A run stored as .../<name>/run is named <name> on screen, not 'run run'."""
    from twin.dashboard.components import reader_note

    note = reader_note(RunReader(run_dir))
    assert not note.lower().startswith("run run") and run_dir.parent.name in note


def test_overview_writes_the_replay_position_as_a_timestamp(run_dir):
    """The slider's position reads as a date and time, not as seconds since the origin."""
    reader = RunReader(run_dir)
    page = page_layout(reader, "/", None, 100_000)
    stamp = next(c for c in _walk(page) if getattr(c, "id", None) == ids.REPLAY_STAMP)
    assert (
        stamp.children
        == f"{reader.summary().origin + pd.Timedelta(seconds=100_000):%Y-%m-%d %H:%M}"
    )


def test_overview_counts_open_leaks_and_late_batches(run_dir):
    """At the end of the run one leak is open, and the 2-hour-late AMR batch is counted."""
    reader = RunReader(run_dir)
    end = reader.summary().last_s
    figures = _text(overview.loss_figures(reader, end))
    assert "Open leaks" in figures and "'1'" in figures
    health = _text(overview.feed_health(reader, end))
    assert "Batches over 1 h late" in health
    before = _text(overview.open_events(reader, 50_000))
    assert "No open leak event" in before


def test_sensors_page_flags_the_drifting_logger_and_the_stuck_meter(run_dir):
    """Logger 31 (residual +0.2 m/day) is drifting; the constant AMR meter is flagged."""
    table = sensors.sensor_rows(RunReader(run_dir)).set_index("sensor_id")
    assert table.loc["31", "status"] == "drifting"
    assert table.loc["31", "drift_m_per_day"] == pytest.approx(0.2, abs=0.01)
    assert table.loc["12", "status"] == "flagged"
    assert table.loc["11", "status"] == "ok"


def test_whatif_offers_layouts_by_id_never_by_path(run_dir, tmp_path):
    """Layouts under RUN/placement are offered by id; an id not offered is refused."""
    placement = run_dir / whatif.PLACEMENT_FOLDER / "budget-2"
    placement.mkdir(parents=True, exist_ok=True)
    (placement / "layout.csv").write_text(
        "sensor_type,element_id\npressure,12\npressure,22\n", encoding="utf-8"
    )
    reader = RunReader(run_dir)
    assert "placement:budget-2/layout.csv" in whatif.layout_choices(reader)
    chosen = whatif.layout_sensors(reader, "placement:budget-2/layout.csv")
    assert list(chosen["sensor_id"]) == ["12", "22"]
    with pytest.raises(KeyError, match="not on offer"):
        whatif.layout_sensors(reader, "/etc/passwd")


def test_placement_job_says_when_placement_is_not_available(monkeypatch, tmp_path):
    """Without twin.placement the button reports it instead of failing."""
    monkeypatch.setitem(sys.modules, "twin.placement", None)
    message = whatif.run_placement_job("Net1", 3, str(tmp_path))
    assert message.startswith("placement not available")


def test_placement_job_refuses_a_silly_budget(tmp_path):
    """A budget that is not a whole number of sensors gets a message, no run."""
    assert "whole number" in whatif.run_placement_job("Net1", "many", str(tmp_path))
    assert "between 1 and 500" in whatif.run_placement_job("Net1", 0, str(tmp_path))


def test_every_page_module_has_a_unique_path():
    """The menu's pages have distinct paths, the overview at /."""
    paths = [page.PATH for page in PAGES]
    assert len(set(paths)) == len(paths) and paths[0] == "/"


def test_event_residuals_span_the_days_around_the_event(run_dir):
    """The residual plot of E001 runs hourly from a day before its start."""
    graph = leaks.event_residuals(RunReader(run_dir), "E001")
    first = graph.figure["data"][0]
    assert first["dx"] == 3_600_000  # ms: hourly means
    assert first["x0"] == "2018-01-01 02:00:00"  # start 26:00 h - 24 h, on the hour


def test_live_reader_sees_what_the_run_writes_next(tmp_path):
    """A live run's reader picks up a new event written after it first read the table."""
    from tests.test_dashboard_run import _gold
    from twin.store import RunStore
    from twin.store.gold import write_gold

    run = build_run(tmp_path / "run")
    reader = RunReader(run, live=True)
    assert len(reader.events()) == 2
    events = _gold(576)["events"]
    later = events.iloc[[0]].assign(event_id="E003", raised_time=160_000)
    with RunStore.open(run / "twin.duckdb") as store:  # the live run's own writer
        write_gold(store.con, {"events": pd.concat([events, later], ignore_index=True)})
    assert list(reader.events()["event_id"]) == ["E001", "E002", "E003"]


def test_map_ignores_a_colouring_it_does_not_offer(run_dir):
    """A colour value forged in the browser draws plain grey pipes instead of failing."""
    figure = network_map.map_figure(RunReader(run_dir), "../../etc", None, 100_000)
    assert "pipes" in _names(figure)
