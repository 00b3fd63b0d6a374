"""What-if: the run's sensor layout beside another one, with their expected localization
error and detection rate, and a sensor placement run in the background.

Layouts are offered by id from a list the server builds (bundled layouts of the run's
network, layouts under ``RUN/placement/``); a path never comes from the browser.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html

from twin.dashboard import ids
from twin.dashboard.components import PageContext, data_table, reader_note, records
from twin.dashboard.figures.network_map import Figure, network_map_figure
from twin.dashboard.figures.panels import empty_figure
from twin.dashboard.reader import RunReader
from twin.network.sensors import SENSOR_TYPES, SensorLayoutError, read_sensor_layout

__all__ = [
    "NAME",
    "PATH",
    "PLACEMENT_FOLDER",
    "RUN_LAYOUT",
    "background_manager",
    "layout",
    "layout_choices",
    "layout_scores",
    "layout_sensors",
    "register",
    "run_placement_job",
]

PATH = "/whatif"
NAME = "What-if"

RUN_LAYOUT = "run"
"""Id of the run's own layout (its stored sensors)."""

PLACEMENT_FOLDER = "placement"
"""Folder of the run holding placement results (layouts and their scores)."""

_SCORE_FILES = ("scores.csv", "layouts.csv", "comparison.csv")


def layout_choices(reader: RunReader) -> dict[str, Path]:
    """The layouts on offer, by id: bundled ones of the run's network (``NAME*.sensors.csv``
    beside it or in ``layouts/``: ``bundled:<relative path>``), then the placement results
    of the run (``placement:<relative path>``)."""
    choices: dict[str, Path] = {}
    view = reader.network()
    folder = view.inp_path.parent
    stem = view.inp_path.stem
    for where in (folder, folder / "layouts"):
        for path in sorted(where.glob(f"{stem}*.sensors.csv")):
            choices[f"bundled:{path.relative_to(folder).as_posix()}"] = path
    placement = reader.run_dir / PLACEMENT_FOLDER
    if placement.is_dir():
        for path in sorted(placement.rglob("*.csv")):
            if path.name in _SCORE_FILES:
                continue
            if _is_layout(path):
                choices[f"placement:{path.relative_to(placement).as_posix()}"] = path
    return choices


def _is_layout(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as file:
            header = file.readline()
    except OSError:
        return False
    return "sensor_type" in header and "element_id" in header


def layout_sensors(reader: RunReader, choice: str) -> pd.DataFrame:
    """The sensors of a layout id: ``sensor_id`` and ``kind``.

    Raises
    ------
    KeyError
        An id that is not offered (:func:`layout_choices`).
    """
    if choice == RUN_LAYOUT:
        return reader.sensors()[["sensor_id", "kind"]]
    choices = layout_choices(reader)
    if choice not in choices:
        raise KeyError(f"sensor layout {choice!r} is not on offer; choose one of {sorted(choices)}")
    layout = read_sensor_layout(choices[choice])
    rows = [(e, kind) for kind in SENSOR_TYPES for e in getattr(layout, kind)]
    return pd.DataFrame(rows, columns=["sensor_id", "kind"])


def layout_scores(reader: RunReader) -> pd.DataFrame:
    """Scores of layouts from the run's placement results (empty when there are none).

    Any ``scores.csv``, ``layouts.csv`` or ``comparison.csv`` under ``RUN/placement/`` is
    read and stacked, with the folder it came from in a ``results`` column.
    """
    placement = reader.run_dir / PLACEMENT_FOLDER
    frames = []
    if placement.is_dir():
        for name in _SCORE_FILES:
            for path in sorted(placement.rglob(name)):
                try:
                    frame = pd.read_csv(path)
                except (OSError, ValueError, pd.errors.ParserError):
                    continue
                frame.insert(0, "results", path.parent.relative_to(placement).as_posix() or ".")
                frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _layout_map(reader: RunReader, choice: str | None, title: str) -> Figure | go.Figure:
    if not choice:
        return empty_figure("Choose a layout to compare.", height=500)
    try:
        sensors = layout_sensors(reader, choice)
    except (KeyError, SensorLayoutError) as error:
        return empty_figure(str(error), height=500)
    counts = sensors["kind"].value_counts()
    summary = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items())
    return network_map_figure(
        reader.network(), None, sensors, None, None, f"{title}: {summary}", 500
    )


def layout(reader: RunReader, context: PageContext) -> html.Div:
    """The what-if page."""
    choices = layout_choices(reader)
    first = next(iter(choices), None)
    scores = layout_scores(reader)
    score_block: Any = (
        data_table(ids.WHATIF_SCORES, records(scores), [(c, c) for c in scores.columns])
        if len(scores)
        else html.P(
            "No placement results in this run yet: run a placement below (results go to "
            f"{PLACEMENT_FOLDER}/ in the run folder).",
            id=ids.WHATIF_SCORES,
        )
    )
    return html.Div(
        [
            html.H2("What-if: sensor layouts"),
            html.P(reader_note(reader)),
            html.Div(
                [
                    html.Div(
                        dcc.Graph(
                            id=ids.WHATIF_MAP_A,
                            figure=_layout_map(reader, RUN_LAYOUT, "This run's sensors"),
                        ),
                        style={"flex": "1 1 48%"},
                    ),
                    html.Div(
                        [
                            dcc.Dropdown(
                                id=ids.WHATIF_LAYOUT,
                                options=[{"label": k, "value": k} for k in choices],
                                value=first,
                                clearable=False,
                            ),
                            dcc.Graph(id=ids.WHATIF_MAP_B),
                        ],
                        style={"flex": "1 1 48%"},
                    ),
                ],
                style={"display": "flex", "gap": "1rem", "flexWrap": "wrap"},
            ),
            html.H3("Expected localization error and detection rate"),
            score_block,
            html.H3("Run a placement"),
            _placement_controls(),
        ]
    )


def _placement_controls() -> html.Div:
    """Budget, button and the placement's progress and outcome."""
    return html.Div(
        [
            html.Label("Sensors to place (budget) "),
            dcc.Input(
                id=ids.PLACEMENT_BUDGET,
                type="number",
                min=1,
                max=500,
                step=1,
                value=10,
                style={"width": "8rem"},
            ),
            html.Button(
                "Run placement",
                id=ids.PLACEMENT_BUTTON,
                n_clicks=0,
                style={"marginLeft": "0.5rem"},
            ),
            html.Div(id=ids.PLACEMENT_PROGRESS, style={"marginTop": "0.5rem"}),
            html.Div(id=ids.PLACEMENT_STATUS, style={"marginTop": "0.5rem"}),
        ]
    )


def run_placement_job(
    network: str,
    budget: Any,
    out_root: str,
    progress: Callable[[float, str], None] | None = None,
) -> str:
    """Run ``twin.placement.run_placement`` for a budget; a sentence saying what happened.

    Runs in a background worker process, never in the server's request thread.

    Parameters
    ----------
    network : str
        The run's network.
    budget : any
        Loggers to place, as typed in the page (checked here).
    out_root : str
        The run's placement folder; the result goes to ``budget-<K>/`` in it.
    progress : callable, optional
        ``progress(fraction, message)`` while it runs.
    """
    try:
        count = int(budget)
    except (TypeError, ValueError):
        return f"budget {budget!r}: give a whole number of sensors"
    if not 1 <= count <= 500:
        return f"budget {count}: give between 1 and 500 sensors"
    try:
        from twin.placement import run_placement
    except ImportError as error:
        return f"placement not available in this installation ({error})"
    out_dir = Path(out_root) / f"budget-{count}"
    run_placement(network, count, out_dir, on_progress=progress)
    return f"placement of {count} sensors written to {out_dir}; reload the page to compare it"


def background_manager(run_dir: Path) -> Any:
    """A disk-cache manager for background callbacks, in a temporary folder per run."""
    import diskcache
    from dash import DiskcacheManager

    key = sha256(str(Path(run_dir).resolve()).encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "twin-dash-cache" / key
    return DiskcacheManager(diskcache.Cache(str(folder)))


def register(app: Dash, reader: RunReader) -> None:
    """The what-if page's callbacks; the placement runs as a background callback."""

    @app.callback(Output(ids.WHATIF_MAP_B, "figure"), Input(ids.WHATIF_LAYOUT, "value"))
    def show_layout(choice: str | None) -> Figure | go.Figure:
        return _layout_map(reader, choice, str(choice or ""))

    network = reader.summary().network
    out_root = str(reader.run_dir / PLACEMENT_FOLDER)

    @app.callback(
        Output(ids.PLACEMENT_STATUS, "children"),
        Input(ids.PLACEMENT_BUTTON, "n_clicks"),
        State(ids.PLACEMENT_BUDGET, "value"),
        background=True,
        running=[(Output(ids.PLACEMENT_BUTTON, "disabled"), True, False)],
        progress=[Output(ids.PLACEMENT_PROGRESS, "children")],
        prevent_initial_call=True,
    )
    def start_placement(set_progress, n_clicks: int, budget: Any) -> str:
        set_progress(f"placing {budget} sensors on {network}...")
        return run_placement_job(
            network,
            budget,
            out_root,
            lambda fraction, message: set_progress(f"{fraction:.0%}: {message}"),
        )
