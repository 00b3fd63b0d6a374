"""Sensors and feeds: coverage, gaps, stuck and drifting sensors, late batches (AMR above all)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from dash import Dash, dcc, html

from twin.dashboard import ids
from twin.dashboard.components import PageContext, data_table, reader_note, records
from twin.dashboard.figures.panels import coverage_figure
from twin.dashboard.reader import RunReader

__all__ = [
    "DRIFT_M_PER_DAY",
    "LATE_S",
    "NAME",
    "PATH",
    "layout",
    "register",
    "residual_drift",
    "sensor_rows",
]

PATH = "/sensors"
NAME = "Sensors and feeds"

DRIFT_M_PER_DAY = 0.05
"""A pressure residual trending faster than this (m/day) marks its logger as drifting."""

LATE_S = 3600
"""A batch whose last reading arrived more than this after it was taken is late, s."""

_QUALITY_COLUMNS = (
    ("sensor_id", "Sensor"),
    ("kind", "Kind"),
    ("unit", "Unit"),
    ("coverage_pct", "Coverage [%]"),
    ("gaps", "Gaps"),
    ("gap_slots", "Missing slots"),
    ("flagged", "Flagged values"),
    ("drift_m_per_day", "Residual trend [m/day]"),
    ("status", "Status"),
    ("first_time", "First reading"),
    ("last_time", "Last reading"),
)
_BATCH_COLUMNS = (
    ("batch", "Batch"),
    ("channel", "Channel"),
    ("source", "Source"),
    ("units", "Units"),
    ("readings", "Readings"),
    ("last_reading", "Last reading taken"),
    ("delay_h", "Arrived after [h]"),
)


def residual_drift(residuals: pd.DataFrame) -> pd.Series:
    """Trend of each sensor's residual over the run, m/day (least-squares slope).

    Parameters
    ----------
    residuals : pandas.DataFrame
        Gold residual rows: ``sensor_id``, ``time`` (s), ``residual``.

    Examples
    --------
    >>> rows = pd.DataFrame({"sensor_id": ["n1"] * 3, "time": [0, 86400, 172800],
    ...                      "residual": [0.0, 0.1, 0.2]})
    >>> residual_drift(rows).round(3).to_dict()
    {'n1': 0.1}
    """
    slopes = {}
    for sensor, rows in residuals.dropna(subset=["residual"]).groupby("sensor_id"):
        if rows["time"].nunique() >= 3:
            slope = np.polyfit(rows["time"].to_numpy(float) / 86_400, rows["residual"], 1)[0]
            slopes[sensor] = float(slope)
    return pd.Series(slopes, name="drift_m_per_day", dtype=float)


def sensor_rows(reader: RunReader) -> pd.DataFrame:
    """The data-quality table with residual trends and a one-word status per series."""
    quality = reader.quality().copy()
    residuals = reader.residuals()
    drift = residual_drift(residuals[residuals["unit"] == "m"])
    pressure = quality["kind"] == "pressure"
    quality["drift_m_per_day"] = np.where(
        pressure, quality["sensor_id"].map(drift).round(3), np.nan
    )
    status = np.where(quality["coverage_pct"] < 90, "gaps", "ok").astype(object)
    status[quality["flagged"].to_numpy() > 0] = "flagged"
    drifting = pressure & (quality["drift_m_per_day"].abs() > DRIFT_M_PER_DAY)
    status[drifting.to_numpy()] = "drifting"
    quality["status"] = status
    quality["coverage_pct"] = quality["coverage_pct"].round(2)
    return quality


def late_batches(reader: RunReader) -> pd.DataFrame:
    """Batches whose readings arrived over :data:`LATE_S` after they were taken."""
    batches = reader.batches()
    late = batches[batches["delay_s"] > LATE_S].copy()
    origin = reader.summary().origin
    late["last_reading"] = origin + pd.to_timedelta(late["last_event_time"], unit="s")
    late["delay_h"] = (late["delay_s"] / 3600).round(2)
    return late


def layout(reader: RunReader, context: PageContext) -> html.Div:
    """The sensors-and-feeds page."""
    quality = sensor_rows(reader)
    late = late_batches(reader)
    batches = reader.batches()
    amr = batches["units"].fillna("").str.contains("L/h")
    problem = quality[quality["status"] != "ok"]
    needs = ", ".join(f"{n} {s}" for s, n in problem["status"].value_counts().items())
    return html.Div(
        [
            html.H2("Sensors and feeds"),
            html.P(reader_note(reader)),
            html.P(
                f"{len(quality)} series; {len(problem)} need a look "
                f"({needs or 'none'}). "
                f"{len(batches)} batches stored ({int(amr.sum())} with AMR readings), "
                f"{len(late)} arrived over {LATE_S // 3600} h late."
            ),
            dcc.Graph(
                id=ids.FEEDS_COVERAGE,
                figure=coverage_figure(quality),
                config={"displaylogo": False},
            ),
            html.H3("Data quality per series"),
            data_table(ids.FEEDS_TABLE, records(quality), _QUALITY_COLUMNS, page_size=20),
            html.H3("Late batches"),
            data_table(ids.FEEDS_LATE_BATCHES, records(late), _BATCH_COLUMNS)
            if len(late)
            else html.P(
                f"No batch arrived over {LATE_S // 3600} h after its last reading.",
                id=ids.FEEDS_LATE_BATCHES,
            ),
        ]
    )


def register(app: Dash, reader: RunReader) -> None:
    """The sensors page is drawn whole by its layout: no callbacks."""
