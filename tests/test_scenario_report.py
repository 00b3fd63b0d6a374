"""The scenario report's network map: few traces whatever the network, events outlined."""

import pandas as pd

from twin.network import load
from twin.report.network_map import network_map_figure


def test_pipes_are_one_trace_with_gaps_not_one_trace_per_pipe():
    """L-Town's 905 pipes are drawn as one line trace of 3 points (two ends and a gap) each."""
    wn = load("L-TOWN")
    figure = network_map_figure(wn)
    pipes = next(t for t in figure.data if t.name == "pipes")
    assert len(pipes.x) == 3 * wn.num_pipes + sum(
        len(wn.get_link(p).vertices) for p in wn.pipe_name_list
    )
    assert sum(v is None for v in pipes.x) == wn.num_pipes
    assert len(figure.data) < 10


def test_an_events_search_area_is_outlined_and_its_pipe_starred():
    """A localized event gets a trace over its search-area pipes and a star on its top pipe."""
    wn = load("L-TOWN")
    events = pd.DataFrame(
        {
            "event_id": ["E001", "E002"],
            "pipe": ["p257", None],
            "search_area_pipes": ["p257;p256;p258", None],
            "search_area_km": [0.4, None],
        }
    )
    leaks = pd.DataFrame({"leak_id": ["leak_p257"], "pipe": ["p257"]})
    figure = network_map_figure(
        wn, sensors={"pressure": ["n1", "n4"], "flow": ["p227"]}, events=events, true_leaks=leaks
    )
    names = [t.name for t in figure.data]
    area = next(t for t in figure.data if t.name.startswith("E001: search area"))
    assert sum(v is None for v in area.x) == 3
    assert "E001: most likely pipe p257" in names
    assert not any(n.startswith("E002") for n in names)  # not localized: nothing drawn
    assert "pressure logger (2)" in names and "flow meter (1)" in names
    assert "true leaks (simulated)" in names
