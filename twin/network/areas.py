"""Metering zones (areas, DMAs) of a network: the parts whose every boundary link is metered.

A water balance (inflow minus consumption) is only possible for a part of the network whose
every way in or out carries a flow meter. Cutting the network at its flow meters and at its
reservoirs leaves such parts as connected components: those are the zones. The utility's
names, customer counts and water price come from the sidecar file ``NAME.toml`` beside
``NAME.inp`` (see :mod:`twin.network.sidecar`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from twin.network.errors import NetworkError
from twin.network.sidecar import AreaSettings, SidecarError, read_sidecar_settings

if TYPE_CHECKING:
    import wntr

__all__ = [
    "DEFAULT_CURRENCY",
    "DEFAULT_NIGHT_USE_L_PER_CONNECTION_H",
    "DEFAULT_WATER_PRICE_PER_M3",
    "Area",
    "Inlet",
    "NetworkAreas",
    "SidecarError",
    "derive_areas",
    "network_areas",
    "read_sidecar",
    "sidecar_path",
]

DEFAULT_CURRENCY = "EUR"
"""Currency of the water price when no sidecar file names one."""

DEFAULT_WATER_PRICE_PER_M3 = 0.80
"""What a lost m³ costs when no sidecar file says, in EUR/m³: BattLeDIM 2020's scoring value.

A placeholder for any other network: set ``water_price_per_m3`` in its sidecar file.
"""

DEFAULT_NIGHT_USE_L_PER_CONNECTION_H = 1.7
"""Legitimate night use per service connection, L/h, when the sidecar file gives none.

IWA and UK practice (the UK *Managing Leakage* reports) put household night use at about
1.3-2.5 L per property per hour; 1.7 is the commonly quoted middle value.
"""


@dataclass(frozen=True)
class Inlet:
    """A metered link across a zone's boundary.

    Attributes
    ----------
    link_id : str
        The link carrying the flow meter.
    sign : int
        +1 when the link's positive flow (start node to end node) enters the zone, -1 when
        it leaves: the zone's inflow is the sum of ``sign * flow`` over its inlets.
    """

    link_id: str
    sign: int


@dataclass(frozen=True)
class Area:
    """One metering zone: its elements, its metered boundary and the utility's figures.

    Attributes
    ----------
    name : str
        Short name (``"Z1"`` by default, or the sidecar file's key).
    label : str
        Display name for screens (the name unless the sidecar file gives one).
    junctions : tuple of str
        Junction ids, in the model's order.
    tanks : tuple of str
        Tank ids inside the zone; their level changes are storage in the balance.
    inlets : tuple of Inlet
        Metered links across the boundary, in the model's link order.
    pipes : tuple of str
        Pipes with both ends in the zone, in the model's order.
    mains_length_km : float
        Total length of ``pipes``, km (UARL's Lm).
    service_connections : int
        Customer connections to the mains (UARL's Nc). Without a sidecar value: the number
        of junctions with a positive base demand, a proxy that undercounts, because an .inp
        junction often aggregates several customers.
    private_pipe_km : float
        Length of private service pipe between property boundary and meter, km (UARL's
        Lp); 0 unless the sidecar file says.
    night_use_l_per_connection_h : float
        Legitimate night use, L per connection per hour (default 1.7, see
        :data:`DEFAULT_NIGHT_USE_L_PER_CONNECTION_H`).
    unmetered_links : tuple of str
        Links without a flow meter joining the zone to a reservoir. While there is one, the
        zone's inflow is not measured.
    """

    name: str
    label: str
    junctions: tuple[str, ...]
    tanks: tuple[str, ...]
    inlets: tuple[Inlet, ...]
    pipes: tuple[str, ...]
    mains_length_km: float
    service_connections: int
    private_pipe_km: float
    night_use_l_per_connection_h: float
    unmetered_links: tuple[str, ...] = ()

    @property
    def metered(self) -> bool:
        """True when a water balance is possible: some inlet, and no unmetered way in."""
        return bool(self.inlets) and not self.unmetered_links


@dataclass(frozen=True)
class NetworkAreas:
    """The zones of a network and the price of the water it loses.

    Iterating yields the :class:`Area` objects, largest (most junctions) first.

    Attributes
    ----------
    areas : tuple of Area
        The zones, in decreasing number of junctions.
    currency : str
        Currency code of ``water_price_per_m3`` (default ``"EUR"``).
    water_price_per_m3 : float
        What a lost m³ costs, ``currency`` per m³ (default 0.80, BattLeDIM's scoring value:
        see :data:`DEFAULT_WATER_PRICE_PER_M3`).
    utility_name : str
        The utility's name from the sidecar file, else the network file's stem.
    source : str
        ``"derived"``, or the path of the sidecar file applied.
    """

    areas: tuple[Area, ...]
    currency: str = DEFAULT_CURRENCY
    water_price_per_m3: float = DEFAULT_WATER_PRICE_PER_M3
    utility_name: str = ""
    source: str = "derived"

    def __iter__(self) -> Iterator[Area]:
        return iter(self.areas)

    def __len__(self) -> int:
        return len(self.areas)

    @cached_property
    def _area_by_node(self) -> dict[str, Area]:
        """Each junction and tank id mapped to its zone."""
        return {node: area for area in self.areas for node in (*area.junctions, *area.tanks)}

    def area_of(self, node_id: str) -> Area:
        """The zone holding a junction or tank; KeyError naming the node if it is in none."""
        try:
            return self._area_by_node[node_id]
        except KeyError:
            raise KeyError(
                f"node {node_id!r} is in no metering zone (reservoirs lie outside every zone; "
                "check the id)"
            ) from None


def derive_areas(
    wn: wntr.network.WaterNetworkModel, flow_meter_links: Sequence[str]
) -> NetworkAreas:
    """Cut the network at its flow meters and reservoirs: each part with junctions is a zone.

    Links count whatever their status (a closed valve can open); pumps and valves are cut
    only when metered. A metered link with both ends in one zone is internal and ignored.

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
        The model (lengths in m).
    flow_meter_links : sequence of str
        Ids of the links carrying a flow meter.

    Returns
    -------
    NetworkAreas
        Zones named ``"Z1"``, ``"Z2"``, ... in decreasing number of junctions, with the
        default figures (see :class:`Area`) and ``source="derived"``.

    Raises
    ------
    NetworkError
        A flow meter on a link the network does not have (the error names it).

    Examples
    --------
    >>> from twin.network import load
    >>> zones = derive_areas(load("Net1"), flow_meter_links=["9"])  # the pump from the lake
    >>> [(a.name, len(a.junctions), a.tanks, a.inlets, a.metered) for a in zones]
    [('Z1', 9, ('2',), (Inlet(link_id='9', sign=1),), True)]
    >>> round(zones.areas[0].mains_length_km, 1)
    19.4
    """
    metered = _checked_meters(wn, flow_meter_links)
    zones = _zone_nodes(wn, metered)
    zone_of = {node: index for index, nodes in enumerate(zones) for node in nodes}
    inlets: list[list[Inlet]] = [[] for _ in zones]
    unmetered: list[list[str]] = [[] for _ in zones]
    pipes: list[list[str]] = [[] for _ in zones]
    length_m = [0.0 for _ in zones]
    for name, link in wn.links():
        start, end = zone_of.get(link.start_node_name), zone_of.get(link.end_node_name)
        if start == end:
            if start is not None and link.link_type == "Pipe":
                pipes[start].append(name)
                length_m[start] += link.length
        elif name in metered:
            if end is not None:
                inlets[end].append(Inlet(name, +1))
            if start is not None:
                inlets[start].append(Inlet(name, -1))
        else:  # an unmetered link leaves a zone only towards a reservoir
            unmetered[start if start is not None else end].append(name)
    areas = tuple(
        Area(
            name=f"Z{index + 1}",
            label=f"Z{index + 1}",
            junctions=tuple(n for n in wn.junction_name_list if n in nodes),
            tanks=tuple(n for n in wn.tank_name_list if n in nodes),
            inlets=tuple(inlets[index]),
            pipes=tuple(pipes[index]),
            mains_length_km=length_m[index] / 1000.0,
            service_connections=_demand_junctions(wn, nodes),
            private_pipe_km=0.0,
            night_use_l_per_connection_h=DEFAULT_NIGHT_USE_L_PER_CONNECTION_H,
            unmetered_links=tuple(unmetered[index]),
        )
        for index, nodes in enumerate(zones)
    )
    return NetworkAreas(areas=areas, utility_name=Path(wn.name).stem if wn.name else "")


def _checked_meters(wn: wntr.network.WaterNetworkModel, links: Sequence[str]) -> set[str]:
    """The metered link ids, refusing a bare string and links the network lacks."""
    if isinstance(links, str):
        raise TypeError(
            f"flow_meter_links must be a sequence of link ids, not the string {links!r}"
        )
    known = set(wn.link_name_list)
    missing = [link for link in links if link not in known]
    if missing:
        raise NetworkError(
            f"flow meter(s) on link(s) that are not in the network {wn.name or 'model'}: "
            f"{', '.join(map(str, missing))}"
        )
    return set(links)


def _zone_nodes(wn: wntr.network.WaterNetworkModel, metered: set[str]) -> list[set[str]]:
    """Node sets of the zones, in decreasing number of junctions, ties by model order."""
    import networkx as nx  # imported on use: keeps `import twin.network` fast

    reservoirs = set(wn.reservoir_name_list)
    graph = nx.Graph()
    graph.add_nodes_from(n for n in wn.node_name_list if n not in reservoirs)
    # Built link by link, not from network_graph(): parallel links must not collapse,
    # an unmetered twin of a metered pipe still joins its two ends.
    graph.add_edges_from(
        (link.start_node_name, link.end_node_name)
        for name, link in wn.links()
        if name not in metered
        and link.start_node_name not in reservoirs
        and link.end_node_name not in reservoirs
    )
    order = {name: index for index, name in enumerate(wn.junction_name_list)}
    zones = [
        nodes for nodes in nx.connected_components(graph) if not order.keys().isdisjoint(nodes)
    ]
    zones.sort(
        key=lambda nodes: (-len(order.keys() & nodes), min(order[n] for n in nodes if n in order))
    )
    return zones


def _demand_junctions(wn: wntr.network.WaterNetworkModel, nodes: set[str]) -> int:
    """Junctions among ``nodes`` with a positive base demand (summed over categories)."""
    return sum(
        1
        for name, junction in wn.junctions()
        if name in nodes and sum(d.base_value for d in junction.demand_timeseries_list) > 0
    )


def read_sidecar(
    path: str | Path, derived: NetworkAreas, wn: wntr.network.WaterNetworkModel
) -> NetworkAreas:
    """Apply a sidecar file's names, figures and price to derived zones.

    Zones the file names get its name and values; the others keep their default names and
    figures. Utility values the file leaves out keep those of ``derived``.

    Parameters
    ----------
    path : str or Path
        The sidecar ``NAME.toml`` file (schema in :mod:`twin.network.sidecar`).
    derived : NetworkAreas
        The zones of ``wn``, from :func:`derive_areas`.
    wn : wntr.network.WaterNetworkModel
        The model the zones were derived from.

    Returns
    -------
    NetworkAreas
        The zones in the same order, with ``source`` the file's path.

    Raises
    ------
    SidecarError
        An unknown key, a wrong type, a ``contains`` node that is not in the network or in
        no zone, two entries for one zone, or a name used twice; the message names the
        file, the key path, the value and what was expected.

    Examples
    --------
    >>> from twin.network import load, networks_dir
    >>> wn = load("L-TOWN")
    >>> derived = derive_areas(wn, ["p227", "p235", "PUMP_1"])
    >>> zones = read_sidecar(networks_dir() / "L-TOWN.toml", derived, wn)
    >>> [(a.name, a.label) for a in zones], zones.water_price_per_m3
    ([('AB', 'Areas A and B'), ('C', 'Area C')], 0.8)
    """
    settings = read_sidecar_settings(path)
    named: dict[int, AreaSettings] = {}
    for entry in settings.areas:
        index = _zone_index(settings.path, entry, derived, wn)
        if index in named:
            raise SidecarError(
                settings.path,
                f"areas.{entry.name}.contains",
                f"names the same zone as areas.{named[index].name} "
                f"(node {named[index].contains!r}); expected one entry per zone",
                entry.contains,
            )
        named[index] = entry
    areas = tuple(
        _applied(area, named[index]) if index in named else area
        for index, area in enumerate(derived.areas)
    )
    _check_unique_names(settings.path, areas, named)
    return NetworkAreas(
        areas=areas,
        currency=settings.currency or derived.currency,
        water_price_per_m3=(
            derived.water_price_per_m3
            if settings.water_price_per_m3 is None
            else settings.water_price_per_m3
        ),
        utility_name=settings.utility_name or derived.utility_name,
        source=str(settings.path),
    )


def _zone_index(
    path: Path, entry: AreaSettings, derived: NetworkAreas, wn: wntr.network.WaterNetworkModel
) -> int:
    """Position in ``derived.areas`` of the zone holding ``entry.contains``."""
    key = f"areas.{entry.name}.contains"
    if entry.contains not in wn.node_name_list:
        raise SidecarError(
            path, key, "expected the id of a junction or tank of the network", entry.contains
        )
    for index, area in enumerate(derived.areas):
        if entry.contains in area.junctions or entry.contains in area.tanks:
            return index
    raise SidecarError(
        path,
        key,
        "this node is in no zone (a reservoir, or a part without junctions); expected a "
        "junction or tank inside the zone",
        entry.contains,
    )


def _applied(area: Area, entry: AreaSettings) -> Area:
    """The zone with the sidecar entry's name and the values it gives."""
    return dataclasses.replace(
        area,
        name=entry.name,
        label=entry.label or entry.name,
        service_connections=_given(entry.service_connections, area.service_connections),
        private_pipe_km=_given(entry.private_pipe_km, area.private_pipe_km),
        night_use_l_per_connection_h=_given(
            entry.night_use_l_per_connection_h, area.night_use_l_per_connection_h
        ),
    )


_T = TypeVar("_T")


def _given(value: _T | None, default: _T) -> _T:
    """The file's value, or the default where it gives none (0 is a value)."""
    return default if value is None else value


def _check_unique_names(
    path: Path, areas: tuple[Area, ...], named: dict[int, AreaSettings]
) -> None:
    """Refuse a sidecar name that is also the default name of a zone it does not name."""
    for index, area in enumerate(areas):
        if index in named:
            continue
        for entry in named.values():
            if entry.name == area.name:
                raise SidecarError(
                    path,
                    f"areas.{entry.name}",
                    f"is also the default name of another zone (the one holding "
                    f"{(area.junctions or area.tanks)[0]}); expected a name no other zone has",
                )


def sidecar_path(inp_path: str | Path) -> Path:
    """Where a network's sidecar file lives: ``NAME.toml`` beside ``NAME.inp``."""
    inp_path = Path(inp_path)
    return inp_path.with_name(f"{inp_path.stem}.toml")


def network_areas(
    inp_path: str | Path, wn: wntr.network.WaterNetworkModel, flow_meter_links: Sequence[str]
) -> NetworkAreas:
    """The zones of a network, with its sidecar file applied when there is one.

    Parameters
    ----------
    inp_path : str or Path
        The network's .inp file; its sidecar is ``NAME.toml`` in the same folder.
    wn : wntr.network.WaterNetworkModel
        The model read from ``inp_path``.
    flow_meter_links : sequence of str
        Ids of the links carrying a flow meter.

    Returns
    -------
    NetworkAreas
        As :func:`derive_areas`, then :func:`read_sidecar` if ``NAME.toml`` exists.

    Examples
    --------
    >>> from twin.network import load, networks_dir
    >>> from twin.network.sensors import sidecar_layout
    >>> inp = networks_dir() / "L-TOWN.inp"
    >>> zones = network_areas(inp, load(inp), sidecar_layout(inp).flow)
    >>> [(a.name, len(a.junctions), [(i.link_id, i.sign) for i in a.inlets]) for a in zones]
    [('AB', 690, [('p227', 1), ('p235', 1), ('PUMP_1', -1)]), ('C', 92, [('PUMP_1', 1)])]
    >>> zones.area_of("T1").name
    'C'
    """
    derived = derive_areas(wn, flow_meter_links)
    sidecar = sidecar_path(inp_path)
    return read_sidecar(sidecar, derived, wn) if sidecar.is_file() else derived
