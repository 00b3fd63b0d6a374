"""A quick read of an .inp file's sections: counts and pipe lengths without building a model.

Building a WNTR model of a 12,500-junction network takes most of a second; counting its
lines takes a few milliseconds. The catalogue and the error messages only need the latter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from twin.network.errors import NetworkFileError

__all__ = [
    "FOOT",
    "SI_FLOW_UNITS",
    "US_FLOW_UNITS",
    "InpSummary",
    "data_lines",
    "read_inp_lines",
    "scan_inp",
    "section_at",
]

FOOT = 0.3048
"""Metres per foot."""

US_FLOW_UNITS = frozenset({"CFS", "GPM", "MGD", "IMGD", "AFD"})
"""EPANET flow units that put every other quantity in US customary units (lengths in ft)."""

SI_FLOW_UNITS = frozenset({"LPS", "LPM", "MLD", "CMH", "CMD", "CMS"})
"""EPANET flow units that put every other quantity in SI units (lengths in m)."""

_DEFAULT_FLOW_UNITS = "GPM"  # EPANET's default when [OPTIONS] has no UNITS line


@dataclass(frozen=True)
class InpSummary:
    """What a network file holds, counted from its sections.

    Attributes
    ----------
    path : Path
        The file read.
    flow_units : str
        EPANET flow units of the file (``"GPM"``, ``"LPS"``, ``"CMH"``...).
    junctions, reservoirs, tanks, pipes, pumps, valves : int
        Number of entries in each section.
    pipe_length_m : float
        Total length of the pipes, m (converted from ft for US flow units).
    """

    path: Path
    flow_units: str
    junctions: int
    reservoirs: int
    tanks: int
    pipes: int
    pumps: int
    valves: int
    pipe_length_m: float

    @property
    def mains_km(self) -> float:
        """Total pipe length, km."""
        return self.pipe_length_m / 1000.0


def read_inp_lines(path: Path) -> list[str]:
    """The file's lines without line ends; undecodable bytes become U+FFFD, never an error."""
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def data_lines(lines: list[str]) -> Iterator[tuple[int, str, list[str]]]:
    """Every data line of an .inp file with its section.

    Yields
    ------
    tuple of (int, str, list of str)
        1-based line number, section header in upper case (``"[PIPES]"``, or ``""``
        before the first header) and the line's tokens with the ``;`` comment removed.
        Header, blank and comment-only lines are skipped; reading stops at ``[END]``.
    """
    section = ""
    for number, raw in enumerate(lines, start=1):
        tokens = raw.split(";", 1)[0].split()
        if not tokens:
            continue
        if tokens[0].startswith("["):
            section = tokens[0].upper()
            if section == "[END]":
                return
            continue
        yield number, section, tokens


def section_at(lines: list[str], line: int) -> str | None:
    """The section header (upper case) in force at 1-based ``line``; None before any header.

    A header line is in its own section, so ``section_at`` of the line ``[FOO]`` is ``[FOO]``.
    """
    for raw in reversed(lines[:line]):
        stripped = raw.strip()
        if stripped.startswith("["):
            return stripped.split(";", 1)[0].split()[0].upper()
    return None


def scan_inp(path: Path) -> InpSummary:
    """Count a network file's components and add up its pipe lengths.

    Parameters
    ----------
    path : Path
        An EPANET .inp file.

    Returns
    -------
    InpSummary
        Counts per section and the total pipe length in metres.

    Raises
    ------
    NetworkFileError
        A pipe length is not a number (the error names the line).
    """
    lines = read_inp_lines(path)
    counts: Counter[str] = Counter()
    flow_units = _DEFAULT_FLOW_UNITS
    length = 0.0
    for number, section, tokens in data_lines(lines):
        counts[section] += 1
        if section == "[OPTIONS]" and tokens[0].upper() == "UNITS" and len(tokens) > 1:
            flow_units = tokens[1].upper()
        elif section == "[PIPES]":
            length += _pipe_length(path, number, section, tokens)
    to_metres = FOOT if flow_units in US_FLOW_UNITS else 1.0
    return InpSummary(
        path=path,
        flow_units=flow_units,
        junctions=counts["[JUNCTIONS]"],
        reservoirs=counts["[RESERVOIRS]"],
        tanks=counts["[TANKS]"],
        pipes=counts["[PIPES]"],
        pumps=counts["[PUMPS]"],
        valves=counts["[VALVES]"],
        pipe_length_m=length * to_metres,
    )


def _pipe_length(path: Path, number: int, section: str, tokens: list[str]) -> float:
    """The length field (4th column) of a [PIPES] line, in the file's length units."""
    text = " ".join(tokens)
    if len(tokens) < 4:
        raise NetworkFileError(
            path,
            "a pipe needs at least ID, Node1, Node2 and Length",
            line=number,
            section=section,
            text=text,
        )
    try:
        return float(tokens[3])
    except ValueError:
        raise NetworkFileError(
            path,
            f"the pipe length {tokens[3]!r} is not a number",
            line=number,
            section=section,
            text=text,
        ) from None
