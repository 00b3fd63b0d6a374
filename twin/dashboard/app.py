"""The Dash app of one run: a frame (menu, run stores) and an explicit router over the pages.

Pages are modules with a layout function and a ``register(app, reader)`` for their callbacks
(:mod:`twin.dashboard.pages`) rather than ``dash.register_page`` modules: each app gets the
reader of its own run passed in, with no process-wide registry, so tests can build several
apps over different runs in one process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, State, dcc, html

from twin.dashboard import ids
from twin.dashboard.components import PageContext, position_of, run_name
from twin.dashboard.pages import PAGES
from twin.dashboard.pages.whatif import background_manager
from twin.dashboard.reader import RunReader

__all__ = ["MAX_REQUEST_BYTES", "create_app", "page_layout"]

MAX_REQUEST_BYTES = 5 * 1024 * 1024
"""Largest request body the server accepts (callback payloads are far smaller)."""

LIVE_REFRESH_MS = 5000
"""How often the pages of a live run look for new readings, ms."""


def create_app(run_dir: Path, *, live: bool = False) -> Dash:
    """The dashboard of one run folder.

    Parameters
    ----------
    run_dir : Path
        A folder written by ``twin replay --out`` (holding ``twin.duckdb``).
    live : bool
        The run is still being written: re-read the store as it changes and advance the
        overview's replay position with it.

    Raises
    ------
    FileNotFoundError
        No run store in ``run_dir``.
    twin.store.StoreError
        A store this twin cannot read.
    """
    reader = RunReader(Path(run_dir), live=live)
    reader.summary()  # fails here, with the store's own error, on a store it cannot read
    app = Dash(
        __name__,
        title=f"twin: {run_name(reader)}",
        update_title=None,
        suppress_callback_exceptions=True,
        background_callback_manager=background_manager(Path(run_dir)),
    )
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.layout = _frame(reader)
    for page in PAGES:
        page.register(app, reader)
    _register_router(app, reader)
    return app


def page_layout(reader: RunReader, pathname: str | None, selected: Any, position: Any) -> Any:
    """The layout of the page at ``pathname`` (a short 'not found' page for other paths)."""
    context = PageContext(
        selected_event=str(selected) if selected else None,
        position_s=position_of(reader.summary(), position),
    )
    path = (pathname or "/").rstrip("/") or "/"
    for page in PAGES:
        if page.PATH == path:
            try:
                return page.layout(reader, context)
            except (ValueError, LookupError, FileNotFoundError) as error:
                return html.Div([html.H2(page.NAME), html.P(f"Cannot draw this page: {error}")])
    return html.Div([html.H2("Not found"), html.P(f"No page at {path}; use the menu above.")])


def _frame(reader: RunReader) -> html.Div:
    menu = [dcc.Link(page.NAME, href=page.PATH, style={"marginRight": "1.2rem"}) for page in PAGES]
    return html.Div(
        [
            dcc.Location(id=ids.URL),
            dcc.Store(id=ids.SELECTED_EVENT, storage_type="session"),
            dcc.Store(id=ids.REPLAY_POSITION, storage_type="session"),
            dcc.Interval(id=ids.LIVE_INTERVAL, interval=LIVE_REFRESH_MS, disabled=not reader.live),
            html.Header(
                [
                    html.Strong(
                        f"twin control room: {run_name(reader)}", style={"marginRight": "2rem"}
                    ),
                    html.Nav(menu, style={"display": "inline"}),
                ],
                style={"borderBottom": "1px solid #e4e7eb", "padding": "0.6rem 0"},
            ),
            html.Main(id=ids.PAGE),
        ],
        style={"fontFamily": "system-ui, sans-serif", "margin": "0 1.5rem", "color": "#1f2933"},
    )


def _register_router(app: Dash, reader: RunReader) -> None:
    @app.callback(
        Output(ids.PAGE, "children"),
        Input(ids.URL, "pathname"),
        State(ids.SELECTED_EVENT, "data"),
        State(ids.REPLAY_POSITION, "data"),
    )
    def route(pathname: str | None, selected: Any, position: Any) -> Any:
        return page_layout(reader, pathname, selected, position)
