"""Leaks: the event table, the selected event on the map with the residuals that raised it,
and the operator's actions (acknowledge, crew sent, repaired), kept in the run's store."""

from __future__ import annotations

from typing import Any

import flask
import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from twin.dashboard import ids
from twin.dashboard.components import PageContext, data_table, position_of, reader_note, stamp
from twin.dashboard.event_table import EVENT_COLUMNS, event_rows, operator_states
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
    return event_rows(
        reader.events(),
        reader.candidates(),
        operator_states(reader.actions()),
        reader.summary().origin,
        now_s,
        reader.network() if reader.summary().network else None,
        price,
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
            html.Div(id=ids.EVENT_RESIDUALS),
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
    when = f"{pd.Timestamp(last['time']):%Y-%m-%d %H:%M}"
    return f"{event_id}: {label}{who} at {when} (twin: {twin_state})"


def event_residuals(reader: RunReader, event_id: str | None) -> Any:
    """The pressure residuals from a day before the event's start to a day after it was raised."""
    if not event_id:
        return html.P("Select an event to see the residuals that raised it.")
    events = reader.events().set_index("event_id")
    if event_id not in events.index:
        return html.P(f"Event {event_id} is not in this run.")
    event = events.loc[event_id]
    start = int(event["start_time"]) - _WINDOW_BEFORE_S
    end = int(event["raised_time"]) + _WINDOW_AFTER_S
    long = reader.residuals(start, end)
    long = long[long["unit"] == "m"]
    if long.empty:
        figure: go.Figure = empty_figure(f"No pressure residuals stored around {event_id}.")
    else:
        origin = reader.summary().origin
        wide = long.pivot_table(index="time", columns="sensor_id", values="residual")
        wide.index = reader.summary().times(wide.index)
        wide.columns = [f"pressure {c} [m]" for c in wide.columns]
        marks = pd.DataFrame(
            {
                "event_id": [event_id],
                "detected_at": [f"{origin + pd.Timedelta(seconds=int(event['raised_time']))}"],
                "start_estimate": [f"{origin + pd.Timedelta(seconds=int(event['start_time']))}"],
            }
        )
        figure = residual_figure(wide, marks)
        figure.update_layout(height=520, title=f"{event_id}: pressure residuals (hourly means)")
    return dcc.Graph(figure=figure, config={"displaylogo": False})


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

    @app.callback(
        Output(ids.SELECTED_EVENT, "data"),
        Input(ids.EVENT_TABLE, "selected_rows"),
        State(ids.EVENT_TABLE, "data"),
        prevent_initial_call=True,
    )
    def select_event(selected: list[int] | None, rows: list[dict] | None) -> Any:
        if not selected or not rows or selected[0] >= len(rows):
            return no_update
        return rows[selected[0]]["event_id"]

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
        return apply_action(reader, ctx.triggered_id, event_id, now_s, _user())

    @app.callback(Output(ids.EVENT_RESIDUALS, "children"), Input(ids.SELECTED_EVENT, "data"))
    def show_residuals(event_id: str | None) -> Any:
        return event_residuals(reader, event_id)
