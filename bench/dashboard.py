"""Benchmark: the dashboard in a real headless Chromium: first render of each page, callbacks.

    .venv/bin/python bench/dashboard.py           # builds (once) its runs under runs/bench/
    .venv/bin/python bench/dashboard.py --ltown-run DIR --bwsn-run DIR --repeat 5
    .venv/bin/python bench/dashboard.py --no-bwsn

For L-Town and for BWSN_Network_2 (12,523 junctions, 14,822 pipes), each page is opened
``--repeat`` times with the browser's cache off (``--warm-cache``: on, as for an operator
who has opened the dashboard before); a page's render time runs from the start of
its navigation to the moment the Dash renderer has no callback left and every graph on it is
drawn (the browser's own clock). The first load of each page after the server started is
shown apart ("first"): it pays for the server's reading of the store. Callback round trips are
timed in the page from the click to the redrawn map: recolouring the map (the colour choice
on /map) and selecting an event (a row of the event table on /leaks). A blank Dash page served
the same way is the baseline, so every figure also reads as a ratio to it.

Targets (issue "dashboard", L-Town): each page under 2 s, each callback under 300 ms.

The runs: L-Town is ``twin generate L-TOWN --days 8.5 --seed 5 --leak p257:20:180`` replayed
by the twin; BWSN_Network_2 has no sensor layout of its own, so one is made here (20 pressure
loggers spread over the junctions, a flow meter on each reservoir's pipe, both tank levels)
and ``twin generate`` runs 8.5 days with one 80 mm leak, then the twin replays it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from dash import Dash, html

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the browser harness lives beside the tests

from tests.browser_support import (  # noqa: E402
    PAGES,
    browser_missing,
    build_sample_run,
    chromium,
    click_and_time_figure,
    figure_trace_names,
    serve,
    severe_console_entries,
    wait_until_settled,
)

PAGE_TARGET_MS = 2000.0
CALLBACK_TARGET_MS = 300.0
BWSN = "BWSN_Network_2"
BWSN_LEAK = "LINK-1:80:172"


def build_bwsn_run(folder: Path, *, days: float = 8.5, seed: int = 1) -> Path:
    """Generate and replay BWSN_Network_2 with a sensor layout made here; the run folder."""
    from twin.cli.generate import generate_scenario
    from twin.cli.replay import replay
    from twin.network import load, resolve_network

    wn = load(resolve_network(BWSN))
    junctions = sorted(wn.junction_name_list)
    rows = ["sensor_type,element_id"]
    rows += [f"pressure,{j}" for j in junctions[:: len(junctions) // 20][:20]]
    rows += [f"flow,{link}" for r in wn.reservoir_name_list for link in wn.get_links_for_node(r)]
    rows += [f"tank_level,{t}" for t in wn.tank_name_list]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sensors.csv").write_text("\n".join(rows) + "\n")
    generate_scenario(
        BWSN,
        folder / "scada",
        days=days,
        seed=seed,
        leaks=[BWSN_LEAK],
        sensors=folder / "sensors.csv",
    )
    replay(network=BWSN, scada=folder / "scada", out=folder / "run", calibrate_roughness=False)
    return folder / "run"


def ensure_run(given: Path | None, cache: Path, build) -> Path:
    """The run folder given, or the cached one under runs/bench/, built on first use."""
    if given is not None:
        return given
    if (cache / "run" / "twin.duckdb").is_file():
        return cache / "run"
    started = time.perf_counter()
    print(f"building {cache} (once) ...", flush=True)
    run = build(cache)
    print(f"built {run} in {time.perf_counter() - started:.0f} s", flush=True)
    return run


_LAST_RESPONSE_JS = """
return Math.max(0, ...performance.getEntriesByType('resource')
  .filter(r => r.name.includes('/_dash-')).map(r => r.responseEnd));
"""


def page_renders(
    driver, url: str, selector: str | None, repeat: int
) -> tuple[list[float], list[float]]:
    """``repeat`` loads of one page with the browser cache off.

    Returns
    -------
    tuple of two lists of float
        Render times (ms from navigation start to settled), and for each load the time (ms
        from navigation start) its last layout or callback response arrived: what the server
        took; the rest is the browser's (scripts, plotly drawing).
    """
    times, answered = [], []
    for _ in range(repeat):
        driver.get("about:blank")
        driver.get(url)
        times.append(wait_until_settled(driver, selector, timeout_s=120))
        answered.append(float(driver.execute_script(_LAST_RESPONSE_JS)))
    return times, answered


def recolour_round_trips(driver, base: str, repeat: int) -> list[float]:
    """Click through the map's colour choices; ms from each click to the redrawn map."""
    driver.get(base + "/map")
    wait_until_settled(driver, "#network-map .main-svg", timeout_s=120)
    values = driver.execute_script(
        "return [...document.querySelectorAll('#map-colour input')].map(i => i.value);"
    )
    current = driver.execute_script(
        "return [...document.querySelectorAll('#map-colour input')].find(i => i.checked).value;"
    )
    order = [v for v in values if v != current] + [current]
    times = []
    for k in range(repeat):
        value = order[k % len(order)]
        times.append(
            click_and_time_figure(driver, "network-map", f'#map-colour input[value="{value}"]', 120)
        )
        wait_until_settled(driver, timeout_s=120)
    return times


def selection_round_trips(driver, base: str, repeat: int) -> list[float]:
    """Select the first event of the table (page reloaded, storage cleared, each time)."""
    times = []
    for _ in range(repeat):
        driver.get(base + "/leaks")
        driver.execute_script("window.localStorage.clear(); window.sessionStorage.clear();")
        driver.get(base + "/leaks")
        wait_until_settled(driver, "#event-table", timeout_s=120)
        if not driver.find_elements("css selector", "#event-table input[type=radio]"):
            return []
        times.append(
            click_and_time_figure(driver, "network-map", "#event-table input[type=radio]", 120)
        )
        if "search-area" not in figure_trace_names(driver, "network-map"):
            raise AssertionError("the map was redrawn without the event's search area")
    return times


def measure_app(
    app: Dash, repeat: int, label: str, callbacks: bool = True, warm_cache: bool = False
) -> list[tuple]:
    """Rows ``(network, what, first ms, median ms, max ms, target ms)`` for one app."""
    rows = []
    with serve(app) as base, chromium() as driver:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": not warm_cache})
        pages = PAGES if callbacks else {"blank": ("/", "#blank")}
        for name, (path, selector) in pages.items():
            times, answered = page_renders(driver, base + path, selector, repeat)
            errors = severe_console_entries(driver)
            note = f" ({len(errors)} console errors)" if errors else ""
            rows.append((label, f"page {name}{note}", times, PAGE_TARGET_MS, answered))
        if callbacks:
            rows.append(
                (
                    label,
                    "callback: recolour map",
                    recolour_round_trips(driver, base, repeat),
                    CALLBACK_TARGET_MS,
                )
            )
            rows.append(
                (
                    label,
                    "callback: select event",
                    selection_round_trips(driver, base, repeat),
                    CALLBACK_TARGET_MS,
                )
            )
    return rows


def print_table(rows: list[tuple], blank_ms: float) -> None:
    """The measurements, with the ratio of each median to the blank page's median."""
    header = ("first", "median", "max", "served", "target", "x blank")
    print(f"\n{'network':<16} {'what':<34} " + " ".join(f"{h:>8}" for h in header))
    for network, what, times, target, *answered in rows:
        if not times:
            print(f"{network:<16} {what:<34} {'(no event to select)':>44}")
            continue
        later = times[1:] or times
        median = statistics.median(later)
        served = " " * 8
        if answered:
            served = f"{statistics.median(answered[0][1:] or answered[0]):8.0f}"
        verdict = "ok" if max(later) < target else "MISS"
        print(
            f"{network:<16} {what:<34} {times[0]:8.0f} {median:8.0f} {max(later):8.0f} {served} "
            f"{target:8.0f} {median / blank_ms:8.1f} {verdict}"
        )
    print(
        "times in ms; first = first load after the server started; median and max of the rest;\n"
        "served = median time from navigation start to the page's last layout/callback response\n"
        "(the rest of a page's time is the browser's: scripts, plotly drawing with software GL)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ltown-run", type=Path, help="an L-Town run folder (default: built)")
    parser.add_argument("--bwsn-run", type=Path, help=f"a {BWSN} run folder (default: built)")
    parser.add_argument("--no-bwsn", action="store_true", help=f"leave {BWSN} out")
    parser.add_argument("--repeat", type=int, default=5, help="loads per page and clicks")
    parser.add_argument(
        "--warm-cache", action="store_true", help="keep the browser cache (scripts cached)"
    )
    args = parser.parse_args()
    reason = browser_missing()
    if reason:
        sys.exit(f"error: {reason}")
    from twin.dashboard.app import create_app

    load_before = os.getloadavg()[0]
    blank = Dash(__name__, title="blank")
    blank.layout = html.Div("blank page", id="blank")
    rows = measure_app(blank, args.repeat, "baseline", False, args.warm_cache)
    blank_ms = statistics.median(rows[0][2][1:] or rows[0][2])
    runs = {
        "L-Town": ensure_run(args.ltown_run, REPO / "runs/bench/dashboard-ltown", build_sample_run)
    }
    if not args.no_bwsn:
        runs[BWSN] = ensure_run(args.bwsn_run, REPO / "runs/bench/dashboard-bwsn2", build_bwsn_run)
    for label, run in runs.items():
        started = time.perf_counter()
        app = create_app(run)
        print(
            f"{label}: create_app {1000 * (time.perf_counter() - started):.0f} ms ({run})",
            flush=True,
        )
        rows += measure_app(app, args.repeat, label, warm_cache=args.warm_cache)
    print_table(rows, blank_ms)
    print(
        f"machine load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"({os.cpu_count()} CPUs); other work on the machine inflates every figure"
    )


if __name__ == "__main__":
    main()
