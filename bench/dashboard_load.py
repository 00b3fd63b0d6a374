"""Load test: 20 simulated control-room users against the dashboard on loopback for 60 s.

    .venv/bin/python bench/dashboard_load.py                   # L-Town run of bench/dashboard.py
    .venv/bin/python bench/dashboard_load.py --run DIR --users 20 --seconds 60 --think 1

The dashboard is served as a user serves it (``twin dash --run DIR``, a separate process) on
127.0.0.1 and a free port. A headless Chromium first drives the real pages once and records
the requests they make (performance log): each page's HTML, ``_dash-layout``,
``_dash-dependencies`` and the ``_dash-update-component`` posts of its callbacks, then the
posts of recolouring the map and of selecting an event. Static scripts are left out (a
browser caches them). Then ``--users`` threads, each with its own ``requests`` session and
seeded choice of actions, replay those actions for ``--seconds``: an action's requests go in
order, as the browser sends them, and a user waits a random 0 to 2 x ``--think`` s between
actions. Every loop is bounded in time and in count, and only loopback is ever addressed.

Prints latency percentiles per request kind and per user action (the sum of its requests),
the throughput, and every error; exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/dashboard.py, beside this file

from dashboard import PAGES, REPO, ensure_run  # noqa: E402

from tests.browser_support import (  # noqa: E402
    browser_missing,
    build_sample_run,
    chromium,
    wait_until_settled,
)

HOST = "127.0.0.1"  # the only address this script ever sends to
MAX_USERS = 100
MAX_SECONDS = 600
REQUEST_TIMEOUT_S = 30


@dataclass(frozen=True)
class Call:
    """One HTTP request of a user action, as the browser sent it."""

    method: str
    path: str  # path and query, relative to the server
    body: str | None
    kind: str  # what it is, for the report: "page html", "layout", "callback network-map"...


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(run: Path, port: int, log: Path) -> subprocess.Popen:
    """``twin dash`` on loopback in its own process; returns once it answers."""
    twin = Path(sys.executable).parent / "twin"
    server = subprocess.Popen(
        [str(twin), "dash", "--run", str(run), "--host", HOST, "--port", str(port)],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"twin dash exited with {server.returncode}; see {log}")
        try:
            if requests.get(f"http://{HOST}:{port}/", timeout=5).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise TimeoutError(f"twin dash did not answer on port {port} in 120 s; see {log}")


def _callback_kind(body: str | None) -> str:
    """``callback <first output id>`` from a ``_dash-update-component`` body."""
    try:
        output = json.loads(body or "{}").get("output", "?")
    except json.JSONDecodeError:
        return "callback ?"
    return "callback " + output.strip(".").split(".")[0].split("...")[0]


def recorded_calls(driver, base: str) -> list[Call]:
    """The app's requests in the browser's performance log since the last read, in order."""
    calls = []
    for entry in driver.get_log("performance"):
        event = json.loads(entry["message"])["message"]
        if event["method"] != "Network.requestWillBeSent":
            continue
        request = event["params"]["request"]
        if not request["url"].startswith(base):
            continue
        split = urlsplit(request["url"])
        path = split.path + (f"?{split.query}" if split.query else "")
        if event["params"].get("type") == "Document":
            calls.append(Call("GET", path, None, "page html"))
        elif split.path in ("/_dash-layout", "/_dash-dependencies"):
            calls.append(Call("GET", path, None, split.path.strip("/_").replace("dash-", "")))
        elif split.path == "/_dash-update-component":
            body = request.get("postData")
            if body is None and request.get("hasPostData"):
                body = driver.execute_cdp_cmd(
                    "Network.getRequestPostData", {"requestId": event["params"]["requestId"]}
                )["postData"]
            calls.append(Call("POST", path, body, _callback_kind(body)))
    return calls


def record_actions(base: str) -> dict[str, list[Call]]:
    """Drive the real pages once in Chromium; each user action and the requests it made."""
    actions: dict[str, list[Call]] = {}
    with chromium(network_log=True) as driver:
        for name, (path, selector) in PAGES.items():
            driver.get_log("performance")
            driver.get(base + path)
            wait_until_settled(driver, selector, timeout_s=120)
            actions[f"open {name}"] = recorded_calls(driver, base)
        driver.get(base + "/map")
        wait_until_settled(driver, "#network-map .main-svg", timeout_s=120)
        for colour in driver.execute_script(
            "return [...document.querySelectorAll('#map-colour input:not(:checked)')]"
            ".map(i => i.value);"
        ):
            driver.get_log("performance")
            driver.find_element("css selector", f'#map-colour input[value="{colour}"]').click()
            wait_until_settled(driver, timeout_s=120)
            actions[f"recolour map: {colour}"] = recorded_calls(driver, base)
        driver.get(base + "/leaks")
        driver.execute_script("window.sessionStorage.clear();")
        driver.get(base + "/leaks")
        wait_until_settled(driver, "#event-table", timeout_s=120)
        radios = driver.find_elements("css selector", "#event-table input[type=radio]")
        if radios:
            driver.get_log("performance")
            radios[0].click()
            wait_until_settled(driver, timeout_s=120)
            actions["select event"] = recorded_calls(driver, base)
    for action, calls in actions.items():
        if not calls:
            raise RuntimeError(f"the browser made no request for {action!r}; nothing to replay")
    return actions


def simulate_user(
    base: str,
    actions: dict[str, list[Call]],
    seed: int,
    deadline: float,
    think_s: float,
    max_requests: int,
    results: list,
) -> None:
    """One user: random actions until the deadline or ``max_requests``; appends measurements.

    ``results`` gets ``(action, kind, seconds, status or error text, ok)`` per request and
    ``(action, "action total", seconds, "", ok)`` per finished action.
    """
    rng = random.Random(seed)
    names = sorted(actions)
    sent = 0
    with requests.Session() as session:
        while time.monotonic() < deadline and sent < max_requests:
            action = rng.choice(names)
            total, all_ok = 0.0, True
            for call in actions[action]:
                started = time.perf_counter()
                try:
                    response = session.request(
                        call.method,
                        base + call.path,
                        data=call.body,
                        headers={"Content-Type": "application/json"} if call.body else None,
                        timeout=REQUEST_TIMEOUT_S,
                    )
                    status, ok = response.status_code, response.status_code in (200, 204)
                except requests.RequestException as error:
                    status, ok = f"{type(error).__name__}: {error}", False
                elapsed = time.perf_counter() - started
                sent += 1
                total += elapsed
                all_ok &= ok
                results.append((action, call.kind, elapsed, status, ok))
            results.append((action, "action total", total, "", all_ok))
            pause = rng.uniform(0, 2 * think_s)
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))


def report(results: list, seconds: float) -> int:
    """Print the percentiles tables and the errors; the number of failed requests."""
    requests_only = [r for r in results if r[1] != "action total"]
    failed = [r for r in requests_only if not r[4]]

    def table(title: str, groups: dict[str, list[float]]) -> None:
        print(f"\n{title:<44} {'n':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for name in sorted(groups):
            ms = 1000 * np.asarray(groups[name])
            p50, p90, p99 = np.percentile(ms, [50, 90, 99])
            print(f"{name:<44} {len(ms):6d} {p50:8.0f} {p90:8.0f} {p99:8.0f} {ms.max():8.0f}")

    by_kind: dict[str, list[float]] = defaultdict(list)
    by_action: dict[str, list[float]] = defaultdict(list)
    for action, kind, elapsed, _, _ in results:
        (by_action[action] if kind == "action total" else by_kind[kind]).append(elapsed)
    by_kind["all requests"] = [r[2] for r in requests_only]
    table("request kind", by_kind)
    table("user action (its requests in sequence)", by_action)
    print(
        f"\n{len(requests_only)} requests in {seconds:.0f} s "
        f"({len(requests_only) / seconds:.1f}/s), {len(failed)} failed"
    )
    for action, kind, _, status, _ in failed[:20]:
        print(f"  failed: {action} / {kind}: {status}")
    return len(failed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="run folder (default: bench/dashboard.py's)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between actions, s")
    parser.add_argument("--max-requests", type=int, default=5000, help="per user")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 1 <= args.users <= MAX_USERS or not 0 < args.seconds <= MAX_SECONDS:
        sys.exit(f"error: --users 1..{MAX_USERS} and --seconds up to {MAX_SECONDS}")
    reason = browser_missing()
    if reason:
        sys.exit(f"error: {reason} (the browser records the requests to replay)")
    run = ensure_run(args.run, REPO / "runs/bench/dashboard-ltown", build_sample_run)
    port = free_port()
    base = f"http://{HOST}:{port}"
    log = REPO / "runs/bench/dashboard_load.server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = start_server(run, port, log)
    try:
        actions = record_actions(base)
        print(f"recorded {len(actions)} actions from the real pages ({run}):")
        for name, calls in actions.items():
            print(f"  {name}: {len(calls)} requests ({', '.join(c.kind for c in calls)})")
        results: list = []
        deadline = time.monotonic() + args.seconds
        started = time.monotonic()
        users = [
            threading.Thread(
                target=simulate_user,
                args=(base, actions, args.seed * 1000 + k, deadline, args.think, args.max_requests),
                kwargs={"results": results},
                daemon=True,
            )
            for k in range(args.users)
        ]
        for user in users:
            user.start()
        for user in users:
            user.join(timeout=args.seconds + REQUEST_TIMEOUT_S * 50)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"\n{args.users} users, {args.seconds:.0f} s, think time 0-{2 * args.think:.1f} s "
        f"between actions; server: twin dash (one process), load average {os.getloadavg()[0]:.1f}"
    )
    sys.exit(1 if report(results, elapsed) else 0)


if __name__ == "__main__":
    main()
