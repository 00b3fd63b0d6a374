"""Gold: what the twin derived, written whole per run (events, KPIs, residuals)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

__all__ = ["GOLD_COLUMNS", "write_gold"]

GOLD_COLUMNS = {
    "events": (
        "event_id",
        "area",
        "detector",
        "state",
        "raised_time",
        "start_time",
        "flow",
        "confirmed_time",
        "closed_time",
        "sensors",
        "note",
    ),
    "candidates": (
        "event_id",
        "time",
        "rank",
        "element_id",
        "element_kind",
        "probability",
        "in_search_area",
        "method",
    ),
    "kpis": ("kpi", "area", "period_start", "period_end", "value", "unit", "method"),
    "residuals": ("sensor_id", "unit", "time", "measured", "expected", "residual", "model"),
}


def write_gold(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame]) -> None:
    """Replace gold tables with the given frames, all in one transaction.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The run's store.
    tables : dict of str to pandas.DataFrame
        ``"events"``, ``"kpis"`` and/or ``"residuals"``, with the table's columns (see
        :mod:`twin.store.schema`). A failure leaves every gold table as it was.
    """
    unknown = set(tables) - set(GOLD_COLUMNS)
    if unknown:
        raise ValueError(f"write_gold: no gold table {sorted(unknown)}; use {sorted(GOLD_COLUMNS)}")
    con.execute("BEGIN")
    try:
        for name, frame in tables.items():
            columns: Sequence[str] = GOLD_COLUMNS[name]
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise ValueError(f"write_gold: {name} frame lacks column(s) {missing}")
            con.execute(f"DELETE FROM {name}")
            con.register("_gold", frame[list(columns)])
            try:
                con.execute(f"INSERT INTO {name} SELECT * FROM _gold")
            finally:
                con.unregister("_gold")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
