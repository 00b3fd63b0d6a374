"""Tests of twin.waterloss.balance: the IWA water balance, its table and leak volumes."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from twin.waterloss.balance import WaterBalance, balance_table, leak_volume_m3, water_balance

MARCH = {"start": "2024-03-01", "end": "2024-03-31"}  # 30 days
SMALL_ZONE = {"average_pressure_m": 40.0, "mains_length_km": 20.0, "service_connections": 1000}


def leaking_zone(**overrides: float) -> WaterBalance:
    """A zone taking 1000 m³/day, billed 800 m³/day, with a 5 m³/h (120 m³/day) leak."""
    arguments = {
        "area": "DMA-1",
        **MARCH,
        **SMALL_ZONE,
        "system_input_m3": 30_000.0,
        "billed_metered_m3": 22_800.0,
        "billed_unmetered_m3": 1_200.0,
        "unbilled_authorised_fraction": 0.02,  # 20 m³/day of flushing
        "apparent_loss_fraction": 0.075,  # 60 m³/day of meter under-registration
        "mnf_m3h": 6.7,  # 5 m³/h leak + 1000 connections at 1.7 L/h
        "water_price_per_m3": 1.5,
    }
    return water_balance(**(arguments | overrides))


def test_hand_computed_balance_of_a_leaking_zone():
    """Input 1000, billed 800, flushing 20, apparent 60 m³/day leave the leak's 120 m³/day."""
    b = leaking_zone()
    assert b.days == 30.0
    assert b.unbilled_authorised_m3 == pytest.approx(600.0)
    assert b.authorised_m3 == pytest.approx(24_600.0)
    assert b.apparent_losses_m3 == pytest.approx(1_800.0)
    assert b.water_losses_m3 == pytest.approx(5_400.0)
    assert b.real_losses_m3 == pytest.approx(3_600.0)
    assert b.real_losses_m3_per_day == pytest.approx(120.0)
    assert b.nrw_m3 == pytest.approx(6_000.0) and b.nrw_percent == pytest.approx(20.0)


def test_balance_components_add_up():
    """Input = authorised + losses, losses = apparent + real, NRW = unbilled + losses."""
    b = leaking_zone()
    assert b.system_input_m3 == pytest.approx(b.authorised_m3 + b.water_losses_m3)
    assert b.water_losses_m3 == pytest.approx(b.apparent_losses_m3 + b.real_losses_m3)
    assert b.nrw_m3 == pytest.approx(b.unbilled_authorised_m3 + b.water_losses_m3)
    assert b.nrw_m3 == pytest.approx(b.system_input_m3 - b.billed_authorised_m3)


def test_uarl_ili_and_cost_of_the_leaking_zone():
    """UARL (18*20 + 0.8*1000)*40 L = 46.4 m³/day, so 120 m³/day is an ILI of 2.59."""
    b = leaking_zone()
    assert b.uarl_m3_per_day == pytest.approx(46.4)
    assert b.ili == pytest.approx(120.0 / 46.4)
    assert b.cost_of_real_losses == pytest.approx(5_400.0) and b.currency == "EUR"


def test_night_leakage_recovers_the_leak_flow():
    """MNF 6.7 m³/h minus 1.7 m³/h of night use is the 5 m³/h leak."""
    assert leaking_zone().night_leakage_m3h == pytest.approx(5.0)
    assert math.isnan(leaking_zone(mnf_m3h=math.nan).night_leakage_m3h)


def test_unestimated_fractions_count_as_real_losses():
    """Without estimates of flushing and apparent losses, all 200 m³/day are real losses."""
    b = leaking_zone(unbilled_authorised_fraction=0.0, apparent_loss_fraction=0.0)
    assert b.real_losses_m3_per_day == pytest.approx(200.0)


def test_overestimated_consumption_shows_as_negative_real_losses():
    """Billing more than entered the zone gives negative real losses, not zero."""
    b = leaking_zone(billed_metered_m3=31_000.0, billed_unmetered_m3=0.0)
    assert b.real_losses_m3 < 0 and b.nrw_m3 == pytest.approx(-1_000.0)
    assert b.ili < 0


@pytest.mark.parametrize(
    "bad",
    [
        {"end": "2024-03-01"},
        {"system_input_m3": -1.0},
        {"apparent_loss_fraction": 1.5},
        {"mnf_m3h": -2.0},
        {"average_pressure_m": -10.0},
    ],
)
def test_inconsistent_inputs_are_refused(bad):
    """An empty period, negative volumes or pressures and fractions above 1 are refused."""
    with pytest.raises(ValueError):
        leaking_zone(**bad)


def test_to_dict_is_json_ready():
    """The dict has text times, rounded numbers and None for a missing MNF."""
    d = leaking_zone(mnf_m3h=math.nan).to_dict()
    assert d["start"] == "2024-03-01 00:00:00" and d["end"] == "2024-03-31 00:00:00"
    assert d["mnf_m3h"] is None and d["night_leakage_m3h"] is None
    assert d["ili"] == 2.586 and d["service_connections"] == 1000
    assert json.loads(json.dumps(d, allow_nan=False)) == d


def test_balance_table_has_one_row_per_zone():
    """Two zones give two rows with the IWA columns in order."""
    table = balance_table([leaking_zone(), leaking_zone(area="DMA-2", system_input_m3=25_000.0)])
    assert list(table["area"]) == ["DMA-1", "DMA-2"]
    assert list(table.columns[:4]) == ["area", "start", "end", "days"]
    np.testing.assert_allclose(table["nrw_m3"], [6_000.0, 1_000.0])
    assert balance_table([]).empty and "ili" in balance_table([]).columns


def test_leak_volume_of_a_constant_leak_from_mid_period():
    """A 5 m³/h leak from noon on day 1 to the end of day 2 loses 180 m³."""
    t = pd.date_range("2024-03-01", "2024-03-03", freq="5min")
    flow = pd.Series(np.where(t >= "2024-03-01 12:00", 5.0, 0.0), index=t)
    assert leak_volume_m3(flow, pd.Timestamp("2024-03-01 12:00")) == pytest.approx(180.0)


def test_leak_volume_of_a_growing_leak_is_a_trapezoid():
    """A leak growing linearly from 0 to 10 m³/h over 2 hours loses 10 m³ (with a gap)."""
    t = pd.date_range("2024-03-01", periods=3, freq="h")
    flow = pd.Series([0.0, np.nan, 10.0], index=t)
    assert leak_volume_m3(flow, t[0]) == pytest.approx(10.0)
    assert leak_volume_m3(flow, t[0], end=t[0] + pd.Timedelta(hours=1)) == pytest.approx(2.5)


def test_leak_volume_refuses_an_end_before_its_start():
    """A repair before the leak started is refused."""
    t = pd.date_range("2024-03-01", periods=3, freq="h")
    with pytest.raises(ValueError):
        leak_volume_m3(pd.Series(1.0, index=t), t[2], end=t[0])
