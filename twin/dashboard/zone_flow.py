"""Zone consumption for the dashboard: measured from the stored meters, expected from gold.

The measured consumption is rebuilt from silver exactly as the twin built it
(:class:`twin.model.zones.ZoneBalance`: inlets signed, minus tank storage). The twin's
expectation is shown where the run stored it: gold ``residuals`` rows whose ``sensor_id`` is
a zone name, ``unit`` ``m3/s`` and ``model`` ``zone consumption``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.dashboard.reader import RunReader
from twin.model.zones import ZoneBalance
from twin.units import M3S_TO_M3H

__all__ = ["ZONE_MODEL", "zone_consumption"]

ZONE_MODEL = "zone consumption"
"""``residuals.model`` of the rows holding a zone's measured and expected consumption."""


def zone_consumption(reader: RunReader) -> pd.DataFrame:
    """Measured (and, where stored, expected) consumption of each metering zone, m³/h.

    Returns
    -------
    pandas.DataFrame
        Index: timestamps of the silver grid (name ``time``); columns
        ``"<zone> measured [m3/h]"`` and, when gold holds it, ``"<zone> expected [m3/h]"``
        (the layout :func:`twin.report.figures.inflow_figure` draws). Empty when the run has
        no flow meters.
    """
    return reader.cached("zone_consumption", lambda: _build(reader))


def _build(reader: RunReader) -> pd.DataFrame:
    summary, sensors = reader.summary(), reader.sensors()
    flow_ids = list(sensors.query("kind == 'flow'")["sensor_id"])
    level_ids = list(sensors.query("kind == 'tank_level'")["sensor_id"])
    if not flow_ids:
        return pd.DataFrame()
    view = reader.network()
    areas = view.areas(tuple(flow_ids))
    flows = reader.series(flow_ids, "m3/s")
    levels = reader.series(level_ids, "m").reindex(flows.index)
    tank_area = {t: np.pi * view.model.get_node(t).diameter ** 2 / 4 for t in level_ids}
    balance = ZoneBalance(
        areas, list(flows.columns), list(levels.columns), tank_area, summary.step_s
    )
    flow_values, level_values = flows.to_numpy(), levels.to_numpy()
    measured = np.array(
        [balance.update(flow_values[i], level_values[i]) for i in range(len(flows))]
    ).reshape(len(flows), len(balance.names))
    index = summary.times(flows.index)
    frame = pd.DataFrame(
        measured * M3S_TO_M3H,
        index=index,
        columns=[f"{zone} measured [m3/h]" for zone in balance.names],
    )
    expected = _expected(reader, balance.names, index)
    return frame.join(expected) if not expected.empty else frame


def _expected(reader: RunReader, zones: list[str], index: pd.DatetimeIndex) -> pd.DataFrame:
    """The twin's expected consumption per zone, m³/h, if the run stored it."""
    rows = reader.access.frame(
        "SELECT sensor_id, time, expected FROM residuals WHERE model = ? AND unit = 'm3/s'",
        [ZONE_MODEL],
    )
    if rows.empty:
        return pd.DataFrame(index=index)
    wide = rows.pivot_table(index="time", columns="sensor_id", values="expected")
    wide.index = reader.summary().times(wide.index)
    wide = wide.reindex(columns=[z for z in zones if z in wide.columns]) * M3S_TO_M3H
    wide.columns = [f"{zone} expected [m3/h]" for zone in wide.columns]
    return wide.reindex(index)
