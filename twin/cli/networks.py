"""``twin networks``: the bundled networks as a table, or one network read and checked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from twin.cli.app import app, console, fail
from twin.network import NetworkError, catalogue, load, networks_dir, resolve_network, scan_inp

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["catalogue_table", "network_errors", "networks"]


@contextmanager
def network_errors() -> Iterator[None]:
    """Report a network that cannot be found, read or supplied as a one-paragraph error.

    Wrap a command's body in it: a :class:`twin.network.NetworkError` (unknown name,
    unparsable file, unsupplied junctions) or a missing file exits with status 2 and a
    message instead of a traceback.
    """
    try:
        yield
    except (NetworkError, FileNotFoundError) as error:
        fail(escape(str(error)))


def catalogue_table(table: pd.DataFrame, title: str = "Bundled networks") -> Table:
    """A rich table of :func:`twin.network.catalogue`'s rows, numbers right-aligned."""
    view = Table(title=title, title_justify="left")
    view.add_column("name", style="bold")
    view.add_column("junctions", justify="right")
    view.add_column("pipes", justify="right")
    view.add_column("mains km", justify="right")
    view.add_column("source")
    for row in table.itertuples(index=False):
        view.add_row(
            escape(row.name),
            f"{row.junctions:,}",
            f"{row.pipes:,}",
            f"{row.mains_km:,.1f}",
            escape(row.source),
        )
    return view


@app.command("networks")
def networks(
    network: Annotated[
        str | None,
        typer.Argument(
            help="A bundled network's name or an .inp path: read it with WNTR and check "
            "that every junction can be supplied.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List the bundled networks (junctions, pipes, mains length, source), smallest first."""
    with network_errors():
        if network is None:
            folder = networks_dir()
            console.print(catalogue_table(catalogue(folder), f"Bundled networks ({folder})"))
        else:
            _check(network)


def _check(network: str) -> None:
    """Read one network with WNTR, check its supply and print what it holds."""
    path = resolve_network(network)
    wn = load(path)
    summary = scan_inp(path)
    view = Table(title=escape(str(path)), title_justify="left", show_header=False)
    view.add_column("what")
    view.add_column("value", justify="right")
    for what, value in [
        ("flow units", summary.flow_units),
        ("junctions", f"{wn.num_junctions:,}"),
        ("reservoirs / tanks", f"{wn.num_reservoirs} / {wn.num_tanks}"),
        ("pipes / pumps / valves", f"{wn.num_pipes:,} / {wn.num_pumps} / {wn.num_valves}"),
        ("mains km", f"{summary.mains_km:,.1f}"),
    ]:
        view.add_row(what, value)
    console.print(view)
    console.print("[green]ok:[/] read by WNTR; every junction is connected to a source.")
