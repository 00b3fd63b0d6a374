"""The tables of a run's store: metadata, bronze, silver and gold.

All times are integer seconds since the run's origin (``run.origin``); values in bronze are
as reported, in silver and gold in SI (m, m3/s, m3).
"""

from __future__ import annotations

import duckdb

__all__ = [
    "FLAGS",
    "OPERATOR_ACTIONS",
    "OPERATOR_ACTIONS_DDL",
    "READABLE_VERSIONS",
    "SCHEMA_VERSION",
    "TABLES",
    "create_schema",
]

SCHEMA_VERSION = 4
"""Bumped whenever a table changes; a store of another version is refused."""

READABLE_VERSIONS = (3, SCHEMA_VERSION)
"""Versions this twin opens. Version 4 only added ``operator_actions``; a version-3 store
lacks it until the first operator action creates it (``CREATE TABLE IF NOT EXISTS``)."""

OPERATOR_ACTIONS = ("acknowledged", "crew_sent", "repaired")
"""What an operator can do about a leak event, in the order it usually happens."""

FLAGS = ("ok", "duplicate", "stuck", "outlier", "out_of_range", "gap")
"""Silver flags, mildest first; a slot carries the most severe finding."""

_RUN = """
CREATE TABLE run (
    name           VARCHAR   NOT NULL,  -- the run's name (its folder under runs/)
    origin         TIMESTAMP NOT NULL,  -- time 0 of every *_time column, no time zone
    step_s         INTEGER   NOT NULL,  -- silver time grid, seconds
    network        VARCHAR   NOT NULL,  -- network model name ('' if unknown)
    created_at     TIMESTAMP NOT NULL,
    schema_version INTEGER   NOT NULL
)"""

_BATCHES = """
CREATE TABLE batches (
    batch             BIGINT  PRIMARY KEY,  -- 1, 2, ... in storing order
    key               VARCHAR NOT NULL UNIQUE,  -- SHA-256 of the batch content
    channel           VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,  -- file name or feed, '' if not given
    readings          BIGINT  NOT NULL,
    first_reading     BIGINT  NOT NULL,  -- bronze.reading of the batch's first reading
    first_event_time  BIGINT  NOT NULL,
    last_event_time   BIGINT  NOT NULL,
    last_arrival_time BIGINT  NOT NULL,
    stored_at         TIMESTAMP NOT NULL,
    in_silver         BOOLEAN NOT NULL  -- silver has been refreshed since
)"""

_SENSORS = """
CREATE TABLE sensors (
    sensor_id  VARCHAR NOT NULL,
    si_unit    VARCHAR NOT NULL,  -- the quantity: m (head, level), m3/s (flow), m3 (volume)
    unit       VARCHAR NOT NULL,  -- the unit the sensor reports in
    first_batch BIGINT NOT NULL,
    PRIMARY KEY (sensor_id, si_unit)
)"""

_BATCH_SERIES = """
CREATE TABLE batch_series (
    batch            BIGINT  NOT NULL,
    sensor_id        VARCHAR NOT NULL,
    si_unit          VARCHAR NOT NULL,
    readings         BIGINT  NOT NULL,
    first_event_time BIGINT  NOT NULL,
    last_event_time  BIGINT  NOT NULL
)"""

_BRONZE = """
CREATE TABLE bronze (
    reading      BIGINT  NOT NULL,  -- 0, 1, ... in storing order over the whole store
    batch        BIGINT  NOT NULL,  -- batches.batch it came with
    channel      VARCHAR NOT NULL,
    sensor_id    VARCHAR NOT NULL,
    value        DOUBLE,            -- as reported, in unit; NaN: arrived empty
    unit         VARCHAR NOT NULL,  -- as reported (m, m3/h, L/h, ...)
    event_time   BIGINT  NOT NULL,
    arrival_time BIGINT  NOT NULL
)"""

_SILVER = f"""
CREATE TYPE silver_flag AS ENUM {FLAGS!r};
CREATE TABLE silver (
    sensor_id VARCHAR NOT NULL,
    unit      VARCHAR NOT NULL,  -- SI unit: m, m3/s or m3
    time      BIGINT  NOT NULL,  -- grid slot, a multiple of run.step_s
    value     DOUBLE,            -- SI; NULL for a gap, kept (and flagged) otherwise
    flag      silver_flag NOT NULL,
    received  INTEGER NOT NULL   -- bronze readings placed in this slot (0 for a gap)
)"""

_GOLD = """
CREATE TABLE residuals (
    sensor_id VARCHAR NOT NULL,
    unit      VARCHAR NOT NULL,  -- SI
    time      BIGINT  NOT NULL,
    measured  DOUBLE,            -- silver value
    expected  DOUBLE,            -- the twin model's value
    residual  DOUBLE,            -- measured - expected
    model     VARCHAR NOT NULL   -- which model / calibration produced `expected`
);
CREATE TABLE events (
    event_id       VARCHAR PRIMARY KEY,  -- E001, E002, ...
    area           VARCHAR NOT NULL,     -- metering zone
    detector       VARCHAR NOT NULL,     -- inflow-cusum, night-flow, pressure-cusum
    state          VARCHAR NOT NULL,     -- suspected, confirmed, localized, repaired, closed
    raised_time    BIGINT  NOT NULL,     -- when the twin raised it
    start_time     BIGINT  NOT NULL,     -- estimated onset
    flow           DOUBLE,               -- estimated leak flow, m3/s
    confirmed_time BIGINT,
    closed_time    BIGINT,               -- repaired or closed; NULL while open
    sensors        VARCHAR[],            -- series whose residuals raised it
    note           VARCHAR
);
CREATE TABLE candidates (
    event_id        VARCHAR NOT NULL,  -- the event localized (events.event_id)
    time            BIGINT  NOT NULL,  -- when this ranking was made
    rank            INTEGER NOT NULL,  -- 1 = most likely
    element_id      VARCHAR NOT NULL,  -- node or pipe id
    element_kind    VARCHAR NOT NULL,  -- node or link
    probability     DOUBLE,            -- of the leak being there
    in_search_area  BOOLEAN,           -- part of the area a crew should walk
    method          VARCHAR NOT NULL
);
CREATE TABLE kpis (
    kpi          VARCHAR NOT NULL,  -- system_input, nrw, mnf, ili, ...
    area         VARCHAR NOT NULL,  -- network, DMA name, ...
    period_start BIGINT  NOT NULL,
    period_end   BIGINT  NOT NULL,
    value        DOUBLE,
    unit         VARCHAR NOT NULL,  -- SI or dimensionless ('1', '%')
    method       VARCHAR NOT NULL
)"""

OPERATOR_ACTIONS_DDL = """
CREATE TABLE IF NOT EXISTS operator_actions (
    event_id  VARCHAR   NOT NULL,  -- events.event_id
    action    VARCHAR   NOT NULL,  -- acknowledged, crew_sent, repaired
    time      TIMESTAMP NOT NULL,  -- wall-clock time of the action, no time zone
    run_time  BIGINT,              -- the run's time shown to the operator then (NULL: unknown)
    user      VARCHAR   NOT NULL,  -- who ('' when the dashboard has no login)
    note      VARCHAR   NOT NULL
)"""

TABLES = {
    "meta": ("run", "batches", "sensors", "batch_series"),
    "bronze": ("bronze",),
    "silver": ("silver",),
    "gold": ("residuals", "events", "candidates", "kpis"),
    "operator": ("operator_actions",),
}
"""Table names by layer."""


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table of an empty store (inside the caller's transaction)."""
    for ddl in (
        _RUN,
        _BATCHES,
        _SENSORS,
        _BATCH_SERIES,
        _BRONZE,
        _SILVER,
        _GOLD,
        OPERATOR_ACTIONS_DDL,
    ):
        con.execute(ddl)
