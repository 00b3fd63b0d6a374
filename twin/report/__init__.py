"""Report: the self-contained HTML page of a twin run and the figures it shares with Dash."""

from twin.report.figures import (
    BALANCE_COMPONENTS,
    MAX_PLOT_POINTS,
    balance_figure,
    downsample_for_plot,
    event_times,
    inflow_figure,
    inflow_zones,
    plot_resolution,
    residual_figure,
)
from twin.report.html import (
    BALANCE_COLUMNS,
    EVENT_COLUMNS,
    column_header,
    render_report,
    write_report,
)

__all__ = [
    "BALANCE_COLUMNS",
    "BALANCE_COMPONENTS",
    "EVENT_COLUMNS",
    "MAX_PLOT_POINTS",
    "balance_figure",
    "column_header",
    "downsample_for_plot",
    "event_times",
    "inflow_figure",
    "inflow_zones",
    "plot_resolution",
    "render_report",
    "residual_figure",
    "write_report",
]
