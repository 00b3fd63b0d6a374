"""Recorded SCADA files in the BattLeDIM layout: find them, read them into Readings, write them.

A folder of recorded SCADA holds up to four files, each also found with a ``YYYY_SCADA_``
prefix (``2018_SCADA_Flows.csv``) and optionally gzip-compressed (``.csv.gz``):

============== ========================= ======
file           instruments               unit
============== ========================= ======
Pressures.csv  pressure loggers (head)   m
Flows.csv      flow meters, pumps        m3/h
Levels.csv     tank levels               m
Demands.csv    AMR consumption meters    L/h
============== ========================= ======

The first column is ``Timestamp`` (``YYYY-MM-DD HH:MM:SS``, no time zone), then one column per
sensor. Two dialects are read and written: BattLeDIM's ``;`` with decimal comma (``3,51``) and
plain ``,`` with decimal point; the reader tells them apart from the header.

Examples
--------
>>> import tempfile, pandas as pd
>>> folder = Path(tempfile.mkdtemp())
>>> flows = pd.DataFrame({"p227": [77.77, 72.51]},
...                      index=pd.to_datetime(["2018-01-01 00:00", "2018-01-01 00:05"]))
>>> _ = write_scada_folder(folder, {"Flows": flows}, prefix="2018_SCADA_")
>>> (folder / "2018_SCADA_Flows.csv").read_text().splitlines()[1]
'2018-01-01 00:00:00;77,77'
>>> recording = read_scada_folder(folder)
>>> str(recording.origin), recording.readings.event_time.tolist()
('2018-01-01 00:00:00', [0, 300])
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from twin.feeds.readings import Readings
from twin.feeds.scada_checks import (
    BATTLEDIM,
    DIALECTS,
    NULL_VALUES,
    Dialect,
    ScadaFileError,
    first_problem,
    read_header,
)

__all__ = [
    "REPLAY_CHANNEL",
    "SCADA_UNITS",
    "ScadaFileError",
    "ScadaRecording",
    "file_unit",
    "find_scada_files",
    "read_scada_file",
    "read_scada_folder",
    "write_scada_file",
    "write_scada_folder",
]

SCADA_UNITS = {"Pressures": "m", "Flows": "m3/h", "Levels": "m", "Demands": "L/h"}
"""Unit of the values in each kind of file, as the utility writes them."""
REPLAY_CHANNEL = "replay"
"""Channel name of readings read from recorded files."""

_FILE_NAME = re.compile(
    r"^(?:\d{4}_SCADA_)?(?P<kind>Pressures|Flows|Levels|Demands)\.csv(?:\.gz)?$"
)


@dataclass(frozen=True)
class ScadaRecording:
    """Recorded SCADA read from a folder: one Readings batch per file, on one time origin.

    Attributes
    ----------
    origin : datetime
        Timestamp (no time zone) that ``event_time`` counts seconds from.
    files : dict of pathlib.Path to Readings
        One batch per file, in file-name order; channel ``"replay"``, values in the file's
        unit (m, m3/h or L/h), ``arrival_time`` equal to ``event_time``.
    """

    origin: datetime
    files: dict[Path, Readings]

    @property
    def readings(self) -> Readings:
        """All files' readings as one batch, file after file, sensor after sensor."""
        batches = list(self.files.values())
        if not batches:
            return _empty_readings()
        return Readings(
            REPLAY_CHANNEL,
            *(np.concatenate([getattr(b, f) for b in batches]) for f in _VECTORS),
        )


_VECTORS = ("sensor_id", "value", "unit", "event_time", "arrival_time")


def find_scada_files(folder: Path) -> list[Path]:
    """The recorded SCADA files of a folder, sorted by name.

    Raises
    ------
    FileNotFoundError
        The folder does not exist or holds none of the four kinds of file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and _FILE_NAME.match(p.name))
    if not files:
        raise FileNotFoundError(
            f"{folder}: no recorded SCADA files (expected Pressures.csv, Flows.csv, Levels.csv "
            "or Demands.csv, optionally prefixed YYYY_SCADA_ and/or gzip-compressed .csv.gz)"
        )
    return files


def file_unit(path: Path) -> str:
    """Unit of a SCADA file's values, from its name (``Flows.csv`` -> ``"m3/h"``)."""
    match = _FILE_NAME.match(Path(path).name)
    if match is None:
        raise ScadaFileError(path, "is not named like a SCADA file (e.g. 2018_SCADA_Flows.csv)")
    return SCADA_UNITS[match["kind"]]


def read_scada_folder(folder: Path, origin: datetime | None = None) -> ScadaRecording:
    """Read every recorded SCADA file of a folder; all are checked before any is returned.

    Parameters
    ----------
    folder : path
        Folder with ``[YYYY_SCADA_]{Pressures,Flows,Levels,Demands}.csv[.gz]`` files.
    origin : datetime, optional
        The run's origin; by default the earliest timestamp in the files.

    Raises
    ------
    FileNotFoundError
        No such folder or no SCADA file in it.
    ScadaFileError
        A file that cannot be read, naming the line and column at fault.
    """
    tables = {path: _read_table(path) for path in find_scada_files(folder)}
    if origin is None:
        starts = [times[0] for _, times, _ in tables.values() if len(times)]
        origin = _as_datetime(min(starts)) if starts else datetime(1970, 1, 1)
    files = {path: _to_readings(path, *table, origin) for path, table in tables.items()}
    return ScadaRecording(origin, files)


def read_scada_file(path: Path, origin: datetime) -> Readings:
    """One recorded SCADA file as a batch of readings (channel ``"replay"``).

    Parameters
    ----------
    path : path
        A ``.csv`` or ``.csv.gz`` file named like ``2018_SCADA_Flows.csv`` (the name gives the
        unit: m for pressures and levels, m3/h for flows, L/h for demands).
    origin : datetime
        Timestamp that event times count seconds from.

    Returns
    -------
    Readings
        Sensor after sensor, each in time order; values in the file's unit, empty fields NaN.
    """
    return _to_readings(Path(path), *_read_table(Path(path)), origin)


def _read_table(path: Path) -> tuple[list[str], np.ndarray, pa.Table]:
    """Sensor ids, timestamps (datetime64[s]) and the parsed table of one file."""
    file_unit(path)
    dialect, sensor_ids = read_header(path)
    try:
        table = pcsv.read_csv(
            path,
            # The header was read above; naming the columns here keeps them exactly as the
            # sensor ids found there (BOM, quotes and spaces removed).
            read_options=pcsv.ReadOptions(column_names=["Timestamp", *sensor_ids], skip_rows=1),
            parse_options=pcsv.ParseOptions(delimiter=dialect.separator),
            convert_options=pcsv.ConvertOptions(
                column_types={"Timestamp": pa.timestamp("s")}
                | {sensor: pa.float64() for sensor in sensor_ids},
                decimal_point=dialect.decimal,
                null_values=list(NULL_VALUES),
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, OSError) as error:
        raise _located(path, dialect, sensor_ids, f"cannot be parsed ({error})") from None
    stamps = table.column("Timestamp")
    times = stamps.to_numpy(zero_copy_only=False).astype("datetime64[s]")
    if stamps.null_count or (len(times) > 1 and not (np.diff(times) > np.timedelta64(0)).all()):
        raise _located(path, dialect, sensor_ids, "has empty or non-increasing timestamps")
    return sensor_ids, times, table


def _located(path: Path, dialect: Dialect, sensor_ids: list[str], fallback: str) -> Exception:
    """The error naming the first bad line and column (or the parser's own words)."""
    return first_problem(path, dialect, sensor_ids) or ScadaFileError(path, fallback)


def _to_readings(
    path: Path, sensor_ids: list[str], times: np.ndarray, table: pa.Table, origin: datetime
) -> Readings:
    """A wide table as sensor-major reading vectors."""
    seconds = (times - np.datetime64(origin, "s")).astype(np.int64)
    ids = np.asarray(sensor_ids, dtype=str)
    values = [table.column(s).to_numpy(zero_copy_only=False) for s in sensor_ids]
    n = len(ids) * len(seconds)
    event_time = np.tile(seconds, len(ids))
    return Readings(
        REPLAY_CHANNEL,
        np.repeat(ids, len(seconds)),
        np.concatenate(values).astype(np.float64) if values else np.empty(0),
        np.full(n, file_unit(path)),
        event_time,
        event_time.copy(),
    )


def _empty_readings() -> Readings:
    """A batch with no readings."""
    none = np.empty(0, dtype=str)
    return Readings(REPLAY_CHANNEL, none, np.empty(0), none, *[np.empty(0, np.int64)] * 2)


def _as_datetime(stamp: np.datetime64) -> datetime:
    """A numpy second timestamp as a naive datetime."""
    return pd.Timestamp(stamp).to_pydatetime()


def write_scada_file(
    path: Path, table: pd.DataFrame, *, dialect: str = "battledim", decimals: int | None = 2
) -> Path:
    """Write one wide table as a recorded SCADA file (``.gz`` name: gzip-compressed).

    Parameters
    ----------
    path : path
        File to write, e.g. ``runs/demo/2018_SCADA_Flows.csv``.
    table : pandas.DataFrame
        Index: timestamps (no time zone, increasing); one column per sensor id; values in the
        file's unit (m, m3/h or L/h). NaN is written as an empty field.
    dialect : {"battledim", "plain"}
        ``"battledim"``: ``;`` separated, decimal comma, CRLF line ends, as the BattLeDIM
        files; ``"plain"``: ``,`` separated, decimal point, LF line ends.
    decimals : int or None
        Round values to this many decimals (BattLeDIM writes 2); None keeps full precision.
    """
    form = DIALECTS[dialect]
    path = Path(path)
    stamps = pa.array(pd.DatetimeIndex(table.index).as_unit("s"), pa.timestamp("s"))
    columns = {"Timestamp": pc.cast(stamps, pa.string())}
    for sensor in table.columns:
        columns[str(sensor)] = _number_texts(table[sensor].to_numpy(np.float64), form, decimals)
    text = _csv_bytes(pa.table(columns), form)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        with gzip.GzipFile(path, "wb", mtime=0) as out:
            out.write(text)
    else:
        path.write_bytes(text)
    return path


def _number_texts(values: np.ndarray, dialect: Dialect, decimals: int | None) -> pa.Array:
    """Values as the dialect writes them (shortest round-trip digits), NaN as null."""
    column = pa.array(values, mask=np.isnan(values))
    if decimals is not None:
        column = pc.round(column, decimals)
    texts = pc.cast(column, pa.string())
    if dialect.decimal != ".":
        texts = pc.replace_substring(texts, ".", dialect.decimal)
    return texts


def _csv_bytes(table: pa.Table, dialect: Dialect) -> bytes:
    """The table as CSV bytes in the dialect, unquoted (no field contains a separator)."""
    sink = pa.BufferOutputStream()
    pcsv.write_csv(
        table,
        sink,
        pcsv.WriteOptions(delimiter=dialect.separator, quoting_style="none", quoting_header="none"),
    )
    text = sink.getvalue().to_pybytes()
    return text.replace(b"\n", b"\r\n") if dialect is BATTLEDIM else text


def write_scada_folder(
    folder: Path,
    tables: Mapping[str, pd.DataFrame],
    *,
    prefix: str = "",
    dialect: str = "battledim",
    decimals: int | None = 2,
    compress: bool = False,
) -> list[Path]:
    """Write recorded SCADA files, one per kind, in the BattLeDIM layout.

    Parameters
    ----------
    folder : path
        Folder to write into (created if needed).
    tables : mapping of str to pandas.DataFrame
        Kind (``"Pressures"``, ``"Flows"``, ``"Levels"``, ``"Demands"``) to a wide table as
        :func:`write_scada_file` takes, in that kind's unit (m, m3/h, m, L/h).
    prefix : str
        File-name prefix, e.g. ``"2018_SCADA_"``.
    dialect, decimals
        As :func:`write_scada_file`.
    compress : bool
        Write ``.csv.gz`` instead of ``.csv``.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    unknown = set(tables) - set(SCADA_UNITS)
    if unknown:
        raise ValueError(f"unknown SCADA file kinds {sorted(unknown)}; use {list(SCADA_UNITS)}")
    suffix = ".csv.gz" if compress else ".csv"
    return [
        write_scada_file(
            Path(folder) / f"{prefix}{kind}{suffix}", table, dialect=dialect, decimals=decimals
        )
        for kind, table in tables.items()
    ]
