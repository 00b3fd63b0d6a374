"""``twin live``: run a scenario's twin on a real-time clock while the store fills."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from twin.cli.app import app, console
from twin.cli.run import _pair

__all__ = ["dashboard_command", "live"]


def dashboard_command(run_dir: Path, port: int) -> list[str]:
    """The command that serves the live dashboard of ``run_dir`` on 127.0.0.1:``port``."""
    serve = "from twin.cli import main; main()"
    return [
        sys.executable,
        "-c",
        serve,
        "dash",
        "--run",
        str(run_dir),
        "--live",
        "--port",
        str(port),
    ]


@app.command("live")
def live(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (.toml), see scenarios/.")],
    speed: Annotated[
        float,
        typer.Option(help="Simulated seconds per wall second (600: an hour in 6 s).", min=1e-3),
    ] = 600.0,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder. Default: runs/<scenario file stem>-live."),
    ] = None,
    flush_minutes: Annotated[
        int,
        typer.Option(help="Simulated minutes between two updates of the store.", min=1),
    ] = 60,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a setting, KEY=VALUE (as for `twin run`)."),
    ] = None,
    days: Annotated[
        float | None,
        typer.Option(help="Watch only the first DAYS (as `twin run --days`).", min=0.0),
    ] = None,
    history_days: Annotated[
        float | None,
        typer.Option(help="With --days: days of history to learn from (default 1).", min=1.0),
    ] = None,
    dash: Annotated[
        bool, typer.Option("--dash", help="Also serve the dashboard on 127.0.0.1.")
    ] = False,
    port: Annotated[int, typer.Option(help="Dashboard port.", min=1, max=65535)] = 8050,
) -> None:
    """Simulate SCENARIO's plant, then let the twin watch it live, SPEED times real time.

    The plant's readings are generated first (fast); the twin learns from the history, then
    the watch's readings reach it at their arrival times on a real-time clock. Every
    FLUSH-MINUTES of simulated time the new readings are stored (bronze, silver), operator
    actions "repaired" from the dashboard are applied, and events, candidates, KPIs and
    residuals are rewritten; the store is closed between updates so dashboards can read it
    (`twin dash --run OUT --live`). Ctrl-C stops cleanly, the store up to date.
    """
    from twin.scenario import load_scenario
    from twin.scenario.live import live_scenario

    loaded = load_scenario(scenario, dict(_pair(text) for text in set_ or []))
    if history_days is not None and days is None:
        raise ValueError("--history-days is read with --days only (a preview)")
    if days is not None:
        from twin.scenario.shorten import cut_short

        loaded = cut_short(loaded, days, 1.0 if history_days is None else history_days)
    folder = out or Path("runs") / f"{scenario.stem}-live"
    server: list[subprocess.Popen] = []

    def ready(store: Path) -> None:
        console.print(f"store ready: {escape(str(store))}", highlight=False)
        if dash:
            server.append(subprocess.Popen(dashboard_command(folder, port)))
            console.print(f"dashboard at http://127.0.0.1:{port}", highlight=False)

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "watch" and (done % max(total // 20, 1) == 0 or done == total):
            console.print(f"watched {done}/{total} steps", highlight=False)

    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        console.print(f"generating the plant's readings for {escape(str(scenario))}")
        summary = live_scenario(
            loaded,
            folder,
            speed=speed,
            flush_s=flush_minutes * 60,
            on_ready=ready,
            on_step=progress,
        )
        state = "stopped early" if summary["live_stopped"] else "finished"
        console.print(
            f"{state}: {summary['duration_days']:.2f} days watched at "
            f"{summary['live_speed_reached']:g}x real time, {summary['live_flushes']} store "
            f"updates, {summary['events']} event(s), repaired by the operator: "
            f"{summary['live_repairs'] or 'none'}",
            highlight=False,
        )
        console.print(f"wrote {escape(str(folder))}", highlight=False)
        if server and not summary["live_stopped"]:
            console.print("the dashboard goes on serving the finished run; Ctrl-C stops it")
            _wait(server[0])
    finally:
        signal.signal(signal.SIGTERM, previous)
        for process in server:
            process.terminate()
            process.wait(timeout=10)


def _wait(process: subprocess.Popen) -> None:
    """Wait for a process until it ends or Ctrl-C."""
    try:
        process.wait()
    except KeyboardInterrupt:
        pass


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops a live run as Ctrl-C does (cleanly, the store up to date)."""
    raise KeyboardInterrupt
