"""Readings: the one thing the twin ever sees of the network, a vector batch per channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SimTime = int
"""Integer seconds since the run's origin timestamp."""


@dataclass(frozen=True)
class Readings:
    """A batch of readings delivered by one channel at one moment.

    Vectors, not objects: one batch carries many sensors and/or many sample times, so that a
    year of 5-minute data for 119 instruments never becomes millions of Python objects.

    Attributes
    ----------
    channel : str
        Name of the communication channel that delivered the batch (``"scada"``, ``"ami"``,
        ``"replay"``...).
    sensor_id : ndarray of str, shape (n,)
        Sensor id of each reading (e.g. ``"n54"`` for a pressure logger, ``"p227"`` for a flow
        meter).
    value : ndarray of float, shape (n,)
        Value as the instrument reported it, in ``unit``. NaN is a reading that arrived empty.
    unit : ndarray of str, shape (n,)
        Unit of each value as reported (``"m"``, ``"m3/h"``, ``"L/h"``...).
    event_time : ndarray of int64, shape (n,)
        When the value was measured, seconds since the run's origin (the instrument's clock).
    arrival_time : ndarray of int64, shape (n,)
        When the twin received it, seconds since the run's origin.
    """

    channel: str
    sensor_id: npt.NDArray[np.str_]
    value: npt.NDArray[np.float64]
    unit: npt.NDArray[np.str_]
    event_time: npt.NDArray[np.int64]
    arrival_time: npt.NDArray[np.int64]

    def __post_init__(self) -> None:
        n = len(self.sensor_id)
        for name in ("value", "unit", "event_time", "arrival_time"):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"Readings.{name} has {len(getattr(self, name))} entries, "
                    f"sensor_id has {n}: every field must have one entry per reading"
                )

    def __len__(self) -> int:
        return len(self.sensor_id)

    @classmethod
    def concat(
        cls, parts: Sequence[Readings], channel: str, arrival: SimTime | None = None
    ) -> Readings:
        """Join batches under one channel name, optionally all arriving at ``arrival`` (s)."""
        if not parts:
            empty = np.array([], dtype=np.int64)
            return cls(channel, np.array([], str), np.array([]), np.array([], str), empty, empty)
        event_time = np.concatenate([p.event_time for p in parts])
        if arrival is None:
            arrival_time = np.concatenate([p.arrival_time for p in parts])
        else:
            arrival_time = np.full(len(event_time), arrival, dtype=np.int64)
        return cls(
            channel,
            np.concatenate([p.sensor_id for p in parts]),
            np.concatenate([p.value for p in parts]),
            np.concatenate([p.unit for p in parts]),
            event_time,
            arrival_time,
        )

    def take(self, rows: npt.ArrayLike) -> Readings:
        """The readings at ``rows`` (indices or a boolean mask), same channel."""
        return Readings(
            self.channel,
            self.sensor_id[rows],
            self.value[rows],
            self.unit[rows],
            self.event_time[rows],
            self.arrival_time[rows],
        )
