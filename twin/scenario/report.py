"""The planner's report of a scenario run: one self-contained HTML page to e-mail.

The replay's page (:func:`twin.report.write_report`: events, inflows, residuals, water
balance) with, after the run summary, what a planner asked for and what happened: the
outcome in figures, the network map with the events' search areas and the true leaks, and
the true leaks beside what the twin found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from twin.report import write_report
from twin.report.html import table_html
from twin.report.network_map import network_map_figure
from twin.scenario.plan import RunPlan
from twin.scenario.schema import Scenario
from twin.scenario.summary import Score

__all__ = ["OUTCOME_FIGURES", "write_scenario_report"]

OUTCOME_FIGURES = (
    ("leaks", "leaks started during the watch", "{:d}"),
    ("leaks_detected", "leaks detected", "{:d}"),
    ("false_alarms", "false alarms (confirmed events that matched no leak)", "{:d}"),
    ("false_alarms_per_30d", "false alarms per 30 days", "{:.2f}"),
    ("detection_delay_median_h", "median detection delay (h)", "{:.1f}"),
    ("localization_distance_median_m", "median localization distance (m)", "{:.0f}"),
    ("within_300m_share", "share localized within 300 m", "{:.0%}"),
    ("search_area_median_km", "median search area (km of pipe)", "{:.2f}"),
    ("true_leak_volume_m3", "water the leaks lost, whole run (m³, truth)", "{:,.0f}"),
    ("system_input_m3", "system input over the watch (m³)", "{:,.0f}"),
    ("real_losses_m3", "real losses over the watch, twin's balance (m³)", "{:,.0f}"),
    ("nrw_percent", "non-revenue water (% of system input)", "{:.1f}"),
)
"""Summary figures shown in the report's outcome table: key, words, format."""

_LEAK_COLUMNS = (
    "leak_id",
    "pipe",
    "zone",
    "diameter_mm",
    "kind",
    "start",
    "event_id",
    "detected_at",
    "delay_h",
    "top_pipe",
    "distance_m",
    "in_search_area",
    "search_area_km",
)


def write_scenario_report(
    path: Path,
    scenario: Scenario,
    plan: RunPlan,
    wn,
    areas,
    outcome,
    score: Score,
    summary: dict[str, Any],
) -> Path:
    """Write the scenario's ``report.html`` (replacing the replay's page).

    Parameters
    ----------
    path : Path
    scenario : Scenario
    plan : RunPlan
    wn : wntr.network.WaterNetworkModel
        The nominal model (for the map).
    areas : NetworkAreas
        The metering zones.
    outcome : ReplayOutcome
        What the twin produced.
    score : Score
        The run matched to its truth.
    summary : dict
        The run's summary figures.
    """
    from twin.loop.outputs import inflow_frame, residual_frame

    layout = plan.layout
    trace, zones = outcome.trace, [a.name for a in areas.areas]
    sensors = {
        "pressure": layout.pressure,
        "flow": layout.flow,
        "tank_level": layout.tank_level,
        "amr_demand": layout.amr_demand,
    }
    figure = network_map_figure(
        wn,
        sensors=sensors,
        events=outcome.events,
        true_leaks=score.leaks,
        title=f"{plan.inp.stem}: sensors, events' search areas (stars: most likely pipe), "
        "true leaks (x)",
    )
    run = scenario.run
    watch = plan.origin + pd.Timedelta(seconds=plan.watch_start_s)
    end = plan.origin + pd.Timedelta(seconds=plan.end_s)
    return write_report(
        path,
        title=f"Scenario {run.name}: {plan.inp.stem}",
        run_info={
            "scenario": run.name,
            "network": plan.inp.stem,
            "watched": f"{watch:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}",
            "history": f"{run.history_days:g} days before the watch",
            "seed": run.seed,
            "sensors": f"{len(layout.pressure)} pressure, {len(layout.flow)} flow, "
            f"{len(layout.tank_level)} level, {len(layout.amr_demand)} AMR",
            "leaks": f"{len(plan.setup.leaks)} ({plan.drawn_leaks} drawn from the seed)",
            "faults placed": sum(len(f) for f in plan.setup.faults.values()),
        },
        inflows=inflow_frame(trace, zones, plan.origin),
        residuals=residual_frame(trace, list(layout.pressure), plan.origin),
        events=outcome.events,
        balance=[b.to_dict() for b in outcome.balance],
        notes=outcome.notes,
        extra_sections=[
            ("outcome", "Outcome", [_outcome_table(summary)]),
            ("map", "Network map", [figure]),
            ("truth", "True leaks and what the twin found", [_leak_table(score.leaks)]),
        ],
    )


def _outcome_table(summary: dict[str, Any]) -> str:
    rows = []
    for key, words, form in OUTCOME_FIGURES:
        value = summary.get(key)
        shown = "–" if value is None or value != value else form.format(value)
        rows.append({"figure": words, "value": shown})
    return table_html(rows, ("figure", "value"))


def _leak_table(leaks: pd.DataFrame) -> str:
    if leaks.empty:
        return "<p>No leak started during the watch.</p>"
    columns = [c for c in _LEAK_COLUMNS if c in leaks.columns]
    return table_html(leaks[columns].to_dict("records"), columns)
