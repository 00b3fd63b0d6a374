"""``twin ingest``: load recorded SCADA files into a run's store and show their data quality."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import duckdb
import pandas as pd
import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from twin.cli.app import app, console, fail
from twin.feeds.scada_files import ScadaFileError, read_scada_folder
from twin.store import RunStore, StoredBatch, StoreError, run_path
from twin.store.quality import quality_summary

__all__ = ["IngestReport", "ingest", "ingest_scada_folder", "quality_table"]


@dataclass(frozen=True)
class IngestReport:
    """What loading a folder did.

    Attributes
    ----------
    store : pathlib.Path
        The run's store file.
    batches : dict of str to StoredBatch
        File name to what storing it did (``new=False``: it was already stored).
    series_rebuilt : int
        Series whose silver rows were rebuilt.
    """

    store: Path
    batches: dict[str, StoredBatch]
    series_rebuilt: int


def ingest_scada_folder(
    folder: Path, store_path: Path, *, step_s: int = 300, network: str | None = None
) -> IngestReport:
    """Load a folder of recorded SCADA into a run's store: bronze, then silver.

    Every file is read and checked before the store is opened, so a bad file leaves the
    store as it was (and creates none). Each file is one batch: loading the same folder
    again changes nothing.

    Parameters
    ----------
    folder : path
        Folder in the BattLeDIM layout (see :mod:`twin.feeds.scada_files`).
    store_path : path
        The run's store (created with the data's first timestamp as origin if missing).
    step_s : int
        Silver grid step in seconds, for a new store.
    network : str, optional
        Network name for a new store; by default the stem of the folder's one ``.inp`` file.

    Raises
    ------
    ScadaFileError, FileNotFoundError, StoreError
        Nothing is stored then.
    """
    store_path = Path(store_path)
    origin = None
    if store_path.exists():
        with RunStore.open(store_path, read_only=True) as existing:
            origin = existing.info.origin
    recording = read_scada_folder(folder, origin)
    if network is None:
        models = sorted(Path(folder).glob("*.inp"))
        network = models[0].stem if len(models) == 1 else ""
    with RunStore.open(
        store_path, origin=recording.origin, step_s=step_s, network=network
    ) as store:
        batches = {path.name: store.ingest(r, path.name) for path, r in recording.files.items()}
        rebuilt = store.refresh_silver()
    return IngestReport(store_path, batches, rebuilt)


def quality_table(summary: pd.DataFrame, title: str) -> Table:
    """A rich table of :func:`twin.store.quality.quality_summary`'s rows."""
    # Sized to fit an 80-column terminal.
    view = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        collapse_padding=True,
        pad_edge=False,
    )
    view.add_column("sensor", style="bold")
    view.add_column("unit")
    for name in ("readings", "cover %", "gaps", "flags"):
        view.add_column(name, justify="right")
    view.add_column("first", no_wrap=True)
    view.add_column("last", no_wrap=True)
    for row in summary.itertuples(index=False):
        view.add_row(
            escape(row.sensor_id),
            escape(row.unit),
            f"{row.readings:,}",
            f"{row.coverage_pct:.2f}",
            f"{row.gaps:,}",
            f"[yellow]{row.flagged:,}[/]" if row.flagged else "0",
            _stamp(row.first_time),
            _stamp(row.last_time),
        )
    return view


def _stamp(time: pd.Timestamp) -> str:
    """A timestamp to the minute ('-' when none)."""
    return "-" if pd.isna(time) else time.strftime("%Y-%m-%d %H:%M")


@app.command("ingest")
def ingest(
    folder: Annotated[
        Path,
        typer.Argument(
            help="Folder of recorded SCADA in the BattLeDIM layout: [YYYY_SCADA_]Pressures, "
            "Flows, Levels, Demands .csv or .csv.gz."
        ),
    ],
    run: Annotated[str, typer.Option("--run", help="Run name: the store is RUNS_DIR/RUN.")],
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Folder holding the runs.")] = Path(
        "runs"
    ),
    step: Annotated[
        int, typer.Option("--step", min=1, help="Silver grid step in seconds (new runs).")
    ] = 300,
    network: Annotated[
        str | None,
        typer.Option(help="Network name recorded for a new run (default: the .inp in FOLDER)."),
    ] = None,
) -> None:
    """Load recorded SCADA files into a run's store (bronze and silver) and show data quality."""
    try:
        report = ingest_scada_folder(folder, run_path(runs_dir, run), step_s=step, network=network)
    except (ScadaFileError, StoreError, FileNotFoundError) as error:
        fail(escape(str(error)))
    except duckdb.IOException as error:
        fail(
            escape(f"cannot open the run store of {run!r} ({error}); is another process using it?")
        )
    for name, stored in report.batches.items():
        state = "stored as batch" if stored.new else "already stored, batch"
        console.print(f"{escape(name)}: {stored.readings:,} readings, {state} {stored.batch}")
    with RunStore.open(report.store, read_only=True) as store:
        info = store.info
        console.print(
            f"run [bold]{escape(info.name)}[/]: origin {info.origin}, grid {info.step_s} s, "
            f"network {escape(info.network or '-')}",
            highlight=False,
        )
        console.print(
            f"store {escape(str(report.store))}: silver rebuilt for {report.series_rebuilt} series",
            highlight=False,
        )
        console.print(quality_table(quality_summary(store), f"Data quality of run {info.name}"))
