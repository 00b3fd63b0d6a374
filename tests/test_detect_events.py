"""Leak events: the lifecycle, the refused transitions, the believed leak flow, the table."""

import numpy as np
import pandas as pd
import pytest

from twin.detect.events import EventBook, EventState

ORIGIN = pd.Timestamp("2018-01-01")
HOUR = 3600
DAY = 86_400
DAY_AND_A_HALF = DAY + DAY // 2


def _book_with_event(area: str = "DMA-A", flow: float = 4.0) -> EventBook:
    """A book holding one suspected event E001 raised at 02:00, started 01:00."""
    book = EventBook()
    book.raise_event(2 * HOUR, area, "inflow-cusum", HOUR, flow, sensors=("p227",))
    return book


def test_event_ids_count_up():
    """Events are numbered E001, E002, ... in the order they are raised."""
    book = EventBook()
    ids = [book.raise_event(HOUR, "A", "night-flow", 0, 1.0).event_id for _ in range(3)]
    assert ids == ["E001", "E002", "E003"]


def test_full_lifecycle_records_times_and_history():
    """A leak goes suspected→confirmed→localized→repaired→closed with each time kept."""
    book = _book_with_event()
    book.confirm("E001", 3 * HOUR, flow_m3h=5.0)
    book.localize("E001", 4 * HOUR, note="search area: 12 pipes")
    book.localize("E001", 5 * HOUR, note="refined: 3 pipes")
    book.repaired("E001", 30 * HOUR)
    book.close("E001", 31 * HOUR, reason="repair reported")
    event = book["E001"]
    assert event.state is EventState.CLOSED
    assert (event.confirmed_at, event.localized_at, event.closed_at) == (
        3 * HOUR,
        4 * HOUR,
        31 * HOUR,
    )
    assert [state for _, state, _ in event.history] == [
        "suspected",
        "confirmed",
        "localized",
        "localized",
        "repaired",
        "closed",
    ]
    assert event.history[3] == (5 * HOUR, "localized", "refined: 3 pipes")
    assert event.flow_m3h == 5.0


def test_false_alarm_is_dropped_by_closing_the_suspicion():
    """A suspected event closed directly leaves the open events and the believed flow."""
    book = _book_with_event()
    book.close("E001", 3 * HOUR, reason="did not persist")
    assert book.open_events() == []
    assert book.believed_leak_m3h("DMA-A") == 0.0


@pytest.mark.parametrize(
    ("steps", "wanted"),
    [
        ((), "localize"),  # suspected cannot skip confirmation
        ((), "repaired"),
        (("close",), "confirm"),  # closed is final
        (("confirm", "repaired"), "localize"),  # a repaired leak is not searched for
    ],
)
def test_forbidden_transition_is_refused_with_event_and_states(steps, wanted):
    """A transition outside the lifecycle raises ValueError naming event, state and target."""
    book = _book_with_event()
    for step in steps:
        getattr(book, step)("E001", 3 * HOUR)
    state = book["E001"].state
    target = {"localize": "localized", "repaired": "repaired", "confirm": "confirmed"}[wanted]
    with pytest.raises(ValueError, match=f"E001 is {state} and cannot become {target}"):
        getattr(book, wanted)("E001", 4 * HOUR)
    assert book["E001"].state == state  # unchanged by the refusal


def test_unknown_event_raises_key_error_naming_it():
    """Asking for an event that does not exist raises KeyError with its id."""
    book = _book_with_event()
    with pytest.raises(KeyError, match="E042"):
        book.confirm("E042", 3 * HOUR)


def test_time_cannot_run_backwards():
    """A transition dated before the event's last change is refused."""
    book = _book_with_event()
    with pytest.raises(ValueError, match="before its last change"):
        book.confirm("E001", HOUR)


def test_start_after_raise_is_refused():
    """A leak cannot be estimated to start after the alarm that raised it."""
    with pytest.raises(ValueError, match="cannot start later"):
        EventBook().raise_event(HOUR, "A", "night-flow", 2 * HOUR, 1.0)


def test_believed_flow_sums_confirmed_and_localized_in_the_area():
    """The twin believes in confirmed and localized leaks of an area, not in suspicions."""
    book = EventBook()
    for area, flow in (("A", 2.0), ("A", 3.0), ("A", 7.0), ("B", 11.0)):
        book.raise_event(HOUR, area, "night-flow", 0, flow)
    book.confirm("E001", 2 * HOUR)
    book.confirm("E002", 2 * HOUR)
    book.localize("E002", 3 * HOUR)
    book.confirm("E004", 2 * HOUR)
    assert book.believed_leak_m3h("A") == 5.0  # E003 is only suspected
    assert [e.event_id for e in book.open_events("A")] == ["E001", "E002", "E003"]
    book.repaired("E001", 4 * HOUR)
    assert book.believed_leak_m3h("A") == 3.0


def test_flow_of_a_repaired_leak_cannot_change():
    """update_flow changes an open event and refuses a repaired one."""
    book = _book_with_event()
    book.update_flow("E001", 6.5)
    assert book["E001"].flow_m3h == 6.5
    book.confirm("E001", 3 * HOUR)
    book.repaired("E001", 4 * HOUR)
    with pytest.raises(ValueError, match="E001"):
        book.update_flow("E001", 1.0)


def test_to_frame_columns_and_time_format():
    """The table has the CLI's columns in order, wall-clock times and ';'-joined sensors."""
    book = _book_with_event()
    book.raise_event(DAY_AND_A_HALF, "DMA-B", "night-flow", DAY, 2.5, sensors=("p1", "p2"))
    book.confirm("E001", 3 * HOUR + 5)
    frame = book.to_frame(ORIGIN)
    assert list(frame.columns) == [
        "event_id",
        "detected_at",
        "start_estimate",
        "flow_m3h",
        "area",
        "state",
        "detector",
        "confirmed_at",
        "closed_at",
        "sensors",
        "pipe",
        "probability",
        "search_area_pipes",
        "search_area_km",
    ]
    first, second = frame.to_dict("records")
    assert first["detected_at"] == "2018-01-01 02:00:00"
    assert first["confirmed_at"] == "2018-01-01 03:00:05"
    assert first["closed_at"] == ""
    assert (first["state"], first["sensors"], first["flow_m3h"]) == ("confirmed", "p227", 4.0)
    assert second["start_estimate"] == "2018-01-02 00:00:00"
    assert second["sensors"] == "p1;p2"
    assert first["pipe"] == "" and np.isnan(first["search_area_km"])  # not localized yet


def test_a_localization_fills_the_pipe_columns_and_keeps_every_location():
    """Each localization names a pipe and a search area; the event keeps them all in order."""
    book = _book_with_event()
    book.confirm("E001", 3 * HOUR)
    book.localize(
        "E001",
        5 * HOUR,
        pipe="p257",
        probability=0.3,
        search_area_pipes=("p257", "p258"),
        search_area_km=0.4,
    )
    book.localize(
        "E001",
        29 * HOUR,
        "refined",
        pipe="p260",
        probability=0.5,
        search_area_pipes=("p260",),
        search_area_km=0.1,
    )
    row = book.to_frame(ORIGIN).iloc[0]
    assert (row["state"], row["pipe"], row["search_area_pipes"]) == ("localized", "p260", "p260")
    assert book["E001"].locations == [(5 * HOUR, "p257"), (29 * HOUR, "p260")]


def test_empty_book_gives_empty_table_with_columns():
    """With no events the table still has its columns, so reports can be written."""
    frame = EventBook().to_frame(ORIGIN)
    assert frame.empty and list(frame.columns)[:5] == [
        "event_id",
        "detected_at",
        "start_estimate",
        "flow_m3h",
        "area",
    ]
