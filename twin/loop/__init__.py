"""The twin's run loop: readings board, twin stepped on the simpy clock, learning, replay, live."""

from twin.loop.board import ReadingBoard
from twin.loop.live import LiveOutcome, watch_live
from twin.loop.replay_run import ReplayOutcome, WatchingTwin, prepare_twin, replay_twin
from twin.loop.twin_run import Trace, TwinRun

__all__ = [
    "LiveOutcome",
    "ReadingBoard",
    "ReplayOutcome",
    "Trace",
    "TwinRun",
    "WatchingTwin",
    "prepare_twin",
    "replay_twin",
    "watch_live",
]
