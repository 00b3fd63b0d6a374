"""Leaks: the event table, the selected event on the map with the residuals that raised it,
and the operator's actions (acknowledge, crew sent, repaired), kept in the run's store."""

from __future__ import annotations

from typing import Any

import flask
import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from twin.dashboard import ids
from twin.dashboard.components import PageContext, data_table, position_of, reader_note, stamp
from twin.dashboard.event_table import (
    EVENT_COLUMNS,
    event_rows,
    operator_states,
    operator_times,
)
from twin.dashboard.figures.panels import empty_figure
from twin.dashboard.pages.network_map import map_panel
from twin.dashboard.reader import RunReader
from twin.report.figures import residual_figure

__all__ = [
    "NAME",
    "PATH",
    "apply_action",
    "event_residuals",
    "event_state",
    "layout",
    "register",
    "table_rows",
]

PATH = "/leaks"
NAME = "Leaks"

_BUTTONS = {
    ids.ACK_BUTTON: ("acknowledged", "Acknowledge"),
    ids.CREW_BUTTON: ("crew_sent", "Crew sent"),
    ids.REPAIRED_BUTTON: ("repaired", "Repaired"),
}
_WINDOW_BEFORE_S = 86_400
_WINDOW_AFTER_S = 86_400


def table_rows(reader: RunReader, now_s: int) -> list[dict]:
    """The event table's rows as of run time ``now_s``."""
    price, _ = reader.price()
    actions = reader.actions()
    origin = reader.summary().origin
    return event_rows(
        reader.events(),
        reader.candidates(),
        operator_states(actions),
        origin,
        now_s,
        reader.network() if reader.summary().network else None,
        price,
        operator_times(actions, origin),
    )


def layout(reader: RunReader, context: PageContext) -> html.Div:
    """The leaks page."""
    rows = table_rows(reader, context.position_s)
    _, currency = reader.price()
    columns = [(k, f"Cost so far [{currency}]" if k == "cost" else h) for k, h in EVENT_COLUMNS]
    chosen = [i for i, r in enumerate(rows) if r["event_id"] == context.selected_event]
    buttons = [
        html.Button(label, id=button_id, n_clicks=0, style={"marginRight": "0.5rem"})
        for button_id, (_, label) in _BUTTONS.items()
    ]
    return html.Div(
        [
            html.H2("Leak events"),
            html.P(
                f"{reader_note(reader)}. Volumes and costs as of "
                f"{stamp(reader.summary(), context.position_s)}; pick an event to see where to "
                "look."
            ),
            data_table(ids.EVENT_TABLE, rows, columns, selectable=True, selected_rows=chosen),
            html.Div(
                [
                    html.Span(id=ids.EVENT_STATE, style={"marginRight": "1rem", "fontWeight": 600}),
                    *buttons,
                ],
                style={"margin": "0.8rem 0"},
            ),
            map_panel("residual", height=560),
            html.Div(event_residuals(reader, None), id=ids.EVENT_RESIDUALS),
        ]
    )


def event_state(reader: RunReader, event_id: str | None) -> str:
    """The text saying what an event's state is and who last acted on it."""
    if not event_id:
        return "No event selected."
    actions = reader.actions()
    mine = actions[actions["event_id"] == event_id]
    events = reader.events().set_index("event_id")
    twin_state = events["state"].get(event_id, "unknown")
    if mine.empty:
        return f"{event_id}: {twin_state} (no operator action yet)"
    last = mine.iloc[-1]
    who = f" by {last['user']}" if last["user"] else ""
    label = str(last["action"]).replace("_", " ")
    recorded = f"{pd.Timestamp(last['time']):%Y-%m-%d %H:%M}"
    if pd.isna(last["run_time"]):
        return f"{event_id}: {label}{who}, recorded {recorded} (twin: {twin_state})"
    # the run's clock first, as the table's times are on it; the wall clock in brackets
    at = stamp(reader.summary(), int(last["run_time"]))
    return f"{event_id}: {label}{who} at {at} run time (recorded {recorded}; twin: {twin_state})"


def event_residuals(reader: RunReader, event_id: str | None) -> Any:
    """The pressure residuals from a day before the event's start to a day after it was raised."""
    if not event_id:
        return html.P("Select an event to see the residuals that raised it.")
    events = reader.events().set_index("event_id")
    if event_id not in events.index:
        return html.P(f"Event {event_id} is not in this run.")
    # kept per event and store version: going back to an event costs nothing, and plotly's
    # figure objects take ~0.2 s to build the ~30 traces of L-Town's loggers
    figure = reader.cached(
        f"event-residuals:{event_id}", lambda: _residual_figure(reader, events.loc[event_id])
    )
    return dcc.Graph(figure=figure, config={"displaylogo": False})


def _residual_figure(reader: RunReader, event: pd.Series) -> dict:
    """The residual plot of one event (a row of the events table indexed by event id)."""
    event_id = str(event.name)
    start = int(event["start_time"]) - _WINDOW_BEFORE_S
    end = int(event["raised_time"]) + _WINDOW_AFTER_S
    long = reader.residuals(start, end)
    long = long[long["unit"] == "m"]
    if long.empty:
        return empty_figure(f"No pressure residuals stored around {event_id}.").to_dict()
    summary = reader.summary()
    at = lambda seconds: f"{summary.origin + pd.Timedelta(seconds=int(seconds))}"  # noqa: E731
    wide = long.pivot_table(index="time", columns="sensor_id", values="residual")
    wide.index = summary.times(wide.index)
    wide.columns = [f"pressure {c} [m]" for c in wide.columns]
    marks = pd.DataFrame(
        {
            "event_id": [event_id],
            "detected_at": [at(event["raised_time"])],
            "start_estimate": [at(event["start_time"])],
        }
    )
    figure = residual_figure(wide, marks)
    figure.update_layout(
        height=520,
        title={"text": f"{event_id}: pressure residuals (hourly means)", "x": 0.01},
        margin={"t": 70},
    )
    return figure.to_dict()


def apply_action(
    reader: RunReader, button_id: str | None, event_id: str | None, now_s: int, user: str = ""
) -> tuple[str, list[dict]]:
    """Record the action of a pressed button on the selected event; the state text and the
    table's rows after it (nothing is recorded without a button or an event)."""
    if button_id in _BUTTONS and event_id:
        reader.record_action(event_id, _BUTTONS[button_id][0], user=user, run_time=now_s)
    return event_state(reader, event_id), table_rows(reader, now_s)


def _user() -> str:
    """The logged-in user's name under basic auth ('' without a login)."""
    try:
        auth = flask.request.authorization
    except RuntimeError:  # called outside a request (tests)
        return ""
    return auth.username if auth and auth.username else ""


def register(app: Dash, reader: RunReader) -> None:
    """The leaks page's callbacks."""

    # in the browser: a server round trip just to copy the chosen row's id into the store
    # made every selection wait for two (the map's callback needs the store's new value)
    app.clientside_callback(
        """
        function (selected, rows) {
            if (!selected || !selected.length || !rows || selected[0] >= rows.length) {
                return window.dash_clientside.no_update;
            }
            return rows[selected[0]].event_id;
        }
        """,
        Output(ids.SELECTED_EVENT, "data"),
        Input(ids.EVENT_TABLE, "selected_rows"),
        State(ids.EVENT_TABLE, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.EVENT_STATE, "children"),
        Output(ids.EVENT_TABLE, "data"),
        Input(ids.ACK_BUTTON, "n_clicks"),
        Input(ids.CREW_BUTTON, "n_clicks"),
        Input(ids.REPAIRED_BUTTON, "n_clicks"),
        Input(ids.SELECTED_EVENT, "data"),
        State(ids.REPLAY_POSITION, "data"),
    )
    def act(_ack: int, _crew: int, _repaired: int, event_id: str | None, position: Any) -> tuple:
        now_s = position_of(reader.summary(), position)
        if ctx.triggered_id not in _BUTTONS:  # a selection: the table's rows are unchanged
            return event_state(reader, event_id), no_update
        return apply_action(reader, ctx.triggered_id, event_id, now_s, _user())

    # after the map: its callback passes the event on once the map shows it
    @app.callback(
        Output(ids.EVENT_RESIDUALS, "children"),
        Input(ids.MAP_EVENT, "data"),
        prevent_initial_call=True,  # the page starts with the note of event_residuals(None)
    )
    def show_residuals(event_id: str | None) -> Any:
        return event_residuals(reader, event_id)
