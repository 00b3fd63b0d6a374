"""Tests of twin.waterloss.uarl: unavoidable real losses and the infrastructure leakage index."""

from __future__ import annotations

import math

import pytest

from twin.waterloss.uarl import infrastructure_leakage_index, uarl_is_reliable, uarl_m3_per_day


def test_uarl_matches_the_iwa_formula_by_hand():
    """120 km of mains, 4000 connections, 2 km private pipe at 40 m: 165.6 m³/day."""
    # (18 * 120 + 0.8 * 4000 + 25 * 2) * 40 = (2160 + 3200 + 50) * 40 = 216 400 L/day
    assert uarl_m3_per_day(120.0, 4000, 2.0, 40.0) == pytest.approx(216.4)


def test_uarl_is_proportional_to_pressure():
    """Halving the average pressure halves the unavoidable losses."""
    assert uarl_m3_per_day(50.0, 3000, 0.0, 30.0) == pytest.approx(
        uarl_m3_per_day(50.0, 3000, 0.0, 60.0) / 2
    )


@pytest.mark.parametrize("bad", [(-1.0, 100, 0.0, 40.0), (10.0, -5, 0.0, 40.0),
                                 (10.0, 100, -0.1, 40.0), (10.0, 100, 0.0, -2.0),
                                 (math.nan, 100, 0.0, 40.0)])  # fmt: skip
def test_uarl_refuses_negative_network_data(bad):
    """Negative (or unknown) lengths, counts or pressures are refused."""
    with pytest.raises(ValueError):
        uarl_m3_per_day(*bad)


def test_uarl_reliability_needs_3000_connections_and_25_m():
    """A big network at 50 m is in range; a small DMA or a low-pressure zone is not."""
    assert uarl_is_reliable(5000, 50.0)
    assert not uarl_is_reliable(800, 50.0)
    assert not uarl_is_reliable(5000, 20.0)


def test_ili_is_real_losses_over_uarl():
    """Real losses of 865.6 m³/day against a UARL of 216.4 m³/day give an ILI of 4."""
    assert infrastructure_leakage_index(865.6, 216.4) == pytest.approx(4.0)


def test_ili_is_nan_when_uarl_is_zero():
    """A network without pressure has no ILI rather than an infinite one."""
    assert math.isnan(infrastructure_leakage_index(100.0, 0.0))
