"""The readings board: what has arrived, on the run's time grid, per instrument, in SI."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from twin.feeds.readings import Readings
from twin.network.sensors import SensorLayout
from twin.store.units import UNITS

__all__ = ["KINDS", "ReadingBoard"]

KINDS = ("pressure", "flow", "tank_level", "amr_demand")
"""Instrument kinds, in the order of the board's columns."""

_SI_UNIT = {"pressure": "m", "flow": "m3/s", "tank_level": "m", "amr_demand": "m3/s"}


class ReadingBoard:
    """The last ``horizon_steps`` grid slots of every instrument of a layout, as they arrive.

    A reading lands in the slot nearest its event time, converted to SI; a later reading of
    the same slot replaces it (a re-sent value corrects). The twin reads slots; it never waits
    for one: a slot nobody filled is NaN.

    Parameters
    ----------
    layout : SensorLayout
        The instruments; a reading is placed by sensor id and the quantity of its unit (at
        L-Town ``n1`` reports pressure in m and consumption in L/h).
    step_s : int
        Grid step, s.
    horizon_steps : int
        Slots kept (a ring): the longest look back the twin needs.

    Examples
    --------
    >>> board = ReadingBoard(SensorLayout(pressure=("n1",), amr_demand=("n1",)), 300, 10)
    >>> board.receive(Readings("scada", np.array(["n1", "n1"]), np.array([42.0, 360.0]),
    ...     np.array(["m", "L/h"]), np.array([300, 300]), np.array([301, 301])))
    >>> board.slot(300, "pressure").tolist(), board.slot(300, "amr_demand") * 3.6e6  # L/h
    ([42.0], array([360.]))
    """

    def __init__(self, layout: SensorLayout, step_s: int, horizon_steps: int) -> None:
        self.layout = layout
        self.step_s = int(step_s)
        self.horizon = int(horizon_steps)
        self.columns: dict[str, slice] = {}
        self._column_of: dict[tuple[str, str], int] = {}
        start = 0
        for kind in KINDS:
            ids = getattr(layout, kind)
            self.columns[kind] = slice(start, start + len(ids))
            for offset, sensor in enumerate(ids):
                self._column_of.setdefault((sensor, _SI_UNIT[kind]), start + offset)
            start += len(ids)
        self.values = np.full((self.horizon, start), np.nan)
        self.slot_of_row = np.full(self.horizon, np.iinfo(np.int64).min, dtype=np.int64)
        self.ignored: dict[str, int] = {}
        self.newest_slot = -1

    def receive(self, readings: Readings) -> None:
        """Place a batch; readings of instruments not in the layout are counted, not kept."""
        if not len(readings):
            return
        columns = np.empty(len(readings), dtype=np.intp)
        factors = np.empty(len(readings))
        # Inlined for performance: one dict lookup per (sensor, unit) pair of the batch.
        pairs = np.char.add(
            np.char.add(readings.sensor_id.astype(str), "|"), readings.unit.astype(str)
        )
        unique, inverse = np.unique(pairs, return_inverse=True)
        for u, pair in enumerate(unique.tolist()):
            sensor, unit = pair.split("|", 1)
            rule = UNITS.get(unit)
            column = -1 if rule is None else self._column_of.get((sensor, rule.si_unit), -1)
            if column < 0:
                self.ignored[pair] = self.ignored.get(pair, 0) + int((inverse == u).sum())
            mask = inverse == u
            columns[mask] = column
            factors[mask] = 1.0 if rule is None else rule.factor
        keep = columns >= 0
        slots = (readings.event_time[keep] + self.step_s // 2) // self.step_s
        self._place(slots, columns[keep], readings.value[keep] * factors[keep])

    def _place(
        self, slots: npt.NDArray[np.int64], columns: npt.NDArray[np.intp], values: np.ndarray
    ) -> None:
        if not len(slots):
            return
        low = int(slots.max()) - self.horizon + 1
        fresh = slots >= low
        slots, columns, values = slots[fresh], columns[fresh], values[fresh]
        rows = slots % self.horizon
        for slot in np.unique(slots).tolist():
            row = slot % self.horizon
            if self.slot_of_row[row] != slot:
                if self.slot_of_row[row] > slot:
                    continue  # older than what the ring keeps
                self.values[row] = np.nan
                self.slot_of_row[row] = slot
        live = self.slot_of_row[rows] == slots
        self.values[rows[live], columns[live]] = values[live]
        self.newest_slot = max(self.newest_slot, int(slots.max()))

    def slot(self, time_s: int, kind: str | None = None) -> npt.NDArray[np.float64]:
        """The values of the slot at ``time_s`` (all columns, or one kind's), SI; NaN: none."""
        slot = (int(time_s) + self.step_s // 2) // self.step_s
        row = slot % self.horizon
        columns = slice(None) if kind is None else self.columns[kind]
        if self.slot_of_row[row] != slot:
            return np.full(self.values[0, columns].shape, np.nan)
        return self.values[row, columns].copy()
