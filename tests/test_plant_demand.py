"""Tests of twin.plant.demand: the stochastic junction demands the plant feeds the engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wntr

from twin.plant.demand import (
    PROFILES,
    DemandModel,
    StochasticDemand,
    base_demand_by_source,
    consumer_type_of,
    junction_demands,
)

NETWORKS = Path(__file__).resolve().parents[1] / "networks"
MONDAY = pd.Timestamp("2018-01-01")  # BattLeDIM's origin, a Monday
DAY = 86_400
STEPS_PER_DAY = 288
QUIET = DemandModel(noise_std=0.0, daily_level_std=0.0, seasonal_amplitude=0.0)
"""Deterministic settings: the pure consumer-type shapes."""


@pytest.fixture(scope="module")
def ltown() -> wntr.network.WaterNetworkModel:
    """BattLeDIM's L-Town (782 junctions, residential/commercial/industrial patterns)."""
    return wntr.network.WaterNetworkModel(str(NETWORKS / "L-TOWN.inp"))


@pytest.fixture(scope="module")
def net1() -> wntr.network.WaterNetworkModel:
    """EPANET's Net1 (9 junctions, one pattern named "1": residential by default)."""
    return wntr.network.WaterNetworkModel(str(NETWORKS / "Net1.inp"))


def _daily_totals(q: np.ndarray) -> np.ndarray:
    """Town consumption of each day, m³ (q in m³/s at 300 s steps)."""
    return q.sum(axis=1).reshape(-1, STEPS_PER_DAY).sum(axis=1) * 300.0


def test_same_seed_gives_same_demands(ltown):
    """The same seed reproduces the demands exactly; another seed gives other demands."""
    first = junction_demands(ltown, start_s=0, n_steps=96, origin=MONDAY, seed=1)
    again = junction_demands(ltown, start_s=0, n_steps=96, origin=MONDAY, seed=1)
    other = junction_demands(ltown, start_s=0, n_steps=96, origin=MONDAY, seed=2)
    assert first.shape == (96, ltown.num_junctions)
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)


def test_day_blocks_equal_one_block(ltown):
    """Three days asked as day blocks, as odd-sized blocks or at once give the same numbers."""
    demand = StochasticDemand(ltown, origin=MONDAY, seed=3)
    whole = demand.block(0, 3 * STEPS_PER_DAY)
    by_day = np.vstack([block for _, block in demand.days(0, 3)])
    uneven = np.vstack([demand.block(s, 7) for s in range(0, 3 * DAY, 7 * 300)])[: len(whole)]
    late = demand.block(2 * DAY + 600, 10)
    assert np.array_equal(whole, by_day)
    assert np.array_equal(whole, uneven)
    assert np.array_equal(whole[2 * STEPS_PER_DAY + 2 : 2 * STEPS_PER_DAY + 12], late)


def test_demands_are_non_negative(ltown):
    """No junction ever has a negative demand, even with strong noise."""
    model = DemandModel(noise_std=1.0, daily_level_std=0.5)
    q = junction_demands(ltown, model, start_s=0, n_steps=STEPS_PER_DAY, origin=MONDAY, seed=4)
    assert (q >= 0).all()


def test_residential_night_use_is_below_day_mean(net1):
    """Residential use between 02:00 and 04:00 is well below the day's mean (minimum night flow)."""
    q = junction_demands(net1, start_s=0, n_steps=7 * STEPS_PER_DAY, origin=MONDAY, seed=5)
    town = q.sum(axis=1).reshape(7, STEPS_PER_DAY)
    night = town[:, 24:48]  # 02:00-04:00 at 5-min steps
    assert night.mean() < 0.5 * town.mean()


def test_weekend_shape_differs_from_weekday(net1):
    """Saturday's residential day has a later morning peak than Monday's."""
    q = junction_demands(net1, QUIET, start_s=0, n_steps=7 * STEPS_PER_DAY, origin=MONDAY, seed=6)
    town = q.sum(axis=1).reshape(7, STEPS_PER_DAY)
    monday, saturday = town[0], town[5]
    assert np.abs(saturday - monday).max() > 0.2 * monday.mean()
    assert np.argmax(saturday[:144]) > np.argmax(monday[:144])  # morning peak (before noon)


def test_time_of_day_follows_origin_wall_clock(net1):
    """A run starting at noon sees at its second 0 what a midnight run sees at 12:00."""
    midnight = junction_demands(net1, QUIET, start_s=DAY // 2, n_steps=5, origin=MONDAY, seed=7)
    noon = junction_demands(
        net1, QUIET, start_s=0, n_steps=5, origin=MONDAY + pd.Timedelta(hours=12), seed=7
    )
    np.testing.assert_allclose(noon, midnight, rtol=1e-12)


def test_long_run_mean_equals_base_demand(net1):
    """Over a year the mean demand of each junction is its base demand within 3%."""
    demand = StochasticDemand(net1, origin=MONDAY, seed=8)
    totals = sum(block.sum(axis=0) for _, block in demand.days(0, 364))
    mean = totals / (364 * STEPS_PER_DAY)
    base = demand.base_demand.to_numpy()
    has_demand = base > 0
    np.testing.assert_allclose(mean[has_demand], base[has_demand], rtol=0.03)


def test_patterns_mode_reproduces_epanet_demands(ltown):
    """In "patterns" mode without randomness the demand is WNTR's base × pattern at each time."""
    model = DemandModel(
        shapes="patterns", noise_std=0.0, daily_level_std=0.0, seasonal_amplitude=0.0
    )
    demand = StochasticDemand(ltown, model, origin=MONDAY, seed=9)
    times = [0, 3 * 3600, 8 * 3600 + 300, 5 * DAY + 12 * 3600]
    for t in times:
        expected = [ltown.get_node(j).demand_timeseries_list.at(t) for j in demand.junction_names]
        np.testing.assert_allclose(demand.block(t, 1)[0], expected, rtol=1e-12, atol=1e-15)


def test_patterns_mode_long_run_mean_follows_patterns(ltown):
    """With L-Town's real patterns, two weeks of noisy demand average to base × mean pattern."""
    model = DemandModel(shapes="patterns", daily_level_std=0.0, seasonal_amplitude=0.0)
    demand = StochasticDemand(ltown, model, origin=MONDAY, seed=10)
    town = sum(block.sum() for _, block in demand.days(0, 14)) / (14 * STEPS_PER_DAY)
    by_pattern = base_demand_by_source(ltown, "patterns")
    expected = sum(
        by_pattern[p].sum() * ltown.get_pattern(p).multipliers.mean() for p in by_pattern
    )
    assert town == pytest.approx(expected, rel=0.01)


def test_daily_totals_wander_with_daily_level(net1):
    """Weekday totals vary from day to day with the AR(1) level and not at all without it."""
    steady = DemandModel(noise_std=0.0, daily_level_std=0.0, seasonal_amplitude=0.0)
    wandering = DemandModel(noise_std=0.0, daily_level_std=0.05, seasonal_amplitude=0.0)
    weekdays = np.array([d % 7 < 5 for d in range(28)])
    totals = {}
    for name, model in (("steady", steady), ("wandering", wandering)):
        q = junction_demands(
            net1, model, start_s=0, n_steps=28 * STEPS_PER_DAY, origin=MONDAY, seed=11
        )
        daily = _daily_totals(q)[weekdays]
        totals[name] = daily.std() / daily.mean()
    assert totals["steady"] < 1e-12
    assert 0.01 < totals["wandering"] < 0.15


def test_summer_demand_exceeds_winter_demand(net1):
    """With the default seasonality a July week uses about 20% more water than a January week."""
    model = DemandModel(noise_std=0.0, daily_level_std=0.0)
    demand = StochasticDemand(net1, model, origin=MONDAY, seed=12)
    winter = demand.block(0, 7 * STEPS_PER_DAY).sum()
    summer = demand.block(196 * DAY, 7 * STEPS_PER_DAY).sum()
    assert summer / winter == pytest.approx(1.1 / 0.9, rel=0.02)


def test_consumer_types_follow_pattern_names(ltown):
    """L-Town's demand splits by pattern name into residential, commercial and industrial."""
    assert consumer_type_of("P-Residential") == "residential"
    assert consumer_type_of("p-COMMERCIAL") == "commercial"
    assert consumer_type_of("Industry_2") == "industrial"
    assert consumer_type_of(None) == "residential"
    by_type = base_demand_by_source(ltown)
    assert list(by_type.columns) == list(PROFILES)
    assert by_type.loc["n1", "industrial"] > 0 and by_type.loc["n1", "residential"] == 0
    # L-Town's three patterns carry 106, 66.6 and 3.9 m³/h of base demand
    np.testing.assert_allclose(by_type.sum().to_numpy() * 3600, [106.085, 66.555, 3.938], rtol=1e-3)


def test_consumer_type_override_moves_junction_demand(ltown):
    """A mapping overrides the type read from pattern names and keeps the junction's total."""
    by_type = base_demand_by_source(ltown, consumer_types={"n1": "commercial"})
    assert by_type.loc["n1", "industrial"] == 0
    assert by_type.loc["n1"].sum() == pytest.approx(0.66024 / 3600)


def test_bad_settings_are_refused(ltown):
    """Out-of-range settings, unknown junctions or types and misaligned steps raise clearly."""
    with pytest.raises(ValueError, match="noise_std"):
        DemandModel(noise_std=-0.1)
    with pytest.raises(ValueError, match="daily_level_persistence"):
        DemandModel(daily_level_persistence=1.0)
    with pytest.raises(KeyError, match="nX"):
        base_demand_by_source(ltown, consumer_types={"nX": "residential"})
    with pytest.raises(ValueError, match="hospital"):
        base_demand_by_source(ltown, consumer_types={"n1": "hospital"})
    demand = StochasticDemand(ltown, origin=MONDAY, seed=1)
    with pytest.raises(ValueError, match="multiple of step_s"):
        demand.block(150, 2)
