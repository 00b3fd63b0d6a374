"""Water network models: load by name or path with clear errors, check supply, list catalogue."""

from twin.network.areas import (
    Area,
    Inlet,
    NetworkAreas,
    derive_areas,
    network_areas,
    read_sidecar,
)
from twin.network.bundled import NETWORKS_ENV, available_networks, networks_dir, resolve_network
from twin.network.catalogue import catalogue
from twin.network.errors import (
    NetworkError,
    NetworkFileError,
    NetworkTopologyError,
    UnknownNetworkError,
)
from twin.network.inp_scan import InpSummary, scan_inp
from twin.network.loader import load, quiet_wntr
from twin.network.sidecar import SidecarError
from twin.network.topology import check_supply, network_graph, unsupplied_junctions

__all__ = [
    "NETWORKS_ENV",
    "Area",
    "Inlet",
    "InpSummary",
    "NetworkAreas",
    "NetworkError",
    "NetworkFileError",
    "NetworkTopologyError",
    "SidecarError",
    "UnknownNetworkError",
    "available_networks",
    "catalogue",
    "check_supply",
    "derive_areas",
    "load",
    "network_areas",
    "network_graph",
    "networks_dir",
    "quiet_wntr",
    "read_sidecar",
    "resolve_network",
    "scan_inp",
    "unsupplied_junctions",
]
