"""A batch of readings made ready for bronze: an Arrow table and a key naming its content.

The key is a SHA-256 of the batch's content (channel, sensor ids, values, units, event and
arrival times, in order), so feeding the same batch or file twice is recognised and stored
once. Sensor ids and units are dictionary-encoded first: a year of one file is a few long
runs of one id, so the store never turns millions of strings into Python objects.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from twin.feeds.readings import Readings

__all__ = ["EncodedBatch", "encode_batch"]


@dataclass(frozen=True)
class EncodedBatch:
    """A batch of readings as bronze stores it.

    Attributes
    ----------
    key : str
        Hex SHA-256 of the batch content.
    channel : str
        The channel that delivered the batch.
    table : pyarrow.Table
        Columns ``channel, sensor_id, value, unit, event_time, arrival_time`` (ids and units
        dictionary-encoded), one row per reading in the batch's order.
    units : tuple of str
        The distinct units reported in the batch.
    """

    key: str
    channel: str
    table: pa.Table
    units: tuple[str, ...]

    def __len__(self) -> int:
        return self.table.num_rows


def encode_batch(readings: Readings) -> EncodedBatch:
    """Encode a batch for bronze and compute its content key.

    Parameters
    ----------
    readings : Readings
        Values in their reported units; times in seconds since the run's origin.
    """
    sensor_codes, sensor_names = _dictionary(np.asarray(readings.sensor_id))
    unit_codes, unit_names = _dictionary(np.asarray(readings.unit))
    value = np.ascontiguousarray(readings.value, dtype=np.float64)
    # One NaN bit pattern, so that equal content gives an equal key.
    value = np.where(np.isnan(value), np.nan, value)
    event_time = np.ascontiguousarray(readings.event_time, dtype=np.int64)
    arrival_time = np.ascontiguousarray(readings.arrival_time, dtype=np.int64)

    digest = hashlib.sha256()
    for part in (
        readings.channel,
        "\x1f".join(sensor_names),
        sensor_codes,
        "\x1f".join(unit_names),
        unit_codes,
        value,
        event_time,
        arrival_time,
    ):
        data = part.encode() if isinstance(part, str) else memoryview(part).cast("B")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)

    n = len(value)
    table = pa.table(
        {
            "channel": pa.DictionaryArray.from_arrays(
                np.zeros(n, np.int32), pa.array([readings.channel])
            ),
            "sensor_id": pa.DictionaryArray.from_arrays(sensor_codes, pa.array(sensor_names)),
            "value": value,
            "unit": pa.DictionaryArray.from_arrays(unit_codes, pa.array(unit_names)),
            "event_time": event_time,
            "arrival_time": arrival_time,
        }
    )
    return EncodedBatch(digest.hexdigest(), readings.channel, table, tuple(unit_names))


def _dictionary(values: npt.NDArray[np.str_]) -> tuple[npt.NDArray[np.int32], list[str]]:
    """Codes into a sorted list of distinct strings.

    Inlined for performance: codes are found per run of equal neighbours, so a sensor-major
    batch of millions of readings costs one vectorised comparison, not a hash of every string.
    """
    if len(values) == 0:
        return np.empty(0, np.int32), []
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    names, run_codes = np.unique(values[starts], return_inverse=True)
    lengths = np.diff(np.append(starts, len(values)))
    codes = np.repeat(run_codes.astype(np.int32), lengths)
    return codes, [str(name) for name in names]
