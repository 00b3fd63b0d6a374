"""The control-room dashboard in a real headless Chromium: pages, event selection, operator actions.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them). Without them
these tests skip, unless CI is set: then a missing browser is a failure. Screenshots of every
page go to ``runs/screenshots/`` (or ``$TWIN_SCREENSHOTS``); look at them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dash import Dash, Input, Output, dcc, html

from tests.browser_support import (
    PAGES,
    browser_missing,
    build_sample_run,
    chromium,
    click_and_time_figure,
    figure_trace_names,
    in_ci,
    poll,
    serve,
    severe_console_entries,
    wait_until_settled,
)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def browser_ready() -> None:
    """Skip (or fail in CI) when there is no headless Chromium to drive."""
    reason = browser_missing()
    if reason and in_ci():
        pytest.fail(f"CI is set but {reason}")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def driver(browser_ready):
    """One headless Chromium for the whole session."""
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Folder for the page screenshots (kept after the run: they are for people to look at)."""
    folder = Path(os.environ.get("TWIN_SCREENSHOTS", REPO / "runs" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _tiny_app() -> Dash:
    """A two-callback app to prove the harness: a graph that follows a button, a failing div."""
    app = Dash(__name__, title="harness")
    app.layout = html.Div(
        [
            html.Button("more", id="more"),
            html.Button("fail", id="fail"),
            dcc.Graph(id="graph"),
            html.Div(id="boom"),
        ]
    )

    @app.callback(Output("graph", "figure"), Input("more", "n_clicks"))
    def draw(n_clicks):
        n = (n_clicks or 0) + 1
        return {"data": [{"y": list(range(n)), "name": f"trace-{n}"}]}

    @app.callback(Output("boom", "children"), Input("fail", "n_clicks"), prevent_initial_call=True)
    def fail(n_clicks):
        raise RuntimeError("a callback that breaks")

    return app


def test_harness_sees_a_figure_update_after_a_click(driver):
    """Clicking a button redraws the graph and the harness reports the new trace and a time."""
    with serve(_tiny_app()) as url:
        driver.get(url)
        wait_until_settled(driver, "#graph .main-svg")
        assert figure_trace_names(driver, "graph") == ["trace-1"]
        elapsed_ms = click_and_time_figure(driver, "graph", "#more")
        assert figure_trace_names(driver, "graph") == ["trace-2"]
        assert 0 < elapsed_ms < 5000


def test_harness_catches_a_failing_callback_in_the_console(driver):
    """A callback that raises shows up as a SEVERE console entry: the page checks can fail."""
    with serve(_tiny_app()) as url:
        driver.get(url)
        wait_until_settled(driver)
        severe_console_entries(driver)
        driver.find_element("id", "fail").click()
        errors = poll(lambda: severe_console_entries(driver), timeout_s=10)
        assert any("500" in entry["message"] for entry in errors)


# --- the real dashboard on a real run ---------------------------------------------------------

"""Page name: (path, a CSS selector that is there once the page has rendered)."""


@pytest.fixture(scope="session")
def sample_run(browser_ready, tmp_path_factory) -> Path:
    """A small but real run: 8.5 days of L-Town with one leak, replayed by the twin
    (25 s on a quiet machine, 45-65 s with other work on its 2 cores).

    ``TWIN_BROWSER_RUN=DIR`` uses a copy of an existing run folder instead (for quick reruns).
    """
    folder = tmp_path_factory.mktemp("dashboard-run")
    given = os.environ.get("TWIN_BROWSER_RUN")
    if given:
        return Path(shutil.copytree(given, folder / "run"))
    started = time.perf_counter()
    run = build_sample_run(folder)
    print(f"\nbuilt the browser tests' run {run} in {time.perf_counter() - started:.1f} s")
    return run


@pytest.fixture(scope="session")
def dashboard(sample_run) -> str:
    """The dashboard on the sample run, served on loopback; its base URL."""
    from twin.dashboard.app import create_app

    with serve(create_app(sample_run)) as url:
        yield url


def _open(driver, url: str, selector: str | None = None, *, fresh: bool = False) -> None:
    """Open a page and wait until it has settled (``fresh``: forget the browser's stored state)."""
    driver.get(url)
    if fresh:
        driver.execute_script("window.localStorage.clear(); window.sessionStorage.clear();")
        driver.get(url)
    wait_until_settled(driver, selector)


def _select_first_event(driver) -> str:
    """Tick the first row of the event table; the selected event's id."""
    event_id = driver.find_element(
        "css selector", '#event-table td[data-dash-column="event_id"]'
    ).text.strip()
    driver.find_element("css selector", "#event-table input[type=radio]").click()
    poll(lambda: event_id in driver.find_element("id", "event-state").text, timeout_s=20)
    wait_until_settled(driver)
    return event_id


def _full_page_screenshot(driver, path: Path) -> None:
    """A PNG of the whole page (the window is stretched to the page's height for it)."""
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    page_height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(page_height + 140, height), 6000))
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(width, height)


@pytest.mark.slow  # the sample run takes 25-60 s to build, once per session
@pytest.mark.parametrize("page", list(PAGES))
def test_page_loads_without_console_errors(driver, dashboard, screenshots, page):
    """Each page renders its main component and the browser console holds no error."""
    path, selector = PAGES[page]
    severe_console_entries(driver)  # drop what earlier pages logged
    _open(driver, dashboard + path, selector)
    _full_page_screenshot(driver, screenshots / f"{page}.png")
    print(f"\nscreenshot: {screenshots / f'{page}.png'}")
    errors = severe_console_entries(driver)
    assert not errors, f"{path}: console errors {errors}"


@pytest.mark.slow
def test_selecting_an_event_outlines_its_search_area_on_the_map(driver, dashboard, screenshots):
    """Ticking an event in the table draws its search area on the network map."""
    _open(driver, dashboard + "/leaks", "#event-table input[type=radio]", fresh=True)
    assert "search-area" not in figure_trace_names(driver, "network-map")
    _select_first_event(driver)
    poll(lambda: "search-area" in figure_trace_names(driver, "network-map"), timeout_s=20)
    points = driver.execute_script(
        """const gd = document.querySelector('#network-map .js-plotly-plot');
        const area = gd._fullData.find(t => t.name === 'search-area');  // x decoded by plotly
        return Array.from(area.x).filter(x => x !== null && !Number.isNaN(x)).length;"""
    )
    _full_page_screenshot(driver, screenshots / "leaks-selected.png")
    assert points >= 2, "the search-area trace draws no pipe"


@pytest.mark.slow
def test_acknowledging_an_event_survives_a_reload(driver, dashboard, screenshots):
    """An acknowledged event still reads as acknowledged after the page is reloaded."""
    _open(driver, dashboard + "/leaks", "#event-table input[type=radio]", fresh=True)
    event_id = _select_first_event(driver)
    driver.find_element("id", "ack-button").click()
    poll(lambda: "acknowledged" in driver.find_element("id", "event-state").text, timeout_s=20)
    driver.refresh()
    wait_until_settled(driver, "#event-table input[type=radio]")
    if event_id not in driver.find_element("id", "event-state").text:
        _select_first_event(driver)  # the reload forgot the selection: pick the event again
    state = driver.find_element("id", "event-state").text
    _full_page_screenshot(driver, screenshots / "leaks-acknowledged.png")
    assert event_id in state and "acknowledged" in state, state


def _replay_position(driver) -> float:
    """The overview's replay position (s since the run's origin), read off the slider."""
    value = driver.execute_script(
        """const handle = document.querySelector('#replay-slider [role="slider"]');
        if (handle) { return handle.getAttribute('aria-valuenow'); }
        const box = document.querySelector('#replay-slider input');
        return box ? box.value : null;"""
    )
    return float(value) if value not in (None, "") else float("nan")


@pytest.mark.slow
def test_live_overview_advances_while_a_live_run_writes(driver, tmp_path, screenshots):
    """While ``twin live`` fills the store, the overview's replay position moves on by itself."""
    from twin.dashboard.app import create_app

    out, log = tmp_path / "live", tmp_path / "twin-live.log"
    command = [
        *(sys.executable, "-c", "from twin.cli import main; main()", "live"),
        str(REPO / "scenarios" / "control-room-demo.toml"),
        *("--days", "0.5", "--history-days", "1", "--speed", "1800", "--flush-minutes", "60"),
        *("--out", str(out)),
    ]
    with log.open("w") as sink:
        live_run = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        poll(lambda: "store ready" in log.read_text() or live_run.poll() is not None, 300)
        assert live_run.poll() is None, f"twin live stopped early:\n{log.read_text()}"
        with serve(create_app(out, live=True)) as url:
            _open(driver, url + "/", "#feed-health", fresh=True)
            severe_console_entries(driver)
            first = _replay_position(driver)

            def moved_or_ended() -> bool:
                return _replay_position(driver) > first or live_run.poll() is not None

            poll(moved_or_ended, 240)
            still_writing = live_run.poll() is None
            position = _replay_position(driver)
            assert position > first and still_writing, (
                f"replay position {first} s -> {position} s, live run still writing: "
                f"{still_writing}\n{log.read_text()[-2000:]}"
            )
            _full_page_screenshot(driver, screenshots / "overview-live.png")
            errors = severe_console_entries(driver)
            assert not errors, f"console errors while following the live run: {errors}"
    finally:
        live_run.terminate()
        live_run.wait(timeout=60)
