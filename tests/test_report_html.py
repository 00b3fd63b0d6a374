"""Tests of twin.report: the self-contained report page of a twin run and its figures."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.report import (
    balance_figure,
    downsample_for_plot,
    inflow_figure,
    residual_figure,
    write_report,
)

PLOTLY_JS_MARKER = "* plotly.js v"
"""The banner that opens the plotly.js bundle: one per copy of the library."""
START = pd.Timestamp("2018-01-01")
SIZE_TARGET_BYTES = 10_000_000


def zone_inflows(periods: int, zones: tuple[str, ...] = ("DMA A", "DMA B")) -> pd.DataFrame:
    """5-minute measured and expected inflows (m³/h) with a daily cycle and a NaN gap."""
    index = pd.date_range(START, periods=periods, freq="5min")
    hours = np.arange(periods) / 12.0
    columns = {}
    for i, zone in enumerate(zones):
        expected = 50.0 + 10 * i + 20.0 * np.sin(2 * np.pi * hours / 24)
        measured = expected + np.random.default_rng(i).normal(0.0, 1.0, periods)
        measured[10:20] = np.nan
        columns[f"{zone} measured [m3/h]"] = measured
        columns[f"{zone} expected [m3/h]"] = expected
    return pd.DataFrame(columns, index=index)


def pressure_residuals(periods: int, sensors: int, freq: str = "1h") -> pd.DataFrame:
    """Pressure residuals (m) of ``sensors`` sensors."""
    index = pd.date_range(START, periods=periods, freq=freq)
    rng = np.random.default_rng(7)
    values = rng.normal(0.0, 0.2, (periods, sensors))
    return pd.DataFrame(values, index=index, columns=[f"pressure n{i} [m]" for i in range(sensors)])


def one_event() -> pd.DataFrame:
    """One leak event in zone DMA B, detected on the second day."""
    return pd.DataFrame(
        {
            "event_id": ["EV-0001"],
            "detected_at": ["2018-01-02 06:00:00"],
            "start_estimate": ["2018-01-01 22:00:00"],
            "flow_m3h": [4.2],
            "area": ["DMA B"],
            "state": ["open"],
            "detector": ["cusum-inflow"],
        }
    )


def zone_balance() -> list[dict]:
    """A water balance of the two zones over two days (m³), one value unknown."""
    return [
        {
            "area": area,
            "start": "2018-01-01",
            "end": "2018-01-03",
            "days": 2.0,
            "system_input_m3": 2400.0 + i,
            "billed_metered_m3": 2000.0,
            "billed_unmetered_m3": 50.0,
            "unbilled_authorised_m3": 20.0,
            "apparent_losses_m3": 60.0,
            "real_losses_m3": 270.0 + i,
            "nrw_percent": 16.25,
            "ili": None,
            "cost_of_real_losses": 135.0,
            "currency": "EUR",
        }
        for i, area in enumerate(("DMA A", "DMA B"))
    ]


class _Outline(HTMLParser):
    """Collects the section headings and the ids of the plotly divs of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.plot_ids: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_h2 = tag == "h2"
        attributes = dict(attrs)
        if tag == "div" and "plotly-graph-div" in (attributes.get("class") or ""):
            self.plot_ids.append(attributes.get("id") or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.headings.append(data.strip())


def outline(page: str) -> _Outline:
    """Parse a page (raises on markup the parser cannot read)."""
    parser = _Outline()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A two-day report with two zones, one event, a balance, residuals and notes."""
    path = tmp_path_factory.mktemp("report") / "runs" / "report.html"
    written = write_report(
        path,
        title="L-Town <demo> & co",
        run_info={"network": "L-TOWN", "period": "2018-01-01 to 2018-01-03", "sensors": 33},
        inflows=zone_inflows(2 * 288),
        residuals=pressure_residuals(48, 3),
        events=one_event(),
        balance=zone_balance(),
        notes=["no AMR files: billed metered from <estimates>"],
    )
    assert written == path
    return path.read_text(encoding="utf-8")


def test_report_names_the_event_and_the_zones(full_report: str) -> None:
    """The page lists the event id and both zone names."""
    assert "EV-0001" in full_report
    assert "DMA A" in full_report and "DMA B" in full_report


def test_report_embeds_plotly_js_once(full_report: str) -> None:
    """Three figures share one inline copy of plotly.js, so the page works offline."""
    assert full_report.count(PLOTLY_JS_MARKER) == 1
    assert 'src="http' not in full_report
    assert outline(full_report).plot_ids == ["inflows", "residuals", "balance"]


def test_report_has_every_section(full_report: str) -> None:
    """The page parses as HTML and has its six section headings in order."""
    assert outline(full_report).headings == [
        "Run summary",
        "Notes",
        "Events",
        "Zone inflows",
        "Residuals",
        "Water balance",
    ]


def test_report_escapes_run_text(full_report: str) -> None:
    """Text from the run cannot inject markup: the title and notes are escaped."""
    assert "<demo>" not in full_report and "&lt;demo&gt; &amp; co" in full_report
    assert "&lt;estimates&gt;" in full_report


def test_balance_table_has_units_and_formatted_numbers(full_report: str) -> None:
    """Balance headers carry units and volumes have thousands separators."""
    assert "Real losses [m³]" in full_report
    assert "Cost of real losses [EUR]" in full_report
    assert "2,400" in full_report and "16.2" in full_report


def test_empty_run_still_writes_a_page(tmp_path: Path) -> None:
    """No inflows, residuals, events or balance: a valid page that says so."""
    path = write_report(
        tmp_path / "report.html",
        title="Empty run",
        run_info={},
        inflows=pd.DataFrame(),
        residuals=pd.DataFrame(),
        events=pd.DataFrame(columns=["event_id", "detected_at", "start_estimate"]),
        balance=[],
        notes=[],
    )
    page = path.read_text(encoding="utf-8")
    assert len(outline(page).headings) == 6
    assert "No events in this run." in page and "No residuals in this run" in page
    assert PLOTLY_JS_MARKER not in page


def test_write_leaves_no_partial_file(tmp_path: Path) -> None:
    """Writing twice replaces the page and leaves nothing else in the folder."""
    for title in ("first", "second"):
        write_report(tmp_path / "report.html", title=title)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    assert "<title>second</title>" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_event_without_start_estimate_gets_a_line_only() -> None:
    """An event with an empty start estimate is marked by a line, not a shaded span."""
    events = one_event().assign(start_estimate="")
    figure = inflow_figure(zone_inflows(288), events)
    assert [shape.type for shape in figure.layout.shapes] == ["line"]


def test_inflow_figure_has_a_row_per_zone() -> None:
    """Each zone gets its own row with a measured and an expected line."""
    figure = inflow_figure(zone_inflows(288, ("North", "South", "East")), one_event())
    names = [annotation.text for annotation in figure.layout.annotations]
    assert {"North", "South", "East", "EV-0001"} <= set(names)
    assert len(figure.data) == 6


def test_residual_figure_groups_sensors_by_kind() -> None:
    """Pressure and flow residuals are drawn in separate rows with their own units."""
    residuals = pressure_residuals(24, 2).assign(**{"flow p1 [m3/h]": 0.5})
    figure = residual_figure(residuals, one_event())
    assert {trace.legendgroup for trace in figure.data} == {"pressure", "flow"}
    assert figure.layout.yaxis2.title.text == "measured − expected [m3/h]"


def test_balance_bars_stack_to_the_system_input() -> None:
    """The stacked components of a zone add up to its system input volume (m³)."""
    figure = balance_figure(zone_balance())
    total = sum(float(np.asarray(trace.y)[0]) for trace in figure.data)
    assert total == pytest.approx(2400.0)


def test_year_of_five_minute_data_is_plotted_as_hourly_means() -> None:
    """105,120 five-minute samples become 8,760 hourly means; short series are untouched."""
    year = zone_inflows(105_120, ("DMA A",))
    means, name = downsample_for_plot(year)
    assert (len(means), name) == (8760, "hourly")
    assert means.iloc[0, 1] == pytest.approx(year.iloc[:12, 1].mean())
    assert downsample_for_plot(year.iloc[:1000])[1] is None


def test_year_long_report_stays_small(tmp_path: Path) -> None:
    """A year of 5-minute data with 40 lines gives a page under 10 MB that says it shows means."""
    periods = 105_120
    inflows = zone_inflows(periods, tuple(f"DMA {i}" for i in range(4)))  # 8 lines
    residuals = pressure_residuals(periods, 32, freq="5min")  # 32 lines
    path = write_report(
        tmp_path / "report.html",
        title="A year",
        inflows=inflows,
        residuals=residuals,
        events=one_event(),
        balance=zone_balance(),
    )
    page = path.read_text(encoding="utf-8")
    assert path.stat().st_size < SIZE_TARGET_BYTES
    assert "hourly means" in page


def test_inflow_time_axis_is_right_whatever_unit_pandas_keeps() -> None:
    """A 5-minute series indexed in microseconds (pandas 3's choice for some constructors)
    still spans its real hours on the plot's time axis."""
    origin = pd.Timestamp("2018-01-01")
    index = pd.DatetimeIndex(origin + pd.to_timedelta(np.arange(0, 86_400, 300), unit="s"))
    inflows = zone_inflows(len(index)).set_axis(index.as_unit("us"))
    trace = inflow_figure(inflows, one_event().iloc[:0]).data[0]
    assert trace.dx == 300_000  # ms
