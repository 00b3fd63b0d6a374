"""Water network models: load by name or path with clear errors, check supply, list catalogue."""

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
from twin.network.topology import check_supply, network_graph, unsupplied_junctions

__all__ = [
    "NETWORKS_ENV",
    "InpSummary",
    "NetworkError",
    "NetworkFileError",
    "NetworkTopologyError",
    "UnknownNetworkError",
    "available_networks",
    "catalogue",
    "check_supply",
    "load",
    "network_graph",
    "networks_dir",
    "quiet_wntr",
    "resolve_network",
    "scan_inp",
    "unsupplied_junctions",
]
