"""Detections in the BattLeDIM result layout (``leaks.txt``): read strictly, write exactly."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

import pandas as pd

__all__ = ["HEADER", "check_pipes", "read_leaks_txt", "write_leaks_txt"]

HEADER = "# linkID, startTime"
"""First line of a results file; the detections follow, one ``pipe, YYYY-MM-DD HH:MM`` a line."""

_TIME_FORMAT = "%Y-%m-%d %H:%M"
_LINE = re.compile(r"^\s*([^,\s]+)\s*,\s*(\d{4}-\d{2}-\d{2} \d{2}:\d{2})\s*$")
_EXPECTED = "'PIPE, YYYY-MM-DD HH:MM' (a pipe id, a comma, the detection time)"


def read_leaks_txt(path: str | Path, pipes: Collection[str] | None = None) -> pd.DataFrame:
    """Read the detections of a results file in the BattLeDIM layout.

    The first line is a header starting with ``#`` (``# linkID, startTime``; the official
    example's longer header is accepted too). Every further line is a detection
    ``PIPE, YYYY-MM-DD HH:MM``; blank lines and lines starting with ``#`` are skipped.

    Parameters
    ----------
    path : str or pathlib.Path
        The results file.
    pipes : collection of str, optional
        The network's pipe ids; when given, a detection naming any other id is an error.

    Returns
    -------
    pandas.DataFrame
        One row per detection in file order: ``pipe`` (str), ``time`` (timestamp, minute
        resolution), ``line`` (its line number in the file, from 1).

    Raises
    ------
    ValueError
        A missing header, a line not of the expected form, an impossible date or an unknown
        pipe; the message names the file, the line and what was expected.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "leaks.txt"
    >>> _ = path.write_text("# linkID, startTime\\np257, 2018-01-08 14:00\\n")
    >>> read_leaks_txt(path)[["pipe", "time"]].values.tolist()
    [['p257', Timestamp('2018-01-08 14:00:00')]]
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    if not lines or not lines[0].lstrip().startswith("#"):
        got = repr(lines[0]) if lines else "an empty file"
        raise ValueError(f"{path}, line 1: expected the header {HEADER!r}, got {got}")
    rows = []
    for number, text in enumerate(lines[1:], start=2):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        match = _LINE.match(text)
        if match is None:
            raise ValueError(f"{path}, line {number}: expected {_EXPECTED}, got {text!r}")
        pipe, stamp = match.groups()
        try:
            time = datetime.strptime(stamp, _TIME_FORMAT)
        except ValueError:
            raise ValueError(
                f"{path}, line {number}: {stamp!r} is no valid date and time (YYYY-MM-DD HH:MM)"
            ) from None
        rows.append((pipe, pd.Timestamp(time), number))
    frame = pd.DataFrame(rows, columns=["pipe", "time", "line"])
    frame["time"] = pd.to_datetime(frame["time"])
    if pipes is not None:
        check_pipes(frame, pipes, path)
    return frame


def check_pipes(detections: pd.DataFrame, pipes: Collection[str], path: str | Path) -> None:
    """Raise when a detection names no pipe of the network.

    Parameters
    ----------
    detections : pandas.DataFrame
        As :func:`read_leaks_txt` returns them (columns ``pipe`` and ``line``).
    pipes : collection of str
        The network's pipe ids.
    path : str or pathlib.Path
        The results file, for the message.

    Raises
    ------
    ValueError
        Naming the file, the first offending line and the id.
    """
    unknown = detections[~detections["pipe"].isin(list(pipes))]
    if len(unknown):
        line, pipe = unknown["line"].iat[0], unknown["pipe"].iat[0]
        raise ValueError(f"{path}, line {line}: no pipe {pipe!r} in the network")


def write_leaks_txt(path: str | Path, detections: pd.DataFrame) -> Path:
    """Write detections as a results file in the BattLeDIM layout.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to (over)write.
    detections : pandas.DataFrame
        Columns ``pipe`` and ``time`` (timestamps), in the order to write.

    Returns
    -------
    pathlib.Path
        The file written.

    Notes
    -----
    The layout has minute resolution: a time between minutes is rounded up to the next
    minute, never down, so a detection is never claimed earlier than it was made.
    """
    path = Path(path)
    missing = {"pipe", "time"} - set(detections.columns)
    if missing:
        raise ValueError(f"detections: missing column(s) {sorted(missing)}")
    times = pd.to_datetime(detections["time"]).dt.ceil("min")
    body = [
        f"{pipe}, {time:{_TIME_FORMAT}}"
        for pipe, time in zip(detections["pipe"], times, strict=True)
    ]
    path.write_text("\n".join([HEADER, *body]) + "\n", encoding="utf-8")
    return path
