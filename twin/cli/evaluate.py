"""``twin evaluate``: how well the twin detects and localizes leaks, over drawn cases."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TimeElapsedColumn
from rich.table import Table

from twin.cli.app import app, console

__all__ = ["evaluate", "parse_diameters"]


def parse_diameters(text: str) -> tuple[float, float]:
    """``"8,25"`` as ``(8.0, 25.0)`` mm; ValueError naming the option otherwise.

    Examples
    --------
    >>> parse_diameters("8,25"), parse_diameters("12")
    ((8.0, 25.0), (12.0, 12.0))
    """
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or not 0 < values[0] <= values[-1]:
        raise ValueError(
            f"--leak-diameters {text!r}: expected SMALLEST,LARGEST in mm with "
            "0 < SMALLEST <= LARGEST (e.g. 8,25)"
        )
    return values[0], values[-1]


@app.command()
def evaluate(
    network: Annotated[str, typer.Argument(help="Network: a catalogue name or an .inp path.")],
    cases: Annotated[int, typer.Option(help="Number of cases to draw.", min=1)] = 20,
    seed: Annotated[int, typer.Option(help="Seed the cases are drawn from.")] = 1,
    sensors: Annotated[
        Path | None,
        typer.Option(help="Sensor layout CSV (default: the network's NAME.sensors.csv)."),
    ] = None,
    leak_diameters: Annotated[
        str, typer.Option(help="Leak diameters, SMALLEST,LARGEST in mm (uniform).")
    ] = "8,25",
    workers: Annotated[
        int | None, typer.Option(help="Cases run at once (default: the number of CPUs).", min=1)
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Keep the cases and write leaks.csv, false_alarms.csv, summary.csv."),
    ] = None,
    watch_days: Annotated[float, typer.Option(hidden=True, min=0.0)] = 14.0,
    history_days: Annotated[float, typer.Option(hidden=True, min=0.0)] = 7.0,
) -> None:
    """Draw leak cases from SEED, let the twin watch each without the truth, and score it.

    Each case is NETWORK with its plant uncertainty on: 7 days of history, then 14 days
    with 1-3 leaks on random pipes (abrupt, or incipient growing over 1-4 days) starting in
    the first 12. Prints leaks detected, false alarms per 30 days, median delays, top-1 and
    top-10 pipe accuracy, localization distances, search-area length and the BattLeDIM
    score as a share of the perfect score.
    """
    from twin.evaluate.cases import CasePlan, draw_cases, run_cases

    plan = CasePlan.watching(watch_days, history_days)
    specs = draw_cases(
        network, cases, seed, parse_diameters(leak_diameters), plan=plan, sensors=sensors
    )
    workers = min(workers or os.cpu_count() or 1, len(specs))
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="twin-evaluate-") as temporary:
        scratch = out if out is not None else Path(temporary)
        scratch.mkdir(parents=True, exist_ok=True)
        with _case_progress() as progress:
            task = progress.add_task(f"evaluating {Path(network).stem}", total=len(specs))
            results = run_cases(
                specs, scratch, workers, lambda r: progress.update(task, advance=1, refresh=True)
            )
    wall = time.perf_counter() - clock
    leaks, alarms, figures = _combine(results)
    _print_leaks(leaks)
    _print_figures(figures, network, seed, results)
    per_case = pd.DataFrame([r.seconds for r in results]).mean()
    console.print(
        f"per case: generate {per_case.get('generate', float('nan')):.0f} s, replay "
        f"{per_case.get('replay', float('nan')):.0f} s; wall {wall:.0f} s with {workers} "
        f"worker(s)",
        highlight=False,
    )
    if out is not None:
        _write(out, specs, leaks, alarms, figures)
        console.print(
            f"wrote {escape(str(out))}: leaks.csv, false_alarms.csv, summary.csv, cases.json "
            "and a folder per case",
            highlight=False,
        )


def _case_progress() -> Progress:
    """A progress bar over cases, redrawn only when a case ends.

    No refresh thread: worker processes are forked while the bar shows, and a fork must not
    copy a lock another thread holds.
    """
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        "{task.completed}/{task.total} cases",
        TimeElapsedColumn(),
        console=console,
        transient=True,
        auto_refresh=False,
    )


def _combine(results) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """All cases' leaks, false alarms and the summary figures."""
    from twin.evaluate.metrics import summary

    leaks = pd.concat([r.leaks for r in results], ignore_index=True)
    alarms = pd.concat([r.false_alarms for r in results], ignore_index=True)
    money = [(r.earned_eur, r.perfect_eur) for r in results]
    known = all(e is not None and p is not None for e, p in money)
    figures = summary(
        leaks,
        len(alarms),
        sum(r.watched_days for r in results),
        sum(e for e, _ in money) if known else None,
        sum(p for _, p in money) if known else None,
    )
    return leaks, alarms, figures


def _hours(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.1f}"


def _print_leaks(leaks: pd.DataFrame) -> None:
    table = Table(title=f"{len(leaks)} leak(s)", title_justify="left")
    for column in ("case", "pipe", "zone", "mm", "kind", "start", "event", "delay h"):
        table.add_column(column, justify="right" if column in ("mm", "delay h") else "left")
    for column in ("top pipe", "rank", "distance m", "area km"):
        table.add_column(column, justify="left" if column == "top pipe" else "right")
    for row in leaks.itertuples():
        table.add_row(
            str(row.case),
            escape(str(row.pipe)),
            escape(str(row.zone)),
            f"{row.diameter_mm:.1f}",
            row.kind,
            f"{row.start:%Y-%m-%d %H:%M}",
            "[red]missed[/]" if row.event_id is None else escape(row.event_id),
            _hours(row.delay_h),
            escape(row.top_pipe or "-"),
            "-" if pd.isna(row.rank) else f"{row.rank:.0f}",
            "-" if pd.isna(row.distance_m) else f"{row.distance_m:,.0f}",
            "-" if pd.isna(row.search_area_km) else f"{row.search_area_km:.2f}",
        )
    console.print(table)


def _print_figures(figures: pd.DataFrame, network: str, seed: int, results) -> None:
    leaks = sum(len(r.leaks) for r in results)
    days = sum(r.watched_days for r in results)
    table = Table(
        title=f"{Path(network).stem}: {len(results)} case(s) from seed {seed}, {leaks} leak(s), "
        f"{days:g} watched days",
        title_justify="left",
    )
    table.add_column("figure")
    table.add_column("measured", justify="right")
    table.add_column("on")
    for row in figures.itertuples():
        shown = f"[dim]{row.shown}[/]" if row.shown == "unavailable" else row.shown
        table.add_row(row.label, shown, escape(row.basis))
    console.print(table)


def _write(
    out: Path, specs, leaks: pd.DataFrame, alarms: pd.DataFrame, figures: pd.DataFrame
) -> None:
    leaks.to_csv(out / "leaks.csv", index=False, lineterminator="\n")
    alarms.to_csv(out / "false_alarms.csv", index=False, lineterminator="\n")
    figures.to_csv(out / "summary.csv", lineterminator="\n")
    (out / "cases.json").write_text(json.dumps([asdict(s) for s in specs], indent=2) + "\n")
