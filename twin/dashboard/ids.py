"""Every component id of the dashboard, in one place (the browser tests use them too)."""

from __future__ import annotations

__all__ = [
    "ACK_BUTTON",
    "BALANCE_FIGURE",
    "BALANCE_TABLE",
    "CREW_BUTTON",
    "ELEMENT_SERIES",
    "EVENT_RESIDUALS",
    "EVENT_STATE",
    "EVENT_TABLE",
    "FEED_HEALTH",
    "FEEDS_COVERAGE",
    "FEEDS_LATE_BATCHES",
    "FEEDS_TABLE",
    "LIVE_INTERVAL",
    "MAP_COLOUR",
    "MAP_DRAWN",
    "MAP_EVENT",
    "MNF_FIGURE",
    "NETWORK_MAP",
    "NRW_FIGURE",
    "OPEN_EVENTS",
    "OVERVIEW_KPIS",
    "PAGE",
    "PLACEMENT_BUDGET",
    "PLACEMENT_BUTTON",
    "PLACEMENT_PROGRESS",
    "PLACEMENT_STATUS",
    "REPAIRED_BUTTON",
    "REPLAY_POSITION",
    "REPLAY_SLIDER",
    "REPLAY_STAMP",
    "SEARCH_AREA_TRACE",
    "SELECTED_EVENT",
    "URL",
    "WHATIF_LAYOUT",
    "WHATIF_MAP_A",
    "WHATIF_MAP_B",
    "WHATIF_SCORES",
]

# app frame
URL = "url"
PAGE = "page"
SELECTED_EVENT = "selected-event"  # dcc.Store: the event chosen on the leaks page
REPLAY_POSITION = "replay-position"  # dcc.Store: seconds since the run's origin
LIVE_INTERVAL = "live-interval"

# overview
REPLAY_SLIDER = "replay-slider"
REPLAY_STAMP = "replay-stamp"  # the replay position as a timestamp
OVERVIEW_KPIS = "overview-kpis"
OPEN_EVENTS = "open-events"
FEED_HEALTH = "feed-health"

# network map (map page and leaks page)
NETWORK_MAP = "network-map"
MAP_COLOUR = "map-colour"
MAP_DRAWN = "map-drawn"  # dcc.Store: the map holds a whole figure (patches can apply)
MAP_EVENT = "map-event"  # dcc.Store: the event whose overlay the map shows
ELEMENT_SERIES = "element-series"
SEARCH_AREA_TRACE = "search-area"
"""Name of the map trace outlining the selected event's search area (not a component id)."""

# leaks
EVENT_TABLE = "event-table"
EVENT_STATE = "event-state"
EVENT_RESIDUALS = "event-residuals"
ACK_BUTTON = "ack-button"
CREW_BUTTON = "crew-button"
REPAIRED_BUTTON = "repaired-button"

# water balance
NRW_FIGURE = "nrw-figure"
BALANCE_TABLE = "balance-table"
BALANCE_FIGURE = "balance-figure"
MNF_FIGURE = "mnf-figure"

# sensors and feeds
FEEDS_TABLE = "feeds-table"
FEEDS_COVERAGE = "feeds-coverage"
FEEDS_LATE_BATCHES = "feeds-late-batches"

# what-if
WHATIF_LAYOUT = "whatif-layout"
WHATIF_MAP_A = "whatif-map-a"
WHATIF_MAP_B = "whatif-map-b"
WHATIF_SCORES = "whatif-scores"
PLACEMENT_BUDGET = "placement-budget"
PLACEMENT_BUTTON = "placement-button"
PLACEMENT_STATUS = "placement-status"
PLACEMENT_PROGRESS = "placement-progress"
