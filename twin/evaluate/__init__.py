"""Scoring detections against the truth: BattLeDIM rules and the pipe distances they use."""

from twin.evaluate.battledim import (
    CREW_COST_EUR,
    TOLERANCE_M,
    WATER_PRICE_EUR_PER_M3,
    Score,
    score,
)
from twin.evaluate.distance import PipeDistances
from twin.evaluate.results import check_pipes, read_leaks_txt, write_leaks_txt
from twin.evaluate.truth import (
    LeakTruth,
    leak_volume_m3,
    leak_volumes_m3,
    read_leak_events_2018,
    read_truth,
)

__all__ = [
    "CREW_COST_EUR",
    "TOLERANCE_M",
    "WATER_PRICE_EUR_PER_M3",
    "LeakTruth",
    "PipeDistances",
    "Score",
    "check_pipes",
    "leak_volume_m3",
    "leak_volumes_m3",
    "read_leak_events_2018",
    "read_leaks_txt",
    "read_truth",
    "score",
    "write_leaks_txt",
]
