"""Read a network's sidecar TOML file: the utility's own knowledge an .inp file does not hold.

The file sits beside the network (``networks/NAME.toml`` next to ``networks/NAME.inp``)::

    [utility]
    name = "L-Town (BattLeDIM 2020)"
    currency = "EUR"
    water_price_per_m3 = 0.80          # what a lost m³ costs

    [areas.AB]                          # the key becomes the zone's name
    contains = "n1"                     # any node inside the zone identifies it
    label = "Areas A and B"             # optional, for screens
    service_connections = 1234          # optional, else estimated from the model
    private_pipe_km = 0.0               # optional (UARL's Lp), default 0
    night_use_l_per_connection_h = 1.7  # optional, legitimate night use

Every section and every optional key may be left out. This module checks the file's own
shape (keys, types, ranges); :func:`twin.network.areas.read_sidecar` then matches the
zones it names against the network.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.network.errors import NetworkError

__all__ = ["AreaSettings", "SidecarError", "SidecarSettings", "read_sidecar_settings"]

_TOP_KEYS = ("utility", "areas")
_UTILITY_KEYS = ("name", "currency", "water_price_per_m3")
_AREA_KEYS = (
    "contains",
    "label",
    "service_connections",
    "private_pipe_km",
    "night_use_l_per_connection_h",
)


class SidecarError(NetworkError):
    """A sidecar file that cannot be used: names the file, the key, the value and the rule.

    It is a :class:`ValueError` (through :class:`twin.network.NetworkError`).

    Attributes
    ----------
    path : Path
        The sidecar file.
    key : str
        Dotted key path at fault (``"areas.AB.service_connections"``), or ``""`` for the
        whole file.
    value : object or None
        The offending value as read, when there is one.
    reason : str
        What is wrong and what was expected.
    """

    def __init__(self, path: Path | str, key: str, reason: str, value: Any = None) -> None:
        self.path = Path(path)
        self.key = key
        self.value = value
        self.reason = reason
        where = f"{self.path}: {key}" if key else str(self.path)
        if value is not None:
            where = f"{where} = {value!r}"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class AreaSettings:
    """One ``[areas.NAME]`` table as written; ``None`` where the file says nothing.

    Attributes
    ----------
    name : str
        The table's key, which becomes the zone's name.
    contains : str
        Id of any node inside the zone.
    label : str or None
        Display name.
    service_connections : int or None
        Number of service connections (customer connections to the mains).
    private_pipe_km : float or None
        Length of the private service pipes, km (UARL's Lp).
    night_use_l_per_connection_h : float or None
        Legitimate night use, L per connection per hour.
    """

    name: str
    contains: str
    label: str | None = None
    service_connections: int | None = None
    private_pipe_km: float | None = None
    night_use_l_per_connection_h: float | None = None


@dataclass(frozen=True)
class SidecarSettings:
    """A whole sidecar file as written; ``None`` where the file says nothing.

    Attributes
    ----------
    path : Path
        The file read.
    utility_name : str or None
        The utility's (or network's) display name.
    currency : str or None
        Currency code of ``water_price_per_m3``, e.g. ``"EUR"``.
    water_price_per_m3 : float or None
        What a lost m³ of water costs, in ``currency`` per m³.
    areas : tuple of AreaSettings
        The ``[areas.*]`` tables in file order.
    """

    path: Path
    utility_name: str | None = None
    currency: str | None = None
    water_price_per_m3: float | None = None
    areas: tuple[AreaSettings, ...] = ()


def read_sidecar_settings(path: str | Path) -> SidecarSettings:
    """Parse a sidecar TOML file and check its shape, without looking at any network.

    Parameters
    ----------
    path : str or Path
        The ``NAME.toml`` file.

    Returns
    -------
    SidecarSettings
        The values as written (``None`` for what the file leaves out).

    Raises
    ------
    SidecarError
        The file is missing or is not valid TOML, or holds an unknown key, a value of the
        wrong type or out of range; the message names the key path and the value.

    Examples
    --------
    >>> from twin.network import networks_dir
    >>> settings = read_sidecar_settings(networks_dir() / "L-TOWN.toml")
    >>> settings.currency, settings.water_price_per_m3, [a.name for a in settings.areas]
    ('EUR', 0.8, ['AB', 'C'])
    """
    path = Path(path)
    if not path.is_file():
        raise SidecarError(path, "", "sidecar file not found")
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise SidecarError(path, "", f"not valid TOML: {error}") from None
    _check_keys(path, "", document, _TOP_KEYS)
    utility = _table(path, "utility", document.get("utility", {}))
    _check_keys(path, "utility", utility, _UTILITY_KEYS)
    areas = _table(path, "areas", document.get("areas", {}))
    return SidecarSettings(
        path=path,
        utility_name=_text(path, "utility.name", utility.get("name")),
        currency=_text(path, "utility.currency", utility.get("currency")),
        water_price_per_m3=_amount(
            path, "utility.water_price_per_m3", utility.get("water_price_per_m3")
        ),
        areas=tuple(_area(path, name, table) for name, table in areas.items()),
    )


def _area(path: Path, name: str, table: Any) -> AreaSettings:
    """Check one ``[areas.NAME]`` table."""
    key = f"areas.{name}"
    table = _table(path, key, table)
    _check_keys(path, key, table, _AREA_KEYS)
    if not name.strip():
        raise SidecarError(path, key, "expected a non-empty zone name as the table key")
    contains = _text(path, f"{key}.contains", table.get("contains"))
    if contains is None:
        raise SidecarError(
            path, f"{key}.contains", "missing: expected the id of a node inside the zone"
        )
    return AreaSettings(
        name=name,
        contains=contains,
        label=_text(path, f"{key}.label", table.get("label")),
        service_connections=_count(
            path, f"{key}.service_connections", table.get("service_connections")
        ),
        private_pipe_km=_amount(path, f"{key}.private_pipe_km", table.get("private_pipe_km")),
        night_use_l_per_connection_h=_amount(
            path,
            f"{key}.night_use_l_per_connection_h",
            table.get("night_use_l_per_connection_h"),
        ),
    )


def _check_keys(path: Path, key: str, table: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse a key the schema does not know (most often a typo)."""
    for name in table:
        if name not in allowed:
            where = f"{key}.{name}" if key else name
            raise SidecarError(
                path, where, f"unknown key; expected one of {', '.join(allowed)}", table[name]
            )


def _table(path: Path, key: str, value: Any) -> dict[str, Any]:
    """A TOML table (``[key]``), or an error saying one was expected."""
    if not isinstance(value, dict):
        raise SidecarError(path, key, f"expected a table [{key}]", value)
    return value


def _text(path: Path, key: str, value: Any) -> str | None:
    """A non-empty string, or None when absent."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SidecarError(path, key, "expected a non-empty string", value)
    return value.strip()


def _amount(path: Path, key: str, value: Any) -> float | None:
    """A number >= 0 (an integer is accepted), or None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise SidecarError(path, key, "expected a number >= 0", value)
    if value == float("inf"):
        raise SidecarError(path, key, "expected a finite number >= 0", value)
    return float(value)


def _count(path: Path, key: str, value: Any) -> int | None:
    """An integer >= 0, or None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SidecarError(path, key, "expected an integer >= 0", value)
    return value
