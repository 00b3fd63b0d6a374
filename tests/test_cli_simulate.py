"""``twin simulate``: sensor-style output of a run with leaks, and clean errors."""

import subprocess
import sys

import pandas as pd
import pytest

from twin.hydraulics import HydraulicEngine
from twin.hydraulics.record import default_layout, record_run
from twin.network.sensors import SensorLayoutError, read_sensor_layout
from twin.scenario.leak_spec import parse_leak


def twin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from twin.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_simulate_writes_battledim_sensors_and_leak_truth(tmp_path):
    """Two hours of L-Town: 25 rows of its 119 BattLeDIM sensors and the leak's outflow."""
    out = tmp_path / "sensors.csv"
    result = twin(
        "simulate", "L-TOWN", "--days", str(2 / 24), "--leak", "p257:20:1", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    sensors = pd.read_csv(out, index_col="Timestamp", parse_dates=True)
    assert sensors.shape == (25, 119)
    assert "pressure n54 [m]" in sensors and "flow p227 [m3/h]" in sensors
    assert sensors.index[1] - sensors.index[0] == pd.Timedelta(minutes=5)
    leaks = pd.read_csv(tmp_path / "sensors_leaks.csv", index_col="Timestamp")
    outflow = leaks["leak_p257 outflow [m3/h]"]
    assert (outflow.iloc[:12] == 0).all() and (outflow.iloc[12:] > 5).all()
    assert "lost" in result.stdout


def test_simulate_parquet_output_matches_csv(tmp_path):
    """The same run written as Parquet holds the same numbers."""
    for name in ("a.csv", "a.parquet"):
        assert (
            twin("simulate", "Net1", "--days", "0.25", "--out", str(tmp_path / name)).returncode
            == 0
        )
    csv = pd.read_csv(tmp_path / "a.csv", index_col="Timestamp", parse_dates=True)
    parquet = pd.read_parquet(tmp_path / "a.parquet")
    pd.testing.assert_frame_equal(csv, parquet, check_exact=False, rtol=1e-5, check_freq=False)


def test_simulate_bad_input_is_a_one_line_error(tmp_path):
    """An unknown pipe, a malformed leak or a bad extension: exit 2, message, no traceback."""
    cases = {
        ("--leak", "p99999:20:1"): "neither a pipe nor a junction",
        ("--leak", "p257:big:1"): "must be numbers",
        ("--out", str(tmp_path / "x.txt")): ".csv or .parquet",
    }
    for extra, message in cases.items():
        args = ["simulate", "L-TOWN", "--out", str(tmp_path / "x.csv"), *extra]
        result = twin(*args)
        assert result.returncode == 2
        assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_leak_spec_with_peak_and_end_hours():
    """PIPE:MM:START:PEAK:END gives an incipient leak repaired at END."""
    leak = parse_leak("p1:12.5:2:5:9", {"p1"}, set())
    assert (leak.diameter_m, leak.start_s, leak.peak_s, leak.end_s) == (0.0125, 7200, 18000, 32400)
    assert leak.on == "pipe"


def test_amr_meters_do_not_see_leak_outflow():
    """A leak at a metered junction shows in pressures, not in that junction's consumption."""
    from twin.hydraulics import Leak
    from twin.network.sensors import SensorLayout

    layout = SensorLayout(pressure=("12",), amr_demand=("12",))
    origin = pd.Timestamp("2018-01-01")
    with HydraulicEngine("Hanoi") as plain:
        base = record_run(plain, layout, 1, origin).sensors
    with HydraulicEngine("Hanoi", leaks=[Leak("12", 0.05, on="junction")]) as leaky:
        leaked = record_run(leaky, layout, 1, origin).sensors
    assert leaked["demand 12 [L/h]"].iloc[0] == pytest.approx(base["demand 12 [L/h]"].iloc[0])
    assert leaked["pressure 12 [m]"].iloc[0] < base["pressure 12 [m]"].iloc[0] - 0.5


def test_default_layout_covers_junctions_sources_and_tanks():
    """Without a layout file: every junction's pressure, source and pump flows, tank levels."""
    with HydraulicEngine("Net1") as engine:
        layout = default_layout(engine)
    assert len(layout.pressure) == 9 and layout.tank_level == ("2",)
    assert {"9", "110"} <= set(layout.flow)


def test_sensor_layout_file_errors_name_the_line(tmp_path):
    """An unknown sensor type or a repeated sensor is refused with file and line."""
    bad = tmp_path / "layout.csv"
    bad.write_text("sensor_type,element_id\npressure,n1\nvibration,n2\n")
    with pytest.raises(SensorLayoutError, match=r"layout.csv: line 3: sensor_type 'vibration'"):
        read_sensor_layout(bad)
    bad.write_text("sensor_type,element_id\npressure,n1\npressure,n1\n")
    with pytest.raises(SensorLayoutError, match="line 3: pressure sensor on n1 is listed twice"):
        read_sensor_layout(bad)


def test_layout_with_unknown_element_is_refused(tmp_path):
    """A layout naming a node the network does not have is refused before any step."""
    layout_file = tmp_path / "layout.csv"
    layout_file.write_text("sensor_type,element_id\npressure,n999999\n")
    result = twin(
        "simulate",
        "L-TOWN",
        "--days",
        "0.01",
        "--sensors",
        str(layout_file),
        "--out",
        str(tmp_path / "s.csv"),
    )
    assert result.returncode == 2 and "n999999" in result.stderr
