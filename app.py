"""The Dash app's entry point; stays thin.

Until the control-room dashboard lands, it shows a recorded run (a ``twin simulate`` output):

    .venv/bin/python app.py runs/demo/sensors.csv     # http://127.0.0.1:8050
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import plotly.express as px
from dash import Dash, Input, Output, dcc, html


def sensor_figure(recording: pd.DataFrame, columns: list[str]):
    """Time series of the chosen sensor columns (pure: data in, figure out)."""
    long = recording[columns].reset_index().melt("Timestamp", var_name="sensor", value_name="value")
    return px.line(long, x="Timestamp", y="value", color="sensor", template="plotly_white")


def create_app(recording_file: Path) -> Dash:
    """A one-page app plotting the sensors of ``recording_file`` (CSV or Parquet)."""
    if recording_file.suffix == ".parquet":
        recording = pd.read_parquet(recording_file)
    else:
        recording = pd.read_csv(recording_file, index_col="Timestamp", parse_dates=True)
    app = Dash(__name__, title="twin")
    app.layout = html.Div(
        [
            html.H3(f"Recorded run: {recording_file.name}"),
            dcc.Dropdown(
                list(recording.columns), list(recording.columns[:3]), multi=True, id="sensors"
            ),
            dcc.Graph(id="series"),
        ]
    )

    @app.callback(Output("series", "figure"), Input("sensors", "value"))
    def show(columns: list[str] | None):
        return sensor_figure(recording, columns or [])

    return app


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/demo/sensors.csv")
    if not target.is_file():
        sys.exit(f"error: no recording at {target}; run `make run` (or twin simulate) first")
    create_app(target).run(host="127.0.0.1", port=8050, debug=False)
