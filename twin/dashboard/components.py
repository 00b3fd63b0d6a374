"""Building blocks shared by the pages: tables, key figures, the page context."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from dash import dash_table, html

from twin.dashboard.reader import RunReader, RunSummary

__all__ = [
    "PageContext",
    "data_table",
    "key_figure",
    "position_of",
    "reader_note",
    "run_name",
    "records",
    "stamp",
]


@dataclass(frozen=True)
class PageContext:
    """What every page is drawn for.

    Attributes
    ----------
    selected_event : str or None
        The event chosen on the leaks page (kept while moving between pages).
    position_s : int
        The replay position, s since the run's origin (the last reading when not set).
    """

    selected_event: str | None
    position_s: int


def position_of(summary: RunSummary, stored: Any) -> int:
    """The replay position from the browser's store, clipped to the run (its end if unset)."""
    try:
        value = int(stored)
    except (TypeError, ValueError):
        return summary.last_s
    return min(max(value, summary.first_s), summary.last_s)


def stamp(summary: RunSummary, seconds: int) -> str:
    """``YYYY-MM-DD HH:MM`` of a run time."""
    return f"{summary.origin + pd.Timedelta(seconds=int(seconds)):%Y-%m-%d %H:%M}"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame for a DataTable: NaN as empty, timestamps as text."""
    clean = frame.copy()
    for column in clean.columns:
        if pd.api.types.is_datetime64_any_dtype(clean[column]):
            clean[column] = clean[column].dt.strftime("%Y-%m-%d %H:%M")
    return clean.astype(object).where(clean.notna(), None).to_dict("records")


def data_table(
    component_id: str,
    rows: list[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    *,
    selectable: bool = False,
    selected_rows: list[int] | None = None,
    page_size: int = 15,
) -> dash_table.DataTable:
    """A sortable table with headers in the utility's words (``(key, header)`` pairs)."""
    return dash_table.DataTable(
        id=component_id,
        data=rows,
        columns=[{"id": key, "name": header} for key, header in columns],
        row_selectable="single" if selectable else False,
        selected_rows=selected_rows or [],
        sort_action="native",
        page_size=page_size,
        style_table={"overflowX": "auto"},
        style_cell={"fontFamily": "system-ui, sans-serif", "fontSize": "0.85rem", "padding": "4px"},
        style_header={"backgroundColor": "#f2f4f7", "fontWeight": "bold"},
    )


def key_figure(label: str, value: str, detail: str = "", tone: str = "normal") -> html.Div:
    """One headline number with its label (``tone``: normal, warn or alarm)."""
    colour = {"normal": "#1f2933", "warn": "#b45309", "alarm": "#b91c1c"}.get(tone, "#1f2933")
    return html.Div(
        [
            html.Div(label, style={"fontSize": "0.8rem", "color": "#52606d"}),
            html.Div(value, style={"fontSize": "1.6rem", "fontWeight": 600, "color": colour}),
            html.Div(detail, style={"fontSize": "0.75rem", "color": "#7b8794"}),
        ],
        className="key-figure",
        style={
            "border": "1px solid #e4e7eb",
            "borderRadius": "6px",
            "padding": "0.6rem 0.9rem",
            "minWidth": "11rem",
        },
    )


def run_name(reader: RunReader) -> str:
    """The run's name as an operator knows it: the stored name, or the folder's when that is
    the generic ``run`` (``runs/leak-p257/run`` reads as ``leak-p257``)."""
    name = reader.summary().name or reader.run_dir.name
    if name.lower() == "run":
        parent = reader.run_dir.resolve().parent.name
        return parent or name
    return name


def reader_note(reader: RunReader) -> str:
    """A one-line description of the run shown under the title."""
    s = reader.summary()
    mode = "live" if reader.live else "finished run"
    return (
        f"Run '{run_name(reader)}' on {s.network or 'an unnamed network'}, "
        f"{stamp(s, s.first_s)} to {stamp(s, s.last_s)} ({mode})"
    )
