"""Dashboard figures built from small frames, without a browser."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest

from twin.dashboard.figures.network_map import (
    EVENT_TRACES,
    NO_VALUE,
    PipeColouring,
    colour_bins,
    event_zoom,
    network_map_figure,
)
from twin.dashboard.figures.panels import coverage_figure, mnf_figure, nrw_figure
from twin.dashboard.ids import SEARCH_AREA_TRACE
from twin.dashboard.network_view import network_view


@pytest.fixture(scope="module")
def net1():
    return network_view("Net1")


def _names(figure):
    return [t.get("name") for t in figure["data"]]


def _values(trace, key):
    """A trace's numbers, decoded when sent as a plotly.js typed array."""
    value = trace[key]
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value, dtype=float)


def _pipes_drawn(figure, names):
    drawn = []
    for trace in figure["data"]:
        if trace.get("name") in names:
            drawn += [c.removeprefix("link:") for c in trace["customdata"] if c]
    return drawn


def test_map_draws_one_trace_per_colour_bin(net1):
    """Pipes coloured by a value: one line trace per non-empty bin, each pipe in exactly one."""
    pipes = net1.links.index[net1.links["kind"] == "pipe"]
    values = pd.Series(np.arange(len(pipes), dtype=float), index=pipes)
    figure = network_map_figure(net1, PipeColouring(values, "value [m]", bins=4))
    edges = colour_bins(values, 4, diverging=False)
    bin_names = [f"{low:.3g} to {high:.3g}" for low, high in edges]
    assert _names(figure)[: len(edges)] == bin_names
    drawn = _pipes_drawn(figure, set(bin_names))
    assert sorted(drawn) == sorted(np.repeat(pipes.to_numpy(dtype=str), 2))  # two ends each


def test_map_draws_pipes_without_a_value_grey(net1):
    """A colouring that covers only some pipes leaves the rest in the 'no value' trace."""
    figure = network_map_figure(net1, PipeColouring(pd.Series({"10": 1.0, "11": 2.0}), "v"))
    (grey,) = [t for t in figure["data"] if t.get("name") == NO_VALUE]
    assert "link:10" not in set(grey["customdata"]) and "link:12" in set(grey["customdata"])


def test_map_outlines_the_search_area_of_the_selected_event(net1):
    """Candidates give a heat trace and a 'search-area' trace holding exactly the area's pipes."""
    candidates = pd.DataFrame(
        {
            "element_id": ["12", "22", "31"],
            "probability": [0.6, 0.3, 0.1],
            "in_search_area": [True, True, False],
        }
    )
    figure = network_map_figure(net1, None, None, candidates)
    names = _names(figure)
    assert SEARCH_AREA_TRACE in names and "candidate probability" in names
    area = next(t for t in figure["data"] if t.get("name") == SEARCH_AREA_TRACE)
    assert {c for c in area["customdata"] if c} == {"link:12", "link:22"}
    assert "search area (90 %)" in names  # the legend says it in words


def test_map_without_an_event_has_no_search_area(net1):
    """No event selected: no search-area trace, but the event's slots are there, empty."""
    figure = network_map_figure(net1)
    assert SEARCH_AREA_TRACE not in _names(figure)
    assert all(len(t["x"]) == 0 for t in figure["data"][-EVENT_TRACES:])


def test_map_zooms_to_the_given_box(net1):
    """The zoom box sets both axis ranges."""
    box = net1.bounds(["12"])
    figure = network_map_figure(net1, zoom=box)
    assert tuple(figure["layout"]["xaxis"]["range"]) == pytest.approx(box[:2])
    assert tuple(figure["layout"]["yaxis"]["range"]) == pytest.approx(box[2:])


def test_zoom_leaves_room_around_the_search_area(net1):
    """The box around an event holds its search area with a fifth of its extent to spare."""
    candidates = pd.DataFrame(
        {"element_id": ["12", "22"], "probability": [0.6, 0.3], "in_search_area": [True, True]}
    )
    x0, x1, y0, y1 = event_zoom(net1, candidates)
    links = net1.links.loc[["12", "22"]]
    xs, ys = links[["x0", "x1"]].to_numpy(), links[["y0", "y1"]].to_numpy()
    extent = max(np.ptp(xs), np.ptp(ys))
    assert x0 <= xs.min() - 0.2 * extent and x1 >= xs.max() + 0.2 * extent
    assert y0 <= ys.min() - 0.2 * extent and y1 >= ys.max() + 0.2 * extent


def test_map_marks_sensors_by_kind(net1):
    """Loggers at their nodes and flow meters at their pipe's middle."""
    sensors = pd.DataFrame({"sensor_id": ["11", "9"], "kind": ["pressure", "flow"]})
    figure = network_map_figure(net1, sensors=sensors)
    loggers = next(t for t in figure["data"] if t.get("name") == "pressure loggers")
    meters = next(t for t in figure["data"] if t.get("name") == "flow meters")
    assert list(_values(loggers, "x")) == pytest.approx([net1.nodes.loc["11", "x"]])
    assert list(_values(meters, "x")) == pytest.approx([net1.links.loc["9", "xm"]])


def test_diverging_bins_are_symmetric_about_zero():
    """Residual colours put zero on a bin edge, so lows and highs never share a colour."""
    edges = colour_bins(pd.Series([-0.2, -0.1, 0.0, 0.05, 0.1]), 4, diverging=True)
    lows = [low for low, _ in edges]
    assert 0.0 in lows
    # inner edges mirror each other; the outer ones stretch to the extreme values
    assert edges[1][0] == pytest.approx(-edges[-2][1])
    assert edges[0][0] == -0.2 and edges[-1][1] == pytest.approx(0.192)


def test_nrw_figure_has_one_line_per_zone():
    """NRW KPIs of two zones give two lines in %, other KPIs left out."""
    kpis = pd.DataFrame(
        {
            "kpi": ["nrw", "nrw", "ili"],
            "area": ["A", "B", "A"],
            "period_start": [0, 0, 0],
            "period_end": [86_400] * 3,
            "value": [12.0, 30.0, 2.0],
            "unit": ["%", "%", "1"],
        }
    )
    figure = nrw_figure(kpis, pd.Timestamp("2018-01-01"))
    assert [t.name for t in figure.data] == ["A", "B"]
    assert [list(t.y) for t in figure.data] == [[12.0], [30.0]]


def test_mnf_band_spans_the_legitimate_night_use():
    """1,000 connections at 1.3-2.5 L/conn/h give a band from 1.3 to 2.5 m3/h."""
    nights = pd.date_range("2018-01-01", periods=3, freq="D")
    figure = mnf_figure(pd.DataFrame({"A": [5.0, 6.0, 7.0]}, index=nights), {"A": 1000}, {"A": 1.7})
    band = figure.data[0]
    assert max(band.y) == pytest.approx(2.5) and min(band.y) == pytest.approx(1.3)
    assert list(figure.data[2].y) == [5.0, 6.0, 7.0]


def test_coverage_figure_groups_sensors_by_kind():
    """One bar trace per kind of sensor, heights in % of slots."""
    quality = pd.DataFrame(
        {
            "sensor_id": ["n1", "n2", "p1"],
            "unit": ["m", "m", "m3/h"],
            "coverage_pct": [100.0, 80.0, 99.0],
            "gaps": [0, 3, 1],
            "flagged": [0, 0, 2],
            "kind": ["pressure", "pressure", "flow"],
        }
    )
    figure = coverage_figure(quality)
    assert [t.name for t in figure.data] == ["pressure", "flow"]
    assert list(figure.data[0].y) == [100.0, 80.0]
