"""``twin place``: where to put K more pressure loggers so that leaks are found closest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TimeElapsedColumn
from rich.table import Table

from twin.cli.app import app, console

__all__ = ["place"]


@app.command()
def place(
    network: Annotated[str, typer.Argument(help="Network: a catalogue name or an .inp path.")],
    budget: Annotated[
        int, typer.Option(min=1, help="Pressure loggers to place (on top of --existing).")
    ],
    out: Annotated[Path, typer.Option(help="Folder for the layout, table, plot and signatures.")],
    existing: Annotated[
        Path | None,
        typer.Option(help="Layout CSV of the instruments already there; they stay."),
    ] = None,
    candidates: Annotated[
        Path | None,
        typer.Option(help="Where loggers may go: a layout CSV or one junction id a line."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the noise draws and random layouts.")] = 0,
) -> None:
    """Simulate a leak at every junction once, then place loggers greedily and by swaps.

    Writes sensors.csv (the layout), layouts.csv (it beside greedy's, the existing one and
    random ones), sensors_vs_error.html/.png and the leak signatures for the next run.
    """
    from twin.placement import run_placement

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=1.0)
        outcome = run_placement(
            network,
            budget,
            out,
            existing=existing,
            candidates=candidates,
            seed=seed,
            on_progress=lambda f, m: progress.update(task, completed=f, description=m),
        )
    _print_table(outcome)
    console.print(f"layout written to {escape(str(out / 'sensors.csv'))}")


def _print_table(outcome: dict) -> None:
    table = Table(title=f"{outcome['network']}: layouts scored on fresh noise draws")
    rows = outcome["table"]
    columns = [c for c in rows[0] if c != "objective [m]"]
    for column in columns:
        table.add_column(column, justify="left" if column == "layout" else "right")
    for row in rows:
        table.add_row(*(_cell(row[c]) for c in columns))
    console.print(table)
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in outcome["timings_s"].items())
    console.print(f"time: {timings}")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1 else f"{value:.0f}"
    return escape(str(value))
