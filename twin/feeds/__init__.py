"""Feeds: simpy processes and file readers that turn plant state or recorded files into Readings."""

from twin.feeds.readings import Readings

__all__ = ["Readings"]
