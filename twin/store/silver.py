"""Silver: bronze readings validated, in SI, on the run's time grid, each slot flagged.

A series (a sensor id and its quantity) gets one row per grid slot from its first to its last
reading. Nothing is filled in or dropped: a slot without a usable value is a ``gap`` row with
a NULL value, and a suspicious value is kept with its flag. Rules, applied in SQL, in order of
severity (a slot carries the most severe):

``gap``
    No reading in the slot, or only empty ones (NaN).
``out_of_range``
    Physically impossible for the reported unit (:data:`twin.store.units.UNITS`): below full
    vacuum, beyond any pipe's rating, a consumption meter running backwards.
``outlier``
    A spike: the value jumps away from *both* neighbours in the same direction by more than
    ``SPIKE_Z`` robust standard deviations of the series' slot-to-slot changes. Steps (a pump
    starting, a burst, a valve closing) move away from one neighbour only and are never
    flagged: they are what the twin must see. The robust deviation is 1.4826 times the
    median absolute deviation (MAD) of the changes, a scale that a minority of faults cannot
    inflate; it is floored at ``SCALE_FLOOR`` of the series' 1-99 % range, because a signal
    that sits still most of the time (a pump that is off, a level quantised to 1 cm) has a
    MAD near zero that would make every ordinary change look extreme.
``stuck``
    The same non-zero value for ``STUCK_S`` seconds or more (gaps included): an instrument
    or a SCADA link repeating its last value. Zero is exempt (pumps and meters rest at zero),
    and so are cumulative registers. In the real 2018 L-Town record the longest honest run
    is 6.9 h (tank level, quantised to 1 cm), so 12 h leaves a margin.
``duplicate``
    Several readings fell in the slot (a retransmission, overlapping files, a feed faster
    than the grid): a non-empty one nearest the slot time is kept, the last stored on ties
    (a re-sent value corrects an earlier one).
``ok``
    None of the above.

Late readings are simply placed in their slot: silver is rebuilt from all of bronze.
"""

from __future__ import annotations

import duckdb

from twin.store.units import UNITS, si_unit_sql, to_si_sql, within_limits_sql

__all__ = ["SCALE_FLOOR", "SPIKE_Z", "STUCK_S", "refresh"]

SPIKE_Z = 8.0
"""Spike threshold in robust standard deviations of slot-to-slot changes."""
SCALE_FLOOR = 0.01
"""Smallest robust deviation, as a fraction of the series' 1-99 % range."""
STUCK_S = 12 * 3600
"""A non-zero value repeated this long (seconds) is flagged stuck."""


def refresh(con: duckdb.DuckDBPyConnection, step_s: int) -> int:
    """Rebuild silver for the series that received readings since the last refresh.

    Runs in one transaction: silver is replaced whole for those series, or left as it was.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection to the run's store.
    step_s : int
        The run's grid step, seconds.

    Returns
    -------
    int
        Number of series rebuilt.
    """
    con.execute("BEGIN")
    try:
        count = _rebuild(con, int(step_s))
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return count


def _rebuild(con: duckdb.DuckDBPyConnection, step: int) -> int:
    """Recompute the pending series (inside the caller's transaction)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _todo AS
           SELECT DISTINCT sensor_id, si_unit AS unit FROM batch_series
           JOIN batches USING (batch) WHERE NOT in_silver"""
    )
    (pending,) = con.execute("SELECT count(*) FROM _todo").fetchall()[0]
    if pending:
        (everything,) = con.execute("SELECT count(*) = ? FROM sensors", [pending]).fetchall()[0]
        if everything:
            con.execute("DELETE FROM silver")
        else:
            con.execute(
                "DELETE FROM silver s USING _todo t "
                "WHERE s.sensor_id = t.sensor_id AND s.unit = t.unit"
            )
        readings = _readings_sql(step, everything)
        # Inlined for performance: most slots get one reading, so the neighbours are first
        # computed reading by reading; only if some slot got several is it redone per slot.
        con.execute(_sequence_sql(readings, "time, pick"))
        (repeats,) = con.execute("SELECT count(*) FROM _seq WHERE repeat").fetchall()[0]
        if repeats:
            con.execute(_slots_sql(readings))
            con.execute(_sequence_sql("_slot", "time"))
        for statement in (_scale_sql(), _stuck_sql(step), _insert_sql(step)):
            con.execute(statement)
    con.execute("UPDATE batches SET in_silver = true WHERE NOT in_silver")
    for table in ("_todo", "_slot", "_seq", "_scale", "_stuck"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return pending


def _readings_sql(step: int, everything: bool) -> str:
    """SQL: the pending series' bronze readings in SI, each with its slot and ``pick`` rank.

    ``pick`` orders the readings of a slot: non-empty first, then nearest to the slot time,
    then the last stored (a re-sent value corrects an earlier one).
    """
    half = step // 2
    # Floor division that also holds for times before the origin.
    slot = f"(b.event_time + {half} - (((b.event_time + {half}) % {step}) + {step}) % {step})"
    pending = (
        ""
        if everything
        else f"SEMI JOIN _todo t ON b.sensor_id = t.sensor_id AND t.unit = {si_unit_sql('b.unit')}"
    )
    return f"""(SELECT b.sensor_id, {si_unit_sql("b.unit")} AS unit, b.unit AS reported,
                       {to_si_sql("b.value", "b.unit")} AS value, 1 AS received, {slot} AS time,
                       (coalesce(isnan(b.value), true)::BIGINT << 61)
                           + abs(b.event_time - time) * 1099511627776 - b.reading AS pick
                FROM bronze b {pending})"""


def _slots_sql(readings: str) -> str:
    """SQL: one row per series and slot: the reading ranked first, and how many there were."""
    return f"""CREATE OR REPLACE TEMP TABLE _slot AS
               SELECT sensor_id, unit, any_value(reported) AS reported, time,
                      arg_min(value, pick) AS value, count(*)::INTEGER AS received, 0 AS pick
               FROM {readings} GROUP BY sensor_id, unit, time"""


def _sequence_sql(source: str, order: str) -> str:
    """SQL: each row's status and its neighbours along its series (changes, runs, next slot).

    ``repeat`` marks a row whose slot was already taken by the row before it.
    """
    return f"""CREATE OR REPLACE TEMP TABLE _seq AS
        SELECT sensor_id, unit, time, value, received, status, stuck_check,
               good - lag(good) OVER w AS d_prev,
               good - lead(good) OVER w AS d_next,
               good IS DISTINCT FROM lag(good) OVER w AS run_start,
               good IS DISTINCT FROM lead(good) OVER w AS run_last,
               lead(time) OVER w AS next_time,
               coalesce(lag(time) OVER w = time, false) AS repeat
        FROM (SELECT *, {_stuck_check_sql("reported")} AS stuck_check,
                     CASE WHEN isnan(value) THEN 'gap'
                          WHEN NOT {within_limits_sql("value", "reported")}
                          THEN 'out_of_range' END AS status,
                     CASE WHEN status IS NULL THEN value END AS good
              FROM {source})
        WINDOW w AS (PARTITION BY sensor_id, unit ORDER BY {order})"""


def _scale_sql() -> str:
    """SQL: each series' robust deviation of slot-to-slot changes (floored, see module doc)."""
    return f"""CREATE OR REPLACE TEMP TABLE _scale AS
        SELECT sensor_id, unit,
               greatest(1.4826 * coalesce(mad_change, 0),
                        {SCALE_FLOOR} * coalesce(q[2] - q[1], 0), 1e-12) AS scale
        FROM (SELECT sensor_id, unit, mad(d_prev) AS mad_change,
                     quantile_cont(CASE WHEN status IS NULL THEN value END, [0.01, 0.99]) AS q
              FROM _seq GROUP BY sensor_id, unit)"""


def _stuck_sql(step: int) -> str:
    """SQL: the slots of runs of one non-zero value lasting ``STUCK_S`` or more.

    Only the first and last rows of runs longer than one slot are windowed: few, in a
    series that moves.
    """
    return f"""CREATE OR REPLACE TEMP TABLE _stuck AS
        SELECT sensor_id, unit, unnest(range(time, last_time + 1, {step})) AS time
        FROM (SELECT *, lead(time) OVER (PARTITION BY sensor_id, unit ORDER BY time)
                            AS last_time
              FROM _seq WHERE run_start <> run_last)
        WHERE run_start AND status IS NULL AND stuck_check AND value <> 0
          AND last_time - time + {step} >= {STUCK_S}"""


def _insert_sql(step: int) -> str:
    """SQL: silver rows of the pending series, flagged, and a gap row per empty slot."""
    return f"""INSERT INTO silver
        SELECT q.sensor_id, q.unit, q.time,
               CASE WHEN q.status = 'gap' THEN NULL ELSE q.value END,
               CASE WHEN q.status IS NOT NULL THEN q.status
                    WHEN sign(q.d_prev) = sign(q.d_next)
                     AND least(abs(q.d_prev), abs(q.d_next)) > {SPIKE_Z} * c.scale
                    THEN 'outlier'
                    WHEN k.time IS NOT NULL THEN 'stuck'
                    WHEN q.received > 1 THEN 'duplicate'
                    ELSE 'ok' END,
               q.received
        FROM _seq q JOIN _scale c USING (sensor_id, unit)
        LEFT JOIN _stuck k USING (sensor_id, unit, time)
        UNION ALL
        SELECT sensor_id, unit, unnest(range(time + {step}, next_time, {step})), NULL, 'gap', 0
        FROM _seq WHERE next_time - time > {step}"""


def _stuck_check_sql(unit: str) -> str:
    """SQL: whether the stuck rule applies to a reported unit."""
    exempt = ", ".join(f"'{u}'" for u, rule in UNITS.items() if not rule.stuck_check)
    return f"({unit} NOT IN ({exempt}))" if exempt else "true"
