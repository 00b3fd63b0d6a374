"""Layouts in and out: existing loggers and candidate places from files, random baselines, CSV out.

Every id read from a file is checked against the network's junctions; an unknown one is an
error naming the file, the line and the id.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twin.network.sensors import SENSOR_TYPES, read_sensor_layout

__all__ = [
    "ExistingLayout",
    "random_layouts",
    "read_candidates",
    "read_existing",
    "write_layout",
]

LAYOUT_COLUMNS = ("sensor_type", "element_id", "element_kind", "unit", "placement")
"""Columns of a written layout: those of ``networks/L-TOWN.sensors.csv``, with ``placement``
(how the logger got there) in place of the source file name."""

_KIND_AND_UNIT = {
    "pressure": ("node", "m (pressure head)"),
    "flow": ("link", "m3/h"),
    "tank_level": ("node", "m"),
    "amr_demand": ("node", "L/h"),
}


@dataclass(frozen=True)
class ExistingLayout:
    """The instruments a utility already has.

    Attributes
    ----------
    pressure : list of int
        Junction positions of the existing pressure loggers.
    other : list of (str, str)
        ``(sensor_type, element_id)`` of its other instruments (flow meters, tank levels,
        AMR meters), kept in the written layout.
    """

    pressure: list[int]
    other: list[tuple[str, str]]

    @property
    def flow_meters(self) -> list[str]:
        """Links carrying a flow meter."""
        return [element for kind, element in self.other if kind == "flow"]


def _junction_position(
    path: Path, line: int, element: str, position: dict[str, int], network: str
) -> int:
    if element not in position:
        raise ValueError(
            f"{path}: line {line}: {element!r} is not a junction of {network} "
            "(a pressure logger must sit on one of its junctions)"
        )
    return position[element]


def read_existing(path: str | Path, junction_ids: Sequence[str], network: str) -> ExistingLayout:
    """Read a layout CSV (``networks/L-TOWN.sensors.csv`` format) of existing instruments.

    Raises
    ------
    ValueError
        A malformed file (as :func:`twin.network.sensors.read_sensor_layout`), or a pressure
        logger on an id that is not a junction (the message names file, line and id).
    """
    path = Path(path)
    read_sensor_layout(path)  # header, sensor types, repeats: its own clear errors
    position = {j: i for i, j in enumerate(junction_ids)}
    pressure, other = [], []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            kind, element = row["sensor_type"].strip(), row["element_id"].strip()
            if kind == "pressure":
                pressure.append(_junction_position(path, line, element, position, network))
            else:
                other.append((kind, element))
    return ExistingLayout(pressure, other)


def read_candidates(path: str | Path, junction_ids: Sequence[str], network: str) -> list[int]:
    """Junction positions where a logger may go, from a file.

    The file is either a layout CSV (its ``pressure`` rows count) or a plain list of
    junction ids, one a line (blank lines and lines starting with ``#`` are skipped).

    Raises
    ------
    ValueError
        An id that is not a junction (file, line and id named), or no candidate at all.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"candidates file not found: {path}")
    position = {j: i for i, j in enumerate(junction_ids)}
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    found: list[int] = []
    if lines and "element_id" in lines[0]:
        read_sensor_layout(path)
        for line, row in enumerate(csv.DictReader(lines), start=2):
            if row["sensor_type"].strip() == "pressure":
                found.append(
                    _junction_position(path, line, row["element_id"].strip(), position, network)
                )
    else:
        for line, text in enumerate(lines, start=1):
            element = text.split("#", 1)[0].strip().strip(",")
            if element:
                found.append(_junction_position(path, line, element, position, network))
    if not found:
        raise ValueError(f"{path}: no candidate junction in the file")
    return list(dict.fromkeys(found))


def random_layouts(
    size: int, candidates: Sequence[int], fixed: Sequence[int], seeds: Sequence[int]
) -> list[list[int]]:
    """Random layouts: ``fixed`` plus loggers drawn from ``candidates`` up to ``size``.

    One layout per seed (``numpy.random.default_rng(seed)``), drawn without repeats.
    """
    free = np.array([c for c in dict.fromkeys(candidates) if c not in set(fixed)])
    extra = size - len(fixed)
    if extra < 0 or extra > len(free):
        raise ValueError(f"cannot draw {extra} loggers from {len(free)} free candidates")
    return [
        [*fixed, *np.random.default_rng(seed).choice(free, extra, replace=False).tolist()]
        for seed in seeds
    ]


def write_layout(
    path: str | Path,
    pressure: Sequence[str],
    placement: Sequence[str],
    other: Sequence[tuple[str, str]] = (),
) -> Path:
    """Write a layout CSV readable by :func:`twin.network.sensors.read_sensor_layout`.

    Parameters
    ----------
    path : str or Path
    pressure : sequence of str
        Junction ids of the pressure loggers.
    placement : sequence of str
        For each logger, how it got there (``"existing"``, ``"greedy 3"``...).
    other : sequence of (str, str)
        Other instruments to keep, ``(sensor_type, element_id)``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [("pressure", j, how) for j, how in zip(pressure, placement, strict=True)]
    rows += [(kind, element, "existing") for kind, element in other]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(LAYOUT_COLUMNS)
        for kind, element, how in sorted(rows, key=lambda r: SENSOR_TYPES.index(r[0])):
            writer.writerow([kind, element, *_KIND_AND_UNIT[kind], how])
    return path
