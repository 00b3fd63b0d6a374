"""Leaks in the stepwise engine: the orifice law, mass balance, profiles, changes mid-run."""

import math

import numpy as np
import pytest

from twin.hydraulics import HydraulicEngine, Leak, PressureDependentDemand, emitter_coefficients
from twin.hydraulics.leaks import GRAVITY

HOUR = 3600


def reservoir_supply(engine: HydraulicEngine, state) -> float:
    """Water the reservoirs put into the network, m³/s."""
    return -sum(state.demand[engine.node_ids.index(r)] for r in engine.reservoir_ids)


def test_leak_outflow_follows_orifice_equation():
    """q = Cd·A·sqrt(2·g·p) at the pressure the engine simulated at the leak node."""
    leak = Leak("12", diameter_m=0.05, discharge_coefficient=0.75, on="junction")
    with HydraulicEngine("Hanoi", leaks=[leak]) as engine:
        state = engine.step()
        pressure = state.pressure[engine.node_ids.index("12")]
    expected = 0.75 * math.pi * 0.05**2 / 4 * math.sqrt(2 * GRAVITY * pressure)
    assert state.leak_outflow[0] == pytest.approx(expected, rel=1e-9)
    assert state.leak_outflow[0] > 0.01


def test_leak_raises_source_inflow_by_its_outflow():
    """With demand-driven analysis the reservoir supplies exactly the leak's outflow more."""
    with HydraulicEngine("Hanoi") as plain:
        before = plain.step()
        supply_before = reservoir_supply(plain, before)
    with HydraulicEngine("Hanoi", leaks=[Leak("8", diameter_m=0.08, on="junction")]) as leaky:
        after = leaky.step()
        supply_after = reservoir_supply(leaky, after)
    assert supply_after - supply_before == pytest.approx(after.leak_outflow[0], abs=1e-6)


def test_leak_lowers_pressures_most_near_it():
    """Every junction loses pressure; the leak node and its neighbour lose the most."""
    with HydraulicEngine("Hanoi") as plain:
        before = plain.step().pressure
    with HydraulicEngine("Hanoi", leaks=[Leak("20", diameter_m=0.08, on="junction")]) as leaky:
        after = leaky.step().pressure
        ids = leaky.node_ids
    drop = before - after
    junctions = [i for i, n in enumerate(ids) if n != "1"]
    assert np.all(drop[junctions] > 0)
    assert ids[int(np.argmax(drop))] in {"20", "21", "22", "23"}


def test_leak_on_pipe_splits_it_at_the_leak_point():
    """A pipe leak adds a node part-way along; flows on the two parts differ by the outflow."""
    pipe_leak = Leak("8", diameter_m=0.05, position=0.25, leak_id="Lp", on="pipe")
    with HydraulicEngine("Hanoi", leaks=[pipe_leak]) as engine:
        state = engine.step()
        assert "Lp" in engine.node_ids
        first = state.flow[engine.link_ids.index("8")]
        second = state.flow[engine.link_ids.index("8.Lp")]
    assert abs(first) - abs(second) == pytest.approx(state.leak_outflow[0], abs=1e-9)


def test_incipient_leak_ramps_to_its_peak_and_repaired_leak_stops():
    """Area grows linearly from start to peak, then holds, and is zero after the repair."""
    leak = Leak("p1", diameter_m=0.02, start_s=HOUR, peak_s=3 * HOUR, end_s=5 * HOUR)
    full = 0.75 * math.pi * 0.02**2 / 4 * math.sqrt(2 * GRAVITY)
    at = {t: emitter_coefficients([leak], t * HOUR)[0] for t in (0, 1, 2, 3, 4, 5, 6)}
    assert at[0] == at[1] == 0.0
    assert at[2] == pytest.approx(full / 2)
    assert at[3] == pytest.approx(full) and at[4] == pytest.approx(full)
    assert at[5] == at[6] == 0.0
    assert leak.kind == "incipient"


def test_abrupt_leak_runs_from_its_start_in_the_engine():
    """An abrupt leak has no outflow before its start and full outflow from it."""
    leak = Leak("12", diameter_m=0.03, start_s=2 * HOUR, on="junction")
    with HydraulicEngine("Hanoi", leaks=[leak], duration_s=4 * HOUR) as engine:
        flows = [s.leak_outflow[0] for s in engine.run(4)]
    assert flows[0] == flows[1] == 0.0
    assert flows[2] > 0.005 and flows[3] > 0.005


def test_resize_and_remove_a_leak_mid_run():
    """Resizing changes the outflow by the area ratio at the same pressure; removing stops it."""
    with HydraulicEngine(
        "Hanoi", leaks=[Leak("12", diameter_m=0.02, leak_id="a", on="junction")]
    ) as engine:
        small = engine.step()
        engine.resize_leak("a", 0.04)
        large = engine.step()
        engine.remove_leak("a")
        gone = engine.step()
    ratio = large.leak_outflow[0] / small.leak_outflow[0]
    pressure_ratio = math.sqrt(
        large.pressure[engine.node_ids.index("12")] / small.pressure[engine.node_ids.index("12")]
    )
    assert ratio == pytest.approx(4.0 * pressure_ratio, rel=1e-4)  # EPANET's convergence
    assert gone.leak_outflow[0] == 0.0


def test_pipe_leak_added_mid_run_matches_one_declared_from_the_start():
    """Adding a pipe leak at 6 h (solver reopened) gives the run a declared leak gives."""
    leak = Leak("p257", diameter_m=0.02, start_s=6 * HOUR)
    with HydraulicEngine("L-TOWN", leaks=[leak], duration_s=12 * HOUR) as declared:
        reference = list(declared.run(144))
        node_ids = declared.node_ids
    with HydraulicEngine("L-TOWN", duration_s=12 * HOUR) as engine:
        early = list(engine.run(72))
        ids_early = list(engine.node_ids)
        engine.add_leak(leak)
        late = list(engine.run(72))
    assert sorted(engine.node_ids) == sorted(node_ids)
    order = {
        "early": [node_ids.index(n) for n in ids_early],
        "late": [node_ids.index(n) for n in engine.node_ids],
    }
    for phase, ours, theirs in [
        ("early", s, r) for s, r in zip(early, reference[:72], strict=True)
    ] + [("late", s, r) for s, r in zip(late, reference[72:], strict=True)]:
        assert ours.time_s == theirs.time_s
        np.testing.assert_allclose(ours.tank_level, theirs.tank_level, atol=1e-4)
        np.testing.assert_allclose(ours.pressure, theirs.pressure[order[phase]], atol=1e-3)
    assert late[-1].leak_outflow[0] == pytest.approx(reference[-1].leak_outflow[0], rel=1e-4)


def test_ambiguous_leak_site_is_refused():
    """Hanoi's "8" is a junction and a pipe: the leak must say which."""
    with pytest.raises(ValueError, match="both a junction and a pipe"):
        HydraulicEngine("Hanoi", leaks=[Leak("8", diameter_m=0.01)])


def test_unknown_leak_site_is_refused():
    """A leak on a pipe or junction that is not in the network names the site."""
    with pytest.raises(KeyError, match="p99999"):
        HydraulicEngine("L-TOWN", leaks=[Leak("p99999", diameter_m=0.01)])


def test_pressure_dependent_demand_delivers_less_at_low_pressure():
    """With PDA requiring 60 m, Hanoi's low-pressure junctions get less than they ask for."""
    with HydraulicEngine("Hanoi") as demand_driven:
        full = demand_driven.step().demand
    pdd = PressureDependentDemand(minimum_m=0.0, required_m=60.0)
    with HydraulicEngine("Hanoi", pressure_dependent=pdd) as engine:
        state = engine.step()
        junctions = [engine.node_ids.index(j) for j in engine.junction_ids]
    short = state.pressure[junctions] < 60.0
    assert short.any()
    assert np.all(state.demand[junctions][short] < full[junctions][short])
    np.testing.assert_allclose(state.demand[junctions][~short], full[junctions][~short], rtol=1e-6)


def test_leak_not_yet_started_adds_nothing_to_its_node_demand():
    """Before its start (and after repair) a leak's node reports just its consumer demand."""
    with HydraulicEngine("Net1") as plain:
        expected = plain.step().demand
    leak = Leak("22", diameter_m=0.02, start_s=7200, on="junction")
    with HydraulicEngine("Net1", leaks=[leak]) as engine:
        state = engine.step()
    np.testing.assert_allclose(state.demand, expected, atol=1e-9)
    assert state.leak_outflow[0] == 0.0
