"""The twin's run loop: readings board, twin stepped on the simpy clock, learning, replay."""

from twin.loop.board import ReadingBoard
from twin.loop.replay_run import ReplayOutcome, replay_twin
from twin.loop.twin_run import Trace, TwinRun

__all__ = ["ReadingBoard", "ReplayOutcome", "Trace", "TwinRun", "replay_twin"]
