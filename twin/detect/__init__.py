"""Leak detection on numbers only: hour-of-week baselines, CUSUM, night flows, leak events."""

from twin.detect.baseline import HourOfWeekBaseline, hour_of_week, week_offset_s
from twin.detect.cusum import Cusum, average_run_length
from twin.detect.events import EVENT_COLUMNS, EventBook, EventState, LeakEvent
from twin.detect.night_flow import NightFlowDetector, nightly_minimum

__all__ = [
    "EVENT_COLUMNS",
    "Cusum",
    "EventBook",
    "EventState",
    "HourOfWeekBaseline",
    "LeakEvent",
    "NightFlowDetector",
    "average_run_length",
    "hour_of_week",
    "nightly_minimum",
    "week_offset_s",
]
