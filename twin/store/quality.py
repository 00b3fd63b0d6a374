"""Data quality of a run's series, from silver: coverage, gaps and flagged values per sensor."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from twin.store.run_store import RunStore

__all__ = ["FAULT_FLAGS", "quality_summary"]

FAULT_FLAGS = ("out_of_range", "outlier", "stuck")
"""Silver flags counted as flagged values (a duplicate is collapsed, not a fault)."""


def quality_summary(store: RunStore) -> pd.DataFrame:
    """One row per series (sensor id and quantity) with its data quality.

    Coverage is measured over the whole run's span (first to last slot of any series), so a
    sensor that started late or stopped early shows it.

    Returns
    -------
    pandas.DataFrame
        Rows ordered by SI unit then sensor id (n2 before n10); columns:

        - ``sensor_id``: str
        - ``unit``: unit the sensor reports in (m, m3/h, L/h, ...)
        - ``readings``: bronze readings received (duplicates included)
        - ``slots``: grid slots of the run's span
        - ``usable``: slots with a value (flagged ones included)
        - ``coverage_pct``: usable / slots, in %
        - ``gaps``: stretches of consecutive slots without a value
        - ``gap_slots``: slots without a value inside the series' own span
        - ``flagged``: slots flagged out_of_range, outlier or stuck
        - ``duplicates``: slots where several readings were collapsed
        - ``first_time``, ``last_time``: first and last slot with a value, as timestamps
    """
    step = store.info.step_s
    faults = ", ".join(f"'{flag}'" for flag in FAULT_FLAGS)
    table = store.con.execute(
        f"""WITH span AS (SELECT (max(time) - min(time)) // {step} + 1 AS slots FROM silver),
            per_series AS (
                SELECT sensor_id, unit AS si_unit, sum(received) AS readings,
                       count(*) FILTER (WHERE flag <> 'gap') AS usable,
                       count(*) FILTER (WHERE flag = 'gap') AS gap_slots,
                       count(*) FILTER (WHERE flag IN ({faults})) AS flagged,
                       count(*) FILTER (WHERE flag = 'duplicate') AS duplicates,
                       min(time) FILTER (WHERE flag <> 'gap') AS first_s,
                       max(time) FILTER (WHERE flag <> 'gap') AS last_s
                FROM silver GROUP BY sensor_id, unit),
            holes AS (SELECT sensor_id, unit AS si_unit, time FROM silver WHERE flag = 'gap'),
            gap_starts AS (
                SELECT h.sensor_id, h.si_unit, count(*) AS gaps FROM holes h
                ANTI JOIN holes p ON p.sensor_id = h.sensor_id AND p.si_unit = h.si_unit
                                 AND p.time = h.time - {step}
                GROUP BY ALL)
            SELECT p.sensor_id, s.unit, p.readings::BIGINT AS readings, span.slots,
                   p.usable, 100.0 * p.usable / span.slots AS coverage_pct,
                   coalesce(g.gaps, 0) AS gaps, p.gap_slots, p.flagged, p.duplicates,
                   p.first_s, p.last_s
            FROM per_series p CROSS JOIN span
            JOIN sensors s USING (sensor_id, si_unit)
            LEFT JOIN gap_starts g USING (sensor_id, si_unit)
            ORDER BY p.si_unit, regexp_extract(p.sensor_id, '^\\D*'),
                     try_cast(regexp_extract(p.sensor_id, '\\d+') AS BIGINT), p.sensor_id"""
    ).df()
    origin = pd.Timestamp(store.info.origin)
    for name in ("first", "last"):
        seconds = table.pop(f"{name}_s")
        table[f"{name}_time"] = [
            pd.NaT if pd.isna(s) else origin + timedelta(seconds=int(s)) for s in seconds
        ]
    return table
