"""The report page of a twin run: one self-contained HTML file that opens without a network.

Sections: run summary, notes, events, zone inflows, residuals, water balance. plotly.js is
embedded once, inline, by the first figure on the page; every text from the run is escaped.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from twin.report.figures import (
    balance_figure,
    inflow_figure,
    inflow_zones,
    plot_resolution,
    residual_figure,
)

__all__ = [
    "BALANCE_COLUMNS",
    "EVENT_COLUMNS",
    "ReportSection",
    "column_header",
    "render_report",
    "table_html",
    "write_report",
]

ReportSection = tuple[str, str, Sequence["str | go.Figure"]]
"""An extra section of the page: anchor, heading, and its parts in order: HTML text (already
escaped, e.g. from :func:`table_html`) or figures (embedded, plotly.js inlined once)."""

EVENT_COLUMNS = (
    "event_id",
    "detected_at",
    "start_estimate",
    "flow_m3h",
    "area",
    "state",
    "detector",
    "pipe",
    "probability",
    "search_area_pipes",
    "search_area_km",
)
"""Columns of the events table shown first, in this order; any others follow."""

BALANCE_COLUMNS = (
    "area",
    "start",
    "end",
    "days",
    "system_input_m3",
    "billed_metered_m3",
    "billed_unmetered_m3",
    "unbilled_authorised_m3",
    "authorised_m3",
    "apparent_losses_m3",
    "real_losses_m3",
    "nrw_m3",
    "nrw_percent",
    "uarl_m3_per_day",
    "ili",
    "mnf_m3h",
    "night_leakage_m3h",
    "cost_of_real_losses",
    "currency",
)
"""Keys of the water-balance table shown first, in this order; any others follow."""

_HEADERS = {
    "event_id": "Event",
    "detected_at": "Detected at",
    "start_estimate": "Start (estimate)",
    "search_area_pipes": "Search area (pipes)",
    "search_area_km": "Search area [km]",
    "days": "Days [d]",
    "nrw_m3": "NRW [m³]",
    "nrw_percent": "NRW [%]",
    "uarl_m3_per_day": "UARL [m³/d]",
    "ili": "ILI [–]",
    "mnf_m3h": "MNF [m³/h]",
}
_UNIT_SUFFIXES = (
    ("_m3_per_day", "m³/d"),
    ("_m3h", "m³/h"),
    ("_m3", "m³"),
    ("_percent", "%"),
    ("_km", "km"),
    ("_m", "m"),
)
_FORMATS = {"nrw_percent": "{:.1f}", "ili": "{:.2f}", "probability": "{:.2f}", "days": "{:g}"}
_MISSING = "–"
_CONFIG = {"displaylogo": False, "responsive": True}
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px;
       padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.2rem; }
nav a { margin-right: 1rem; }
section { margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f2f4f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
.note { color: #555; font-style: italic; }
"""


def column_header(key: str, currency: str | None = None) -> str:
    """Header of a table column from its key, with the unit in brackets.

    Examples
    --------
    >>> column_header("real_losses_m3"), column_header("cost_of_real_losses", "EUR")
    ('Real losses [m³]', 'Cost of real losses [EUR]')
    """
    if key in _HEADERS:
        return _HEADERS[key]
    if key == "cost_of_real_losses" and currency:
        return f"Cost of real losses [{currency}]"
    for suffix, unit in _UNIT_SUFFIXES:
        if key.endswith(suffix):
            return f"{key.removesuffix(suffix).replace('_', ' ').capitalize()} [{unit}]"
    return key.replace("_", " ").capitalize()


def render_report(
    *,
    title: str,
    run_info: Mapping[str, Any] | None = None,
    inflows: pd.DataFrame | None = None,
    residuals: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    balance: Sequence[Mapping[str, Any]] | None = None,
    notes: Sequence[str] | None = None,
    extra_sections: Sequence[ReportSection] = (),
) -> str:
    """The report page as one HTML string; arguments as for :func:`write_report`."""
    inflows = pd.DataFrame() if inflows is None else inflows
    residuals = pd.DataFrame() if residuals is None else residuals
    events = pd.DataFrame() if events is None else events
    balance = list(balance or [])
    embed = _figure_embedder()
    sections = [
        ("summary", "Run summary", _info_table(run_info or {})),
        *((key, heading, _parts(key, parts, embed)) for key, heading, parts in extra_sections),
        ("notes", "Notes", _notes(notes or [])),
        ("events", "Events", _events_section(events)),
        ("inflows", "Zone inflows", _inflow_section(inflows, events, embed)),
        ("residuals", "Residuals", _residual_section(residuals, events, embed)),
        ("balance", "Water balance", _balance_section(balance, embed)),
    ]
    nav = " ".join(f'<a href="#{key}">{heading}</a>' for key, heading, _ in sections)
    body = "\n".join(
        f'<section id="{key}">\n<h2>{heading}</h2>\n{content}\n</section>'
        for key, heading, content in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_text(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{_text(title)}</h1>\n<nav>{nav}</nav>\n{body}\n</body>\n</html>\n"
    )


def write_report(
    path: str | os.PathLike[str],
    *,
    title: str,
    run_info: Mapping[str, Any] | None = None,
    inflows: pd.DataFrame | None = None,
    residuals: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    balance: Sequence[Mapping[str, Any]] | None = None,
    notes: Sequence[str] | None = None,
    extra_sections: Sequence[ReportSection] = (),
) -> Path:
    """Write the self-contained report page of a twin run, atomically.

    Parameters
    ----------
    path : path-like
        The HTML file to write; its folder is created if needed.
    title : str
        Page title.
    run_info : mapping, optional
        What was run (network, period, sensors, duration...), shown as a two-column table.
    inflows : pandas.DataFrame, optional
        On a DatetimeIndex, per zone ``"<zone> measured [m3/h]"`` and
        ``"<zone> expected [m3/h]"`` in m³/h (see :func:`~twin.report.inflow_figure`).
    residuals : pandas.DataFrame, optional
        On a DatetimeIndex, one column per sensor (``"pressure n54 [m]"``), measured −
        expected in the column's unit (see :func:`~twin.report.residual_figure`).
    events : pandas.DataFrame, optional
        One row per event; the columns of :data:`EVENT_COLUMNS` come first, times as text
        ``"YYYY-MM-DD HH:MM:SS"`` (or empty), ``flow_m3h`` in m³/h.
    balance : sequence of mapping, optional
        One mapping per zone and period; keys of :data:`BALANCE_COLUMNS` come first
        (volumes in m³, flows in m³/h, None when unknown).
    notes : sequence of str, optional
        What the run could not do (``"no pressure files: pressure residuals skipped"``).
    extra_sections : sequence of ReportSection
        Sections shown after the run summary (a scenario's network map, its true leaks...).

    Returns
    -------
    pathlib.Path
        The written file. It is replaced in one step: a reader never sees half a page.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_report(folder / "report.html", title="Empty run").name
    'report.html'
    """
    path = Path(path)
    page = render_report(
        title=title,
        run_info=run_info,
        inflows=inflows,
        residuals=residuals,
        events=events,
        balance=balance,
        notes=notes,
        extra_sections=extra_sections,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(page)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path


def _figure_embedder() -> Callable[[go.Figure, str], str]:
    """A function turning figures into HTML, the first one carrying plotly.js inline."""
    included = False

    def embed(figure: go.Figure, div_id: str) -> str:
        nonlocal included
        # a fixed div id keeps the page the same from one run to the next
        part = figure.to_html(
            full_html=False, include_plotlyjs=not included, div_id=div_id, config=_CONFIG
        )
        included = True
        return part

    return embed


def table_html(records: Sequence[Mapping[str, Any]], preferred: Sequence[str] = ()) -> str:
    """An escaped HTML table of records (one row each), ``preferred`` columns first.

    Numbers are formatted and right-aligned, units taken from the column names
    (:func:`column_header`).
    """
    if not records:
        return "<p>None.</p>"
    return _table(records, preferred)


def _parts(key: str, parts: Sequence[str | go.Figure], embed) -> str:
    """An extra section's parts as HTML, figures embedded with ids ``key-0``, ``key-1``..."""
    html_parts = []
    for k, part in enumerate(parts):
        html_parts.append(embed(part, f"{key}-{k}") if isinstance(part, go.Figure) else part)
    return "\n".join(html_parts)


def _info_table(run_info: Mapping[str, Any]) -> str:
    """The run summary: one row per item."""
    if not run_info:
        return "<p>No run information.</p>"
    rows = "\n".join(
        f"<tr><th>{_text(key)}</th>{_cell(value, str(key))}</tr>" for key, value in run_info.items()
    )
    return f"<table>\n{rows}\n</table>"


def _notes(notes: Sequence[str]) -> str:
    """What the run could not do, as a list."""
    if not notes:
        return "<p>No notes: nothing was skipped.</p>"
    items = "\n".join(f"<li>{_text(note)}</li>" for note in notes)
    return f"<ul>\n{items}\n</ul>"


def _events_section(events: pd.DataFrame) -> str:
    """The events table, or a sentence when there are none."""
    if events.empty:
        return "<p>No events in this run.</p>"
    records = events.to_dict("records")
    return f"<p>{len(records)} event(s).</p>\n" + _table(records, EVENT_COLUMNS)


def _inflow_section(
    inflows: pd.DataFrame, events: pd.DataFrame, embed: Callable[[go.Figure, str], str]
) -> str:
    """Measured and expected zone inflows with the events marked."""
    zones = inflow_zones(inflows)
    if not zones:
        return "<p>No zone inflows in this run.</p>"
    intro = (
        f"<p>Zones: {_text(', '.join(zones))}. Solid: measured; dashed: expected by the "
        "twin without leaks. Red lines mark detections, shaded from the estimated start.</p>"
    )
    return intro + _downsampling_note(inflows) + embed(inflow_figure(inflows, events), "inflows")


def _residual_section(
    residuals: pd.DataFrame, events: pd.DataFrame, embed: Callable[[go.Figure, str], str]
) -> str:
    """Residuals (measured − expected) of each sensor with the events marked."""
    if residuals.empty or residuals.shape[1] == 0:
        return "<p>No residuals in this run (no sensor compared with the model).</p>"
    intro = (
        f"<p>{residuals.shape[1]} sensor(s), measured − expected. Click a legend entry to "
        "hide a sensor, double-click to show it alone.</p>"
    )
    figure = residual_figure(residuals, events)
    return intro + _downsampling_note(residuals) + embed(figure, "residuals")


def _balance_section(
    balance: list[Mapping[str, Any]], embed: Callable[[go.Figure, str], str]
) -> str:
    """The water-balance table and its stacked bars."""
    if not balance:
        return "<p>No water balance in this run.</p>"
    currencies = {row.get("currency") for row in balance} - {None, ""}
    currency = currencies.pop() if len(currencies) == 1 else None
    table = _table(balance, BALANCE_COLUMNS, currency)
    return table + "\n" + embed(balance_figure(balance), "balance")


def _downsampling_note(frame: pd.DataFrame) -> str:
    """A sentence saying the figure shows means, when it does."""
    resolution = plot_resolution(frame.index)
    if resolution is None:
        return ""
    return (
        f'<p class="note">{len(frame):,} samples per line: the figure shows '
        f"{resolution[1]} means to keep this page small and quick to open.</p>"
    )


def _table(
    records: Sequence[Mapping[str, Any]], preferred: Sequence[str], currency: str | None = None
) -> str:
    """An HTML table of records, preferred columns first, then the others as they come."""
    present: dict[str, None] = {}
    for record in records:
        present.update(dict.fromkeys(map(str, record)))
    columns = [c for c in preferred if c in present] + [c for c in present if c not in preferred]
    head = "".join(f"<th>{_text(column_header(c, currency))}</th>" for c in columns)
    rows = "\n".join(
        "<tr>" + "".join(_cell(record.get(c), c) for c in columns) + "</tr>" for record in records
    )
    return f'<div class="scroll"><table>\n<tr>{head}</tr>\n{rows}\n</table></div>'


def _cell(value: Any, key: str) -> str:
    """A table cell: numbers formatted and right-aligned, everything escaped."""
    if _is_number(value):
        return f'<td class="num">{_text(_format_number(value, key))}</td>'
    return f"<td>{_text(_format_value(value))}</td>"


def _is_number(value: Any) -> bool:
    """True for an int or float (not a bool), including NumPy scalars."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _format_number(value: float, key: str) -> str:
    """A number as the utility reads it: thousands separated, sensible digits."""
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if np.isnan(value):
        return _MISSING
    if key in _FORMATS:
        return _FORMATS[key].format(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _format_value(value: Any) -> str:
    """Text of a non-numeric cell: times, lists and mappings made readable."""
    if value is None or value is pd.NaT:
        return _MISSING
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    if isinstance(value, list | tuple | set | np.ndarray):
        return ", ".join(map(str, value))
    return str(value)


def _text(value: object) -> str:
    """Escaped text for an HTML element or attribute."""
    return html.escape(str(value), quote=True)
