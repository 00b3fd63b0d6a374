"""The dashboard's pages, each a module with its path, name, layout and callbacks."""

from twin.dashboard.pages import balance, leaks, network_map, overview, sensors, whatif

PAGES = (overview, network_map, leaks, balance, sensors, whatif)
"""The pages in menu order."""

__all__ = ["PAGES"]
