"""Recorded SCADA files in the BattLeDIM layout: reading, writing, and errors that say where."""

import gzip
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.feeds.scada_files import (
    ScadaFileError,
    find_scada_files,
    read_scada_file,
    read_scada_folder,
    write_scada_file,
    write_scada_folder,
)

SCADA = Path(__file__).resolve().parent / "data" / "scada"
WEEK = SCADA / "week"
WEEK_S = 7 * 86400


@pytest.fixture
def week(tmp_path):
    """A writable copy of the first week of the real 2018 flows and tank level."""
    folder = tmp_path / "week"
    shutil.copytree(WEEK, folder)
    return folder


def _edit_line(path: Path, number: int, old: str, new: str) -> None:
    """Replace text in one line (1-based) of a file, keeping its CRLF line ends."""
    lines = path.read_bytes().split(b"\r\n")
    assert old.encode() in lines[number - 1], lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old.encode(), new.encode())
    path.write_bytes(b"\r\n".join(lines))


def test_reads_the_real_battledim_week_as_replay_readings():
    """Four series of 2016 five-minute readings, in the files' units, from 2018-01-01."""
    recording = read_scada_folder(WEEK)
    readings = recording.readings
    assert recording.origin == datetime(2018, 1, 1)
    assert readings.channel == "replay"
    assert len(readings) == 4 * 2016
    units = dict(zip(readings.sensor_id.tolist(), readings.unit.tolist(), strict=False))
    assert units == {"p227": "m3/h", "p235": "m3/h", "PUMP_1": "m3/h", "T1": "m"}
    p227 = readings.sensor_id == "p227"
    assert readings.value[p227][:3].tolist() == [77.77, 72.51, 71.54]
    assert readings.event_time[p227].tolist() == list(range(0, WEEK_S, 300))
    np.testing.assert_array_equal(readings.arrival_time, readings.event_time)


def test_reading_keeps_one_batch_per_file_in_name_order():
    """Each file is its own batch, so a store can tell which file a reading came from."""
    recording = read_scada_folder(WEEK)
    assert [p.name for p in recording.files] == ["2018_SCADA_Flows.csv", "2018_SCADA_Levels.csv"]
    assert [len(r) for r in recording.files.values()] == [3 * 2016, 2016]


def test_gzip_year_reads_like_the_plain_week():
    """The compressed full year starts with exactly the readings of the week file."""
    year = read_scada_file(SCADA / "year" / "2018_SCADA_Levels.csv.gz", datetime(2018, 1, 1))
    week = read_scada_file(WEEK / "2018_SCADA_Levels.csv", datetime(2018, 1, 1))
    assert len(year) == 105_120
    np.testing.assert_array_equal(year.value[:2016], week.value)
    assert year.event_time[-1] == 365 * 86400 - 300


def test_event_times_count_from_the_origin_given():
    """With the run's origin one day before the data, the first reading is at 86,400 s."""
    recording = read_scada_folder(WEEK, origin=datetime(2017, 12, 31))
    assert recording.origin == datetime(2017, 12, 31)
    assert recording.readings.event_time.min() == 86400


def test_finds_plain_and_prefixed_names_and_ignores_other_files(tmp_path):
    """Pressures.csv and 2018_SCADA_Flows.csv are found; the model and notes are not."""
    for name in ["Pressures.csv", "2018_SCADA_Flows.csv", "L-TOWN.inp", "notes.csv", ".x.csv"]:
        (tmp_path / name).write_text("Timestamp;n1\r\n")
    assert [p.name for p in find_scada_files(tmp_path)] == ["2018_SCADA_Flows.csv", "Pressures.csv"]


def test_sensor_ids_are_read_without_quotes_spaces_or_byte_order_mark(tmp_path):
    """A spreadsheet export's BOM, quoted names and padding do not leak into the ids."""
    (tmp_path / "Pressures.csv").write_bytes(
        '\ufeff"Timestamp"; n1 ;"n4"\r\n2018-01-01 00:00:00;51,2;49,8\r\n'.encode()
    )
    readings = read_scada_folder(tmp_path).readings
    assert readings.sensor_id.tolist() == ["n1", "n4"]
    assert readings.value.tolist() == [51.2, 49.8]


def test_a_folder_without_scada_files_is_refused(tmp_path):
    """The error says which names were expected."""
    with pytest.raises(FileNotFoundError, match="Pressures.csv, Flows.csv"):
        read_scada_folder(tmp_path)


def test_writer_reproduces_the_battledim_file_byte_for_byte(tmp_path):
    """Semicolons, decimal commas, shortest digits ('3,5') and CRLF, exactly as published."""
    source = WEEK / "2018_SCADA_Flows.csv"
    table = pd.read_csv(source, sep=";", decimal=",", index_col=0, parse_dates=True)
    written = write_scada_file(tmp_path / source.name, table)
    assert written.read_bytes() == source.read_bytes()


def test_plain_dialect_round_trips_with_empty_readings_as_nan(tmp_path):
    """Comma-separated, decimal point; an empty field reads back as NaN."""
    index = pd.date_range("2018-03-01", periods=3, freq="5min")
    table = pd.DataFrame({"n1": [51.25, np.nan, 50.5], "n4": [1.0, 2.0, 3.0]}, index=index)
    write_scada_folder(tmp_path, {"Pressures": table}, dialect="plain")
    text = (tmp_path / "Pressures.csv").read_text()
    assert text.splitlines()[:3] == [
        "Timestamp,n1,n4",
        "2018-03-01 00:00:00,51.25,1",
        "2018-03-01 00:05:00,,2",
    ]
    readings = read_scada_folder(tmp_path).readings
    assert readings.unit.tolist() == ["m"] * 6
    np.testing.assert_array_equal(readings.value, [51.25, np.nan, 50.5, 1.0, 2.0, 3.0])


def test_compressed_files_are_written_and_read(tmp_path):
    """compress=True writes .csv.gz files that read back to the same values."""
    index = pd.date_range("2018-03-01", periods=2, freq="5min")
    table = pd.DataFrame({"n1": [120.5, 130.25]}, index=index)
    [path] = write_scada_folder(tmp_path, {"Demands": table}, prefix="2018_SCADA_", compress=True)
    assert path.name == "2018_SCADA_Demands.csv.gz"
    readings = read_scada_folder(tmp_path).readings
    assert readings.value.tolist() == [120.5, 130.25] and readings.unit[0] == "L/h"


@pytest.mark.parametrize(
    ("line", "old", "new", "expected"),
    [
        (4, "71,54", "7x,54", r"line 4, column 'p227': value '7x,54' is not a number"),
        (6, "82,99", "82.99", r"line 6, column 'p235': value '82.99' uses '.' as decimal mark"),
        (
            7,
            "00:25:00;69,85;75,08;44,06",
            "00:25:00,69.85,75.08,44.06",
            r"line 7: fields are separated by ',' but the header uses ';' \(mixed separators\)",
        ),
        (8, ";44,08", ";44,08;1", r"line 8: has 5 fields separated by ';', expected 4"),
        (
            10,
            "00:40:00",
            "00:35:00",
            r"line 10, column 'Timestamp': timestamp 2018-01-01 "
            r"00:35:00 is duplicated \(also on line 9\)",
        ),
        (
            10,
            "00:40:00",
            "00:20:00",
            r"line 10, column 'Timestamp': timestamp 2018-01-01 "
            r"00:20:00 is earlier than 2018-01-01 00:35:00 on line 9",
        ),
        (
            11,
            "2018-01-01 00:45",
            "2018-13-01 00:45",
            r"line 11, column 'Timestamp': "
            r"'2018-13-01 00:45:00' is not a date and time",
        ),
        (1, "Timestamp", "Time", r"line 1: first column is 'Time', expected 'Timestamp'"),
        (1, "p235;", "p235,", r"line 1, column 'Timestamp': header mixes separators"),
        (1, "p235", "p227", r"line 1, column 'p227': sensor id appears twice"),
    ],
)
def test_a_bad_file_is_refused_naming_its_line_and_column(week, line, old, new, expected):
    """Each kind of mistake is reported with the file, the line, the column and the value."""
    path = week / "2018_SCADA_Flows.csv"
    _edit_line(path, line, old, new)
    with pytest.raises(ScadaFileError, match=expected) as caught:
        read_scada_folder(week)
    assert caught.value.path == path and caught.value.line == line
    assert str(caught.value).startswith(str(path))


def test_a_battledim_line_in_a_plain_file_is_a_mixed_separator_error(tmp_path):
    """A ';' line with decimal commas inside a ','-separated file is named as such."""
    (tmp_path / "Levels.csv").write_bytes(
        b"Timestamp,T1\n2018-01-01 00:00:00,3.5\n2018-01-01 00:05:00;3,51\n"
    )
    with pytest.raises(ScadaFileError, match=r"line 3: fields are separated by ';' but the "):
        read_scada_folder(tmp_path)


def test_an_error_in_a_gzip_file_names_its_line(week):
    """The line-by-line check reads compressed files too."""
    path = week / "2018_SCADA_Levels.csv"
    _edit_line(path, 2000, ";", ";n/a")
    with gzip.open(week / "2018_SCADA_Levels.csv.gz", "wb") as out:
        out.write(path.read_bytes())
    path.unlink()
    with pytest.raises(ScadaFileError, match=r"\.csv\.gz, line 2000, column 'T1': value 'n/a"):
        read_scada_folder(week)


def test_a_timestamp_only_file_is_refused(tmp_path):
    """A header with no sensor column says so."""
    (tmp_path / "Levels.csv").write_text("Timestamp\r\n2018-01-01 00:00:00\r\n")
    with pytest.raises(ScadaFileError, match="Timestamp column but no sensor columns"):
        read_scada_folder(tmp_path)


def test_an_empty_file_is_refused(tmp_path):
    """An empty file names the header it expected."""
    (tmp_path / "Levels.csv").write_text("")
    with pytest.raises(ScadaFileError, match="is empty: expected a header line"):
        read_scada_folder(tmp_path)
