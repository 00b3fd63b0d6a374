"""Figures of the dashboard: pure functions from tables to plotly figures."""

__all__: list[str] = []
