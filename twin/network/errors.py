"""Errors a user can act on when a network cannot be found, read or supplied with water."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "NetworkError",
    "NetworkFileError",
    "NetworkTopologyError",
    "UnknownNetworkError",
]

MAX_LISTED_IDS = 20
"""How many offending node ids a topology error names before it only counts the rest."""


class NetworkError(ValueError):
    """Base class of every error of :mod:`twin.network`: catch it to report any of them."""


class UnknownNetworkError(NetworkError, LookupError):
    """A network name that is not one of the bundled networks.

    Attributes
    ----------
    name : str
        The name as the user gave it.
    available : list of str
        The names that would have worked (file stems of the networks folder).
    folder : Path
        The networks folder that was searched.
    """

    def __init__(self, name: str, available: Sequence[str], folder: Path) -> None:
        self.name = name
        self.available = list(available)
        self.folder = folder
        names = ", ".join(self.available) if self.available else "none"
        super().__init__(
            f"no bundled network named {name!r} in {folder}; available: {names}. "
            "Give a path to an .inp file to load any other network."
        )


class NetworkFileError(NetworkError):
    """An .inp file that cannot be parsed, with where the problem is and what was expected.

    Attributes
    ----------
    path : Path
        The file that was read.
    line : int or None
        1-based line number of the problem, when it could be located.
    section : str or None
        The .inp section the problem is in, e.g. ``"[RULES]"``, when known.
    text : str or None
        The offending line as written in the file (whitespace collapsed).
    reason : str
        What is wrong and what the reader expected, without the location.
    message : str
        The whole one-paragraph message (also ``str(error)``).
    """

    def __init__(
        self,
        path: Path | str,
        reason: str,
        *,
        line: int | None = None,
        section: str | None = None,
        text: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.reason = reason
        self.line = line
        self.section = section
        self.text = text
        self.message = _file_message(self.path, reason, line, section, text)
        super().__init__(self.message)


class NetworkTopologyError(NetworkError):
    """A network whose junctions cannot all be reached from a reservoir or a tank.

    Attributes
    ----------
    source : str
        The network's name or file, as the user gave it.
    node_ids : list of str
        Every offending junction id (the message lists the first 20 and the count).
    problem : str
        ``"no source"`` (no reservoir and no tank at all) or ``"cut off"`` (some junctions
        have no path over links, whatever their status, to any reservoir or tank).
    """

    def __init__(self, source: str, node_ids: Sequence[str], problem: str) -> None:
        self.source = source
        self.node_ids = list(node_ids)
        self.problem = problem
        n = len(self.node_ids)
        if problem == "no source":
            what = (
                f"has no water source (no reservoir and no tank), so none of its {n} "
                "junctions can be supplied"
            )
        else:
            plural = "s" if n != 1 else ""
            what = (
                f"has {n} junction{plural} cut off from every reservoir and tank "
                "(no path over any link, whatever its status)"
            )
        super().__init__(
            f"network {source} {what}: {_listed(self.node_ids)}. Connect them to a source "
            "or remove them, or load with validate=False to skip this check."
        )


def _listed(ids: Sequence[str]) -> str:
    """Comma-separated ids, cut after ``MAX_LISTED_IDS`` with a count of the rest."""
    shown = ", ".join(ids[:MAX_LISTED_IDS])
    rest = len(ids) - MAX_LISTED_IDS
    return f"{shown} and {rest} more" if rest > 0 else shown


def _file_message(
    path: Path, reason: str, line: int | None, section: str | None, text: str | None
) -> str:
    """Compose ``cannot read <path>: line N in [SECTION] reads `text`: reason``."""
    where = []
    if line is not None:
        where.append(f"line {line}")
    if section:
        where.append(f"in {section}" if where else f"section {section}")
    location = " ".join(where)
    if text:
        location = f"{location} reads `{text}`" if location else f"the line `{text}`"
    head = f"cannot read network file {path}"
    return f"{head}: {location}: {reason}" if location else f"{head}: {reason}"
