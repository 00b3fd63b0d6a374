"""Headless Chromium for the dashboard's browser tests and benchmarks: driver, server, timing.

Debian's ``chromium`` and ``chromium-driver`` do the work (installed by ``.ci/run``); selenium
drives them through ``/usr/bin/chromedriver`` only, never a driver it would download itself.
The Dash app is served by werkzeug on 127.0.0.1 and a free port, in a thread of this process.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "CHROMEDRIVER",
    "CHROMIUM",
    "CHROMIUM_FLAGS",
    "PAGES",
    "browser_missing",
    "build_sample_run",
    "chromium",
    "click_and_time_figure",
    "figure_trace_names",
    "in_ci",
    "poll",
    "serve",
    "severe_console_entries",
    "wait_until_settled",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # no traffic but to the app on loopback
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

# True once the Dash renderer has its layout and no callback is queued or running: the same
# test dash[testing] uses (window.store's callbacks, less the stored/completed lists).
_SETTLED_JS = """
const store = window.store;
if (!store || !document.querySelector('#react-entry-point > *')) { return false; }
const state = store.getState();
if (state.isLoading) { return false; }
const queues = Object.assign({}, state.callbacks || {});
delete queues.stored; delete queues.completed;
if (Object.values(queues).some(q => Array.isArray(q) && q.length)) { return false; }
if (state.pendingCallbacks && state.pendingCallbacks.length) { return false; }
if (document.querySelector('[data-dash-is-loading="true"]')) { return false; }
const selector = arguments[0];
if (selector && !document.querySelector(selector)) { return false; }
// every table has its lazily loaded body, every graph has been drawn by plotly
for (const table of document.querySelectorAll('.dash-table-container')) {
  if (!table.querySelector('.dash-spreadsheet')) { return false; }
}
for (const graph of document.querySelectorAll('.dash-graph')) {
  if (!graph.querySelector('.js-plotly-plot .main-svg')) { return false; }
}
return true;
"""


PAGES = {
    "overview": ("/", "#open-events > *"),
    "map": ("/map", "#network-map .main-svg"),
    "leaks": ("/leaks", "#event-table"),
    "balance": ("/balance", "#balance-table"),
    "sensors": ("/sensors", "#feeds-table"),
    "whatif": ("/whatif", "#whatif-map-a .main-svg"),
}
"""Page name: (path, a CSS selector that is there once the page has rendered)."""


def browser_missing() -> str | None:
    """Why no headless browser can run here, or None when Chromium and its driver are there."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[test]')")
    if missing:
        return (
            f"no {', '.join(missing)}: apt-get install chromium chromium-driver "
            "(.ci/run does it; set CI=1 to make this a failure)"
        )
    return None


@contextmanager
def chromium(
    width: int = 1400, height: int = 1000, *, network_log: bool = False
) -> Iterator[object]:
    """A headless Chromium under selenium, with a new empty profile, closed on exit.

    The browser's console is logged at every level, for :func:`severe_console_entries`;
    with ``network_log`` its requests too (``driver.get_log("performance")``, DevTools events).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="twin-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    logs = {"browser": "ALL", **({"performance": "ALL"} if network_log else {})}
    options.set_capability("goog:loggingPrefs", logs)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve a Dash app on 127.0.0.1 and a free port in a background thread; yields its URL."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dash-under-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def wait_until_settled(driver, selector: str | None = None, timeout_s: float = 30.0) -> float:
    """Wait until the Dash page has rendered and no callback is pending.

    Parameters
    ----------
    driver : selenium WebDriver
    selector : str, optional
        A CSS selector that must also be on the page (e.g. ``"#network-map .main-svg"``).
    timeout_s : float
        Seconds to wait before raising ``TimeoutError``.

    Returns
    -------
    float
        Milliseconds from the start of the page's navigation to the moment it was settled
        (the browser's own clock, polled every animation frame).
    """
    driver.set_script_timeout(timeout_s + 5)
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const selector = arguments[0], deadline = performance.now() + arguments[1] * 1000;
        const settled = new Function(arguments[2]);
        (function poll() {
          let ok = false;
          try { ok = settled(selector); } catch (e) { ok = false; }
          if (ok) { return done(performance.now()); }
          if (performance.now() > deadline) { return done(null); }
          requestAnimationFrame(poll);
        })();
        """,
        selector,
        timeout_s,
        _SETTLED_JS,
    )
    if result is None:
        raise TimeoutError(
            f"{driver.current_url}: the page did not settle within {timeout_s} s"
            + (f" (waiting for {selector})" if selector else "")
        )
    return float(result)


def severe_console_entries(driver) -> list[dict]:
    """The browser console's SEVERE entries since the last call (errors, failed requests)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def figure_trace_names(driver, graph_id: str) -> list[str | None]:
    """Names of the traces plotly currently draws in the ``dcc.Graph`` with ``graph_id``."""
    return driver.execute_script(
        """
        const gd = document.querySelector('#' + CSS.escape(arguments[0]) + ' .js-plotly-plot');
        return gd && gd.data ? gd.data.map(t => t.name === undefined ? null : t.name) : [];
        """,
        graph_id,
    )


def click_and_time_figure(driver, graph_id: str, target_css: str, timeout_s: float = 30.0) -> float:
    """Click an element and time how long until ``graph_id``'s figure is redrawn.

    The click and the clock are both in the page (no WebDriver round trip in the figure):
    from the click event to the first animation frame after plotly holds new, non-empty data
    for the graph and Dash no longer marks the graph as loading. Other outputs of the same
    click may still be on their way.

    Returns
    -------
    float
        Milliseconds from the click to the updated figure.
    """
    driver.set_script_timeout(timeout_s + 5)
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const graphId = arguments[0], target = document.querySelector(arguments[1]);
        const deadline = performance.now() + arguments[2] * 1000;
        const graph = () => document.getElementById(graphId);
        const gd = () => graph() && graph().querySelector('.js-plotly-plot');
        if (!target || !gd()) { return done(-1); }
        const before = gd().data;
        const start = performance.now();
        target.click();
        (function poll() {
          const now = gd();
          const loading = graph() && graph().closest('[data-dash-is-loading="true"]');
          if (now && !loading && now.data && now.data !== before && now.data.length) {
            return requestAnimationFrame(() => done(performance.now() - start));
          }
          if (performance.now() > deadline) { return done(null); }
          requestAnimationFrame(poll);
        })();
        """,
        graph_id,
        target_css,
        timeout_s,
    )
    if result is None:
        raise TimeoutError(f"#{graph_id} was not redrawn within {timeout_s} s of the click")
    if result < 0:
        raise LookupError(f"nothing to click at {target_css!r} or no graph #{graph_id} on the page")
    return float(result)


def build_sample_run(
    folder: Path, *, days: float = 8.5, seed: int = 5, leak: str = "p257:20:180"
) -> Path:
    """Generate an L-Town scenario with one leak and replay the twin over it.

    Parameters
    ----------
    folder : Path
        Gets ``scada/`` (the generated SCADA files and truth) and ``run/`` (the run folder:
        ``twin.duckdb``, ``events.csv``...).
    days, seed, leak : float, int, str
        As ``twin generate L-TOWN --days DAYS --seed SEED --leak LEAK``. The twin learns from
        the first 7 days, so ``days`` must be over 7 for it to watch anything.

    Returns
    -------
    Path
        The run folder.
    """
    from twin.cli.generate import generate_scenario
    from twin.cli.replay import replay

    scada, run = folder / "scada", folder / "run"
    generate_scenario("L-TOWN", scada, days=days, seed=seed, leaks=[leak])
    # No roughness fit: it costs 30 s of the 45 and the browser tests need events, not accuracy.
    replay(network="L-TOWN", scada=scada, out=run, history=None, calibrate_roughness=False)
    return run


def poll(condition: Callable[[], object], timeout_s: float, every_s: float = 0.2) -> object:
    """Call ``condition`` until it returns something truthy; that value, or TimeoutError."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{getattr(condition, '__name__', 'condition')} not met in {timeout_s} s"
            )
        time.sleep(every_s)


def in_ci() -> bool:
    """True when the CI variable is set (``.ci/run`` sets CI=1): a missing browser fails."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
