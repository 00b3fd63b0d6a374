"""``twin sweep``: one scenario over a grid of settings, on a Dask cluster, in one table."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from twin.cli.app import app, console

__all__ = ["HEADLINE", "connect", "print_sweep_table", "sweep"]


def connect(scheduler: str | None, workers: int | None) -> tuple[Any, Any]:
    """A Dask client on the scheduler at ``scheduler``, or on a new ``LocalCluster``.

    Returns
    -------
    (client, cluster)
        ``cluster`` is the LocalCluster this call started (to close), or None.

    Raises
    ------
    ValueError
        The scheduler cannot be reached (its address in the message).
    """
    from distributed import Client

    from twin.scenario.sweep import local_cluster

    if scheduler is None:
        cluster = local_cluster(workers)
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="15s"), None
    except (OSError, TimeoutError, ValueError) as error:
        raise ValueError(
            f"--scheduler {scheduler}: no Dask scheduler answered ({error}); expected "
            "the address a running `dask scheduler` prints, such as tcp://10.0.0.5:8786"
        ) from None


@app.command("sweep")
def sweep(
    scenario: Annotated[Path, typer.Argument(help="The scenario TOML file.")],
    vary: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=V1,V2,...: a dotted scenario key and its values (TOML); repeat the "
            "option for the cartesian product."
        ),
    ] = None,
    repeat: Annotated[
        int, typer.Option(help="Runs per combination, seeds run.seed, run.seed+1, ...", min=1)
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://HOST:PORT); default: a LocalCluster."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="LocalCluster worker processes (default: the number of CPUs).", min=1),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Sweep folder (default: runs/<scenario>-sweep).")
    ] = None,
) -> None:
    """Run SCENARIO once per combination of the --vary values (x --repeat), each in its own
    folder OUT/runs/<index>_<key=value...>, and write one table of results, OUT/sweep.csv.

    Every combination is validated before the first run starts. A run that fails is a row
    with its error; the others go on.
    """
    from twin.scenario.sweep import parse_vary, plan_sweep, run_sweep

    if not scenario.is_file():
        raise FileNotFoundError(f"{scenario}: no such scenario file")
    if scheduler is not None and workers is not None:
        raise ValueError(
            "--workers sizes the LocalCluster; with --scheduler the cluster's own workers run"
        )
    plan = plan_sweep(scenario, [parse_vary(v) for v in vary or []], repeat)
    out = out or Path("runs") / f"{scenario.stem}-sweep"
    console.print(f"{len(plan.runs)} run(s) of {escape(str(scenario))} into {escape(str(out))}")
    # No more local workers than runs: each one costs a process start-up.
    size = min(workers or os.cpu_count() or 1, len(plan.runs))
    client, cluster = connect(scheduler, size)
    try:
        with _run_progress() as progress:
            task = progress.add_task("sweep", total=len(plan.runs))
            table = run_sweep(
                plan, out, client, on_done=lambda spec, summary: progress.advance(task)
            )
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    print_sweep_table(table)
    failed = int((table["error"] != "").sum())
    console.print(
        f"wrote {escape(str(out / 'sweep.csv'))}"
        + (f"; [red]{failed} run(s) failed[/] (see error.txt in their folders)" if failed else ""),
        highlight=False,
    )


def _run_progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        "runs",
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


HEADLINE = (
    "leaks",
    "leaks_detected",
    "false_alarms_per_30d",
    "detection_delay_median_h",
    "localization_distance_median_m",
    "within_300m_share",
    "search_area_median_km",
    "battledim_share",
    "nrw_percent",
    "seconds_total",
)
"""Summary figures the printed table shows (sweep.csv has them all)."""


def print_sweep_table(table: pd.DataFrame) -> None:
    """Print one row per run: the varied values, repeat, seed, error and the headline
    figures (:data:`HEADLINE`; every figure when the summaries have none of them)."""
    first = list(table.columns[: table.columns.get_loc("error") + 1])
    figures = [c for c in HEADLINE if c in table.columns]
    if not figures:
        figures = [c for c in table.columns[len(first) :] if not c.startswith("seconds_")]
    shown = table[[c for c in first if c != "folder"] + figures]
    if (shown["error"] == "").all():
        shown = shown.drop(columns="error")
    rich_table = Table(title=f"sweep: {len(table)} run(s)", title_justify="left")
    for column in shown.columns:
        rich_table.add_column(escape(str(column)), overflow="fold")
    for row in shown.itertuples(index=False):
        rich_table.add_row(*(escape(_cell(v)) for v in row))
    console.print(rich_table)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
