"""``twin run``: run a planner scenario file and write its store, summary and report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from twin.cli.app import app, console, step_progress

__all__ = ["run"]

_SHOWN = (
    ("leaks", "leaks started in the watch"),
    ("leaks_detected", "detected"),
    ("false_alarms", "false alarms"),
    ("detection_delay_median_h", "median delay (h)"),
    ("localization_distance_median_m", "median localization distance (m)"),
    ("within_300m_share", "share within 300 m"),
    ("nrw_percent", "NRW (%)"),
    ("seconds_total", "seconds"),
)


@app.command("run")
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (.toml), see scenarios/.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder. Default: runs/<scenario file stem>."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a setting, KEY=VALUE with a dotted key (run.seed=3, "
            "leaks.0.diameter_mm=12); repeatable.",
        ),
    ] = None,
    days: Annotated[
        float | None,
        typer.Option(
            help="Preview: watch only the first DAYS (leaks, faults and lost uploads after "
            "them left out).",
            min=0.0,
        ),
    ] = None,
    history_days: Annotated[
        float | None,
        typer.Option(help="With --days: days of history to learn from (default 1).", min=1.0),
    ] = None,
) -> None:
    """Simulate SCENARIO's plant, let the twin watch its SCADA files, score it and report.

    OUT gets the plant's files (scada/, truth/), the twin's twin.duckdb, events.csv,
    leaks.txt, candidates.csv and water_balance.json, and summary.json and report.html.
    """
    from twin.scenario import load_scenario, run_scenario

    overrides = dict(_pair(text) for text in set_ or [])
    loaded = load_scenario(scenario, overrides)
    if history_days is not None and days is None:
        raise ValueError("--history-days is read with --days only (a preview)")
    if days is not None:
        from twin.scenario.shorten import cut_short

        loaded = cut_short(loaded, days, 1.0 if history_days is None else history_days)
    folder = out or Path("runs") / scenario.stem
    with step_progress() as bar:
        tasks: dict[str, int] = {}

        def on_step(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                for task in tasks.values():
                    bar.update(task, visible=False)
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        summary = run_scenario(loaded, folder, on_step=on_step)
    for key, words in _SHOWN:
        value = summary.get(key)
        shown = "-" if value is None else f"{value:.2f}" if isinstance(value, float) else value
        console.print(f"{words}: {shown}", highlight=False)
    if summary.get("notes"):
        console.print(f"[yellow]notes:[/] {escape(summary['notes'])}", highlight=False)
    console.print(
        f"wrote {escape(str(folder))}: summary.json, report.html, events.csv, leaks.txt, "
        "candidates.csv, water_balance.json, twin.duckdb, scada/, truth/",
        highlight=False,
    )


def _pair(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` as a pair; ValueError naming the option otherwise."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"--set {text!r}: expected KEY=VALUE, e.g. run.seed=3")
    return key.strip(), value.strip()
