"""Feeds: simpy processes and file readers that turn plant state or recorded files into Readings."""

from twin.feeds.channels import Inbox, Sink, ami_head_end, scada_poller
from twin.feeds.clock import end_of_instant, make_environment
from twin.feeds.faults import (
    Bias,
    Drift,
    Dropout,
    FaultRates,
    SensorFault,
    Spikes,
    Stuck,
    draw_faults,
)
from twin.feeds.instruments import (
    InstrumentBank,
    amr_meters,
    flow_meters,
    pressure_loggers,
    tank_levels,
)
from twin.feeds.readings import Readings, SimTime

__all__ = [
    "Bias",
    "Drift",
    "Dropout",
    "FaultRates",
    "Inbox",
    "InstrumentBank",
    "Readings",
    "SensorFault",
    "SimTime",
    "Sink",
    "Spikes",
    "Stuck",
    "ami_head_end",
    "amr_meters",
    "draw_faults",
    "end_of_instant",
    "flow_meters",
    "make_environment",
    "pressure_loggers",
    "scada_poller",
    "tank_levels",
]
