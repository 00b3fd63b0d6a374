"""What a placement run writes for the planner: the side-by-side table and the error curve."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["TABLE_COLUMNS", "error_curve_figure", "layouts_table", "write_error_curve"]

TABLE_COLUMNS = {
    "sensors": "sensors",
    "expected_distance_m": "expected distance [m]",
    "median_distance_m": "median distance [m]",
    "p90_distance_m": "p90 distance [m]",
    "within_m": "within 300 m [share]",
    "detection_rate": "detection rate [share]",
    "objective": "objective [m]",
}
"""Summary keys (:func:`twin.placement.scoring.summarise`) and their column names on file."""


def layouts_table(summaries: dict[str, dict], near_m: float = 300.0) -> pd.DataFrame:
    """Side-by-side table of layouts.

    Parameters
    ----------
    summaries : dict
        Layout name -> summary (:func:`twin.placement.scoring.summarise`).
    near_m : float
        The "within" distance, m, for the column name.

    Returns
    -------
    pandas.DataFrame
        Index ``layout`` (names in the given order); columns ``sensors``, ``expected
        distance [m]``, ``median distance [m]``, ``p90 distance [m]``, ``within N m
        [share]``, ``detection rate [share]``, ``objective [m]``.
    """
    frame = pd.DataFrame.from_dict(summaries, orient="index")[list(TABLE_COLUMNS)]
    names = dict(TABLE_COLUMNS, within_m=f"within {near_m:g} m [share]")
    frame = frame.rename(columns=names)
    frame.index.name = "layout"
    return frame


def error_curve_figure(curve: pd.DataFrame, title: str):
    """Plotly figure: loggers vs. expected localization error, greedy against random.

    Parameters
    ----------
    curve : pandas.DataFrame
        Columns ``layout`` (``"greedy"``, ``"random"`` or another name), ``sensors``,
        ``expected_distance_m`` (m); several random rows per size (one per seed).
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    figure = go.Figure()
    for name, part in curve.groupby("layout", sort=False):
        if name == "random":
            mean = part.groupby("sensors")["expected_distance_m"].agg(["mean", "min", "max"])
            figure.add_trace(
                go.Scatter(
                    x=part["sensors"],
                    y=part["expected_distance_m"],
                    mode="markers",
                    name="random layouts",
                    marker={"color": "grey", "size": 5, "opacity": 0.5},
                )
            )
            figure.add_trace(
                go.Scatter(
                    x=mean.index,
                    y=mean["mean"],
                    mode="lines",
                    name="random (mean)",
                    line={"color": "grey", "dash": "dash"},
                )
            )
        else:
            mode = "lines+markers" if len(part) > 1 else "markers"
            figure.add_trace(
                go.Scatter(
                    x=part["sensors"],
                    y=part["expected_distance_m"],
                    mode=mode,
                    name=name,
                    marker={"size": 9 if len(part) == 1 else 6},
                )
            )
    figure.update_layout(
        title=title,
        xaxis_title="pressure loggers",
        yaxis_title="expected localization error [m]",
        template="plotly_white",
    )
    return figure


def write_error_curve(curve: pd.DataFrame, title: str, out_dir: Path) -> list[Path]:
    """Write ``sensors_vs_error.html`` (interactive) and ``sensors_vs_error.png``."""
    html = out_dir / "sensors_vs_error.html"
    error_curve_figure(curve, title).write_html(html, include_plotlyjs=True)
    png = out_dir / "sensors_vs_error.png"
    _write_png(curve, title, png)
    return [html, png]


def _write_png(curve: pd.DataFrame, title: str, path: Path) -> None:
    """The same curve as a static picture (matplotlib, which WNTR already installs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name, part in curve.groupby("layout", sort=False):
        if name == "random":
            ax.scatter(
                part["sensors"],
                part["expected_distance_m"],
                s=10,
                c="grey",
                alpha=0.5,
                label="random layouts",
            )
            mean = part.groupby("sensors")["expected_distance_m"].mean()
            ax.plot(mean.index, mean.to_numpy(), "--", c="grey", label="random (mean)")
        else:
            style = "o-" if len(part) > 1 else "D"
            ax.plot(part["sensors"], part["expected_distance_m"], style, ms=4, label=name)
    ax.set_xlabel("pressure loggers")
    ax.set_ylabel("expected localization error [m]")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
