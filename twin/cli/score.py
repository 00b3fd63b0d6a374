"""``twin score``: score a results file (``leaks.txt``) against the truth by BattLeDIM rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from twin.cli.app import app, console

__all__ = ["load_truth", "score"]


def load_truth(path: Path, data_end: str | None = None):
    """A generated case's truth (its folder, or the case folder), or a 2018 leak list CSV.

    Parameters
    ----------
    path : pathlib.Path
        A folder written by ``twin generate`` (``truth/`` or the folder holding it), or a
        CSV in the layout of the BattLeDIM ``2018_leak_events.csv``.
    data_end : str, optional
        Overrides the truth's data end (``YYYY-MM-DD HH:MM``).

    Returns
    -------
    twin.evaluate.LeakTruth
    """
    from dataclasses import replace

    from twin.evaluate import read_leak_events_2018, read_truth

    if path.is_file():
        truth = read_leak_events_2018(path)
    elif path.is_dir():
        truth = read_truth(path)
    else:
        raise FileNotFoundError(f"{path}: no such truth folder or leak list")
    if data_end is not None:
        try:
            truth = replace(truth, data_end=pd.Timestamp(data_end))
        except ValueError:
            raise ValueError(f"--data-end {data_end!r}: expected YYYY-MM-DD HH:MM") from None
    return truth


@app.command()
def score(
    truth: Annotated[
        Path,
        typer.Argument(
            help="Truth: a case folder from `twin generate` (or its truth/ folder), or a "
            "leak list CSV in the BattLeDIM 2018 layout."
        ),
    ],
    leaks_txt: Annotated[
        Path, typer.Argument(help="Detections, BattLeDIM layout: '# linkID, startTime' lines.")
    ],
    network: Annotated[
        str | None,
        typer.Option(help="Network (default: the truth's, L-TOWN for a leak list)."),
    ] = None,
    data_end: Annotated[
        str | None,
        typer.Option(help="End of the data, YYYY-MM-DD HH:MM (default: the truth's)."),
    ] = None,
) -> None:
    """Score detections by the BattLeDIM rules: EUR saved, false alarms, delays, distances."""
    from twin.evaluate import PipeDistances, check_pipes, read_leaks_txt
    from twin.evaluate import score as battledim_score

    found = load_truth(truth, data_end)
    name = network or found.network
    if name is None:
        raise ValueError(f"{truth}: the truth names no network; give --network")
    detections = read_leaks_txt(leaks_txt)  # before the network: a bad line fails fast
    distances = PipeDistances.from_network(name)
    check_pipes(detections, set(distances.pipe_ids), leaks_txt)
    result = battledim_score(detections, found, distances)
    _print_detections(result, leaks_txt)
    _print_leaks(result)
    _print_totals(result)


def _eur(value: float) -> str:
    return "?" if pd.isna(value) else f"{value:,.2f}"


def _metres(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:,.0f}"


def _print_detections(result, leaks_txt: Path) -> None:
    table = Table(title=f"{len(result.detections)} detection(s) in {leaks_txt.name}")
    for column in ("line", "pipe", "time", "outcome", "leak", "distance m", "EUR"):
        table.add_column(column, justify="right" if column in ("distance m", "EUR") else "left")
    style = {"hit": "green", "repeat": "dim", "false alarm": "red"}
    for row in result.detections.itertuples():
        table.add_row(
            str(getattr(row, "line", "")),
            escape(row.pipe),
            f"{row.time:%Y-%m-%d %H:%M}",
            f"[{style[row.outcome]}]{row.outcome}[/]",
            escape(row.leak or "-"),
            _metres(row.distance_m),
            _eur(row.earned_eur),
        )
    console.print(table)


def _delay(value: pd.Timedelta) -> str:
    """A detection delay as ``[Nd ]HH:MM``."""
    if pd.isna(value):
        return "-"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    return (
        f"{days}d {minutes // 60:02d}:{minutes % 60:02d}"
        if days
        else (f"{minutes // 60:02d}:{minutes % 60:02d}")
    )


def _print_leaks(result) -> None:
    table = Table(title=f"{len(result.leaks)} leak(s)")
    for column in ("leak", "start", "first hit", "delay"):
        table.add_column(column)
    for column in ("distance m", "volume m3", "perfect EUR"):
        table.add_column(column, justify="right")
    for leak_id, row in result.leaks.iterrows():
        table.add_row(
            escape(leak_id),
            f"{row.start:%Y-%m-%d %H:%M}",
            "missed" if pd.isna(row.first_hit) else f"{row.first_hit:%Y-%m-%d %H:%M}",
            _delay(row.delay),
            _metres(row.distance_m),
            "?" if pd.isna(row.volume_m3) else f"{row.volume_m3:,.1f}",
            _eur(row.perfect_eur),
        )
    console.print(table)


def _print_totals(result) -> None:
    from twin.evaluate import CREW_COST_EUR

    console.print(
        f"hits {result.hits}, missed {result.missed}, false alarms {result.false_alarms}, "
        f"repeat hits {result.repeat_hits}",
        highlight=False,
    )
    if not result.money_known:
        console.print(
            "[yellow]note:[/] no money score: it needs the leaks' outflows, which this truth "
            f"does not have (the false alarms alone cost "
            f"{result.false_alarms * CREW_COST_EUR:,.0f} EUR)",
            highlight=False,
        )
        return
    share = result.share_of_perfect
    console.print(
        f"score {result.total_eur:,.2f} EUR of a perfect {result.perfect_eur:,.2f} EUR "
        + ("(no leak water to save)" if pd.isna(share) else f"({share:.1%})"),
        highlight=False,
    )
