"""The thin Dash entry point: it builds on a recorded run and plots the chosen sensors."""

import pandas as pd

from app import create_app, sensor_figure


def test_sensor_figure_has_one_line_per_chosen_sensor():
    """Two chosen sensors give two traces over the recording's times."""
    index = pd.date_range("2018-01-01", periods=4, freq="5min", name="Timestamp")
    frame = pd.DataFrame(
        {
            "pressure n1 [m]": [1, 2, 3, 4],
            "flow p1 [m3/h]": [5, 6, 7, 8],
            "level T1 [m]": [1, 1, 1, 1],
        },
        index=index,
    )
    figure = sensor_figure(frame, ["pressure n1 [m]", "flow p1 [m3/h]"])
    assert [trace.name for trace in figure.data] == ["pressure n1 [m]", "flow p1 [m3/h]"]
    assert len(figure.data[0].x) == 4


def test_app_builds_on_a_recording(tmp_path):
    """The app's layout lists every sensor of the file in its dropdown."""
    index = pd.date_range("2018-01-01", periods=3, freq="5min", name="Timestamp")
    file = tmp_path / "run.csv"
    pd.DataFrame({"pressure n1 [m]": [1.0, 2.0, 3.0]}, index=index).to_csv(file)
    app = create_app(file)
    assert app.layout.children[1].options == ["pressure n1 [m]"]
