"""Sensor layouts: which nodes carry pressure loggers and AMR meters, which links flow meters.

A layout file is a CSV with the columns ``sensor_type`` (``pressure``, ``flow``,
``tank_level``, ``amr_demand``) and ``element_id``, as in BattLeDIM's sensor list. A bundled
network may have one beside it (``networks/L-TOWN.sensors.csv``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SENSOR_TYPES",
    "SensorLayout",
    "SensorLayoutError",
    "layout_for",
    "read_sensor_layout",
    "sidecar_layout",
]

SENSOR_TYPES = ("pressure", "flow", "tank_level", "amr_demand")
"""The kinds of instrument a layout places: what each measures and where (node or link)."""


class SensorLayoutError(ValueError):
    """A sensor layout file that cannot be used, with the file and line at fault."""


@dataclass(frozen=True)
class SensorLayout:
    """Where the instruments are.

    Attributes
    ----------
    pressure : tuple of str
        Nodes with a pressure logger (reports pressure head, m).
    flow : tuple of str
        Links with a flow meter (reports m³/h).
    tank_level : tuple of str
        Tanks with a level sensor (reports m).
    amr_demand : tuple of str
        Junctions with an AMR/AMI consumption meter (reports L/h).
    """

    pressure: tuple[str, ...] = ()
    flow: tuple[str, ...] = ()
    tank_level: tuple[str, ...] = ()
    amr_demand: tuple[str, ...] = ()

    def __len__(self) -> int:
        return sum(len(getattr(self, kind)) for kind in SENSOR_TYPES)

    def check_against(self, node_ids: set[str], link_ids: set[str], tank_ids: set[str]) -> None:
        """Raise :class:`SensorLayoutError` naming sensors on elements not in the network."""
        wanted = {
            "pressure": node_ids,
            "flow": link_ids,
            "tank_level": tank_ids,
            "amr_demand": node_ids,
        }
        for kind, known in wanted.items():
            missing = [e for e in getattr(self, kind) if e not in known]
            if missing:
                raise SensorLayoutError(
                    f"{len(missing)} {kind} sensor(s) on elements that are not in the network: "
                    f"{', '.join(missing[:10])}"
                )


def read_sensor_layout(path: str | Path) -> SensorLayout:
    """Read a layout CSV (``sensor_type,element_id,...``), refusing unknown types and repeats.

    Examples
    --------
    >>> from twin.network import networks_dir
    >>> layout = read_sensor_layout(networks_dir() / "L-TOWN.sensors.csv")
    >>> len(layout.pressure), len(layout.flow), len(layout.tank_level), len(layout.amr_demand)
    (33, 3, 1, 82)
    """
    path = Path(path)
    if not path.is_file():
        raise SensorLayoutError(f"sensor layout file not found: {path}")
    found: dict[str, list[str]] = {kind: [] for kind in SENSOR_TYPES}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"sensor_type", "element_id"} <= set(reader.fieldnames):
            raise SensorLayoutError(
                f"{path}: line 1: expected a header with columns sensor_type and element_id, "
                f"got {reader.fieldnames}"
            )
        for line, row in enumerate(reader, start=2):
            kind, element = (row["sensor_type"] or "").strip(), (row["element_id"] or "").strip()
            if kind not in found:
                raise SensorLayoutError(
                    f"{path}: line {line}: sensor_type {kind!r} is not one of "
                    f"{', '.join(SENSOR_TYPES)}"
                )
            if not element:
                raise SensorLayoutError(f"{path}: line {line}: element_id is empty")
            if element in found[kind]:
                raise SensorLayoutError(
                    f"{path}: line {line}: {kind} sensor on {element} is listed twice"
                )
            found[kind].append(element)
    return SensorLayout(**{kind: tuple(ids) for kind, ids in found.items()})


def sidecar_layout(inp_path: str | Path) -> SensorLayout | None:
    """The layout stored beside a network file (``NAME.sensors.csv``), or None."""
    inp_path = Path(inp_path)
    sidecar = inp_path.with_name(f"{inp_path.stem}.sensors.csv")
    return read_sensor_layout(sidecar) if sidecar.is_file() else None


def layout_for(inp_path: str | Path, sensors: str | Path | None = None) -> SensorLayout:
    """The layout in ``sensors`` if given, else the one beside the network file.

    Raises
    ------
    ValueError
        No file given and the network has no ``NAME.sensors.csv`` beside it.
    """
    if sensors is not None:
        return read_sensor_layout(sensors)
    inp_path = Path(inp_path)
    layout = sidecar_layout(inp_path)
    if layout is None:
        raise ValueError(
            f"{inp_path.name} has no sensor layout file ({inp_path.stem}.sensors.csv); "
            "give one with --sensors FILE (columns sensor_type,element_id)"
        )
    return layout
