"""Checks of a recorded SCADA CSV file: its dialect, and the exact place of the first problem.

The reader (:mod:`twin.feeds.scada_files`) parses files with a fast vectorised CSV parser
that says *that* a file is wrong but not *where* in the utility's terms. When it fails, the
file is walked line by line here to find the first problem and name its line, its column
and what was expected. Only bad files pay for this slow pass.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = [
    "BATTLEDIM",
    "DIALECTS",
    "NULL_VALUES",
    "PLAIN",
    "Dialect",
    "ScadaFileError",
    "first_problem",
    "open_text",
    "read_header",
]

NULL_VALUES = ("", "NaN", "nan", "NA", "null", "NULL")
"""Field texts that stand for a reading that arrived empty (stored as NaN)."""


class ScadaFileError(ValueError):
    """A recorded SCADA file that cannot be read; says where and what was expected.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    line : int or None
        1-based line number in the file (the header is line 1), when one line is at fault.
    column : str or None
        Column name (``"Timestamp"`` or a sensor id), when one column is at fault.
    """

    def __init__(self, path: Path, what: str, line: int | None = None, column: str | None = None):
        self.path, self.line, self.column, self.what = Path(path), line, column, what
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {what}")


@dataclass(frozen=True)
class Dialect:
    """How a SCADA CSV file writes its fields: separator and decimal mark."""

    name: str
    separator: str
    decimal: str

    def example(self) -> str:
        """A number as this dialect writes it, for error messages."""
        return f"3{self.decimal}51"


BATTLEDIM = Dialect("battledim", ";", ",")
"""BattLeDIM / European spreadsheet export: ``;`` separated, decimal comma (``3,51``)."""
PLAIN = Dialect("plain", ",", ".")
"""Plain CSV: ``,`` separated, decimal point (``3.51``)."""
DIALECTS = {d.name: d for d in (BATTLEDIM, PLAIN)}


def open_text(path: Path) -> io.TextIOBase:
    """Open a ``.csv`` or ``.csv.gz`` file as UTF-8 text with line ends kept as written."""
    if Path(path).name.endswith(".gz"):
        return io.TextIOWrapper(
            gzip.open(path, "rb"), encoding="utf-8", errors="replace", newline=""
        )
    return open(path, encoding="utf-8", errors="replace", newline="")


def read_header(path: Path) -> tuple[Dialect, list[str]]:
    """The file's dialect and sensor ids, from its header line.

    The dialect is told by the character after ``Timestamp``: ``;`` for BattLeDIM, ``,`` for
    plain CSV.

    Raises
    ------
    ScadaFileError
        Empty file, no ``Timestamp`` first column, no sensor columns, an unknown or mixed
        separator, or an empty or repeated sensor id.
    """
    try:
        with open_text(path) as text:
            header = text.readline().rstrip("\r\n").lstrip("\ufeff")
    except (OSError, EOFError) as error:
        raise ScadaFileError(path, f"cannot be read ({error})") from error
    if not header.strip():
        raise ScadaFileError(path, "is empty: expected a header line 'Timestamp;<sensor ids>'", 1)
    first = header.replace('"', "")
    if not first.startswith("Timestamp"):
        found = header[:20].split(";")[0].split(",")[0]
        raise ScadaFileError(path, f"first column is {found!r}, expected 'Timestamp'", 1)
    rest = first[len("Timestamp") :]
    if not rest:
        raise ScadaFileError(path, "has a Timestamp column but no sensor columns", 1)
    dialect = next((d for d in DIALECTS.values() if rest[0] == d.separator), None)
    if dialect is None:
        raise ScadaFileError(path, f"expected ';' or ',' after 'Timestamp', found {rest[0]!r}", 1)
    other = PLAIN.separator if dialect is BATTLEDIM else BATTLEDIM.separator
    if other in rest:
        raise ScadaFileError(
            path, f"header mixes separators {dialect.separator!r} and {other!r}", 1, "Timestamp"
        )
    names = [name.strip() for name in rest[1:].split(dialect.separator)]
    seen: set[str] = set()
    for position, name in enumerate(names, start=2):
        if not name:
            raise ScadaFileError(path, f"column {position} of the header has no sensor id", 1)
        if name in seen:
            raise ScadaFileError(path, "sensor id appears twice in the header", 1, name)
        seen.add(name)
    return dialect, names


def first_problem(path: Path, dialect: Dialect, sensor_ids: list[str]) -> ScadaFileError | None:
    """The first problem of a data line, walking the file line by line (slow: bad files only).

    Checks, per line in file order: the number of fields (and separators mixed with the other
    dialect's), the timestamp, that timestamps strictly increase, and that every value is a
    number in the file's dialect or empty.

    Returns
    -------
    ScadaFileError or None
        The error to raise, or None when no line is at fault.
    """
    expected = len(sensor_ids) + 1
    previous: tuple[datetime, int] | None = None
    with open_text(path) as text:
        for number, line in _data_lines(text):
            fields = _fields(path, number, line, dialect, expected)
            if isinstance(fields, ScadaFileError):
                return fields
            stamp = _timestamp(path, number, fields[0])
            if isinstance(stamp, ScadaFileError):
                return stamp
            if previous is not None and stamp <= previous[0]:
                return _order_error(path, number, stamp, previous)
            previous = (stamp, number)
            for name, field in zip(sensor_ids, fields[1:], strict=True):
                problem = _number_problem(field.strip(), dialect)
                if problem:
                    return ScadaFileError(path, problem, number, name)
    return None


def _data_lines(text: io.TextIOBase) -> Iterator[tuple[int, str]]:
    """(line number, text) of each non-blank data line."""
    for number, line in enumerate(text, start=1):
        line = line.rstrip("\r\n")
        if number > 1 and line.strip():
            yield number, line


def _fields(
    path: Path, number: int, line: str, dialect: Dialect, expected: int
) -> list[str] | ScadaFileError:
    """The fields of a line, or the error saying how its separators are wrong."""
    fields = line.split(dialect.separator)
    if dialect is PLAIN:
        mixed = BATTLEDIM.separator in line
    else:  # a comma is a decimal mark here: only a line without any ';' is plain CSV
        mixed = len(fields) == 1 and len(line.split(PLAIN.separator)) == expected
    if mixed:
        other = PLAIN if dialect is BATTLEDIM else BATTLEDIM
        return ScadaFileError(
            path,
            f"fields are separated by {other.separator!r} but the header uses "
            f"{dialect.separator!r} (mixed separators)",
            number,
        )
    if len(fields) != expected:
        return ScadaFileError(
            path,
            f"has {len(fields)} fields separated by {dialect.separator!r}, expected {expected} "
            f"(Timestamp and {expected - 1} sensors as in the header)",
            number,
        )
    return fields


def _timestamp(path: Path, number: int, field: str) -> datetime | ScadaFileError:
    """The timestamp of a line, or the error saying why it is not one."""
    try:
        stamp = datetime.fromisoformat(field.strip().strip('"'))
    except ValueError:
        return ScadaFileError(
            path,
            f"{field!r} is not a date and time (expected YYYY-MM-DD HH:MM:SS)",
            number,
            "Timestamp",
        )
    if stamp.tzinfo is not None or stamp.microsecond:
        return ScadaFileError(
            path,
            f"{field!r}: expected whole seconds without time zone (YYYY-MM-DD HH:MM:SS)",
            number,
            "Timestamp",
        )
    return stamp


def _order_error(
    path: Path, number: int, stamp: datetime, previous: tuple[datetime, int]
) -> ScadaFileError:
    """A timestamp that repeats or goes back in time."""
    before, line = previous
    if stamp == before:
        what = f"timestamp {stamp} is duplicated (also on line {line})"
    else:
        what = f"timestamp {stamp} is earlier than {before} on line {line} (must increase)"
    return ScadaFileError(path, what, number, "Timestamp")


def _number_problem(field: str, dialect: Dialect) -> str | None:
    """Why a value field is not a number in the dialect, or None if it is one (or empty)."""
    if field in NULL_VALUES:
        return None
    wrong = PLAIN.decimal if dialect is BATTLEDIM else BATTLEDIM.decimal
    if wrong in field:
        return (
            f"value {field!r} uses {wrong!r} as decimal mark; this file's dialect "
            f"({dialect.separator!r} separated) writes numbers like {dialect.example()}"
        )
    try:
        float(field.replace(dialect.decimal, "."))
    except ValueError:
        return f"value {field!r} is not a number (expected e.g. {dialect.example()} or empty)"
    return None
