"""The linearised network against perturbation runs of the engine itself.

Each check re-solves the same time step with a little more demand at one junction (and a
little less: central differences, so the network's curvature cancels) and compares the
pressure change per m³/s with the analytic sensitivity.
"""

from dataclasses import replace

import numpy as np
import pytest

from twin.hydraulics import HydraulicEngine, Leak, PressureDependentDemand
from twin.hydraulics.jacobian import ACTIVE, CLOSED, OPEN, head_response, linearise
from twin.network import networks_dir
from twin.network.sensors import read_sensor_layout

L_TOWN_SENSORS = list(read_sensor_layout(networks_dir() / "L-TOWN.sensors.csv").pressure)
# spread over L-Town: main zone (n660, n13, n398, n495), behind PRV-3 (n210), the pump (n54)
L_TOWN_CANDIDATES = ["n660", "n13", "n398", "n495", "n210", "n54"]
SIGNIFICANT = 1.0  # m per m³/s = 1e-3 m per L/s: smaller sensitivities are compared absolutely


def recorded_demands(network, steps: int, step_s: int) -> list[np.ndarray]:
    """Junction demands (m³/s) of the first ``steps`` steps of the file's patterns."""
    with HydraulicEngine(network, step_s=step_s) as engine:
        junctions = [engine.node_ids.index(j) for j in engine.junction_ids]
        return [engine.step().demand[junctions] for _ in range(steps)]


def replay(network, demands, step_s, extra=None, **options) -> tuple[HydraulicEngine, object]:
    """An engine (left open) run through ``demands``; ``extra`` = (junction, m³/s) at the end."""
    engine = HydraulicEngine(network, step_s=step_s, demands="arrays", **options)
    for i, demand in enumerate(demands):
        demand = demand.copy()
        if extra is not None and i == len(demands) - 1:
            demand[engine.junction_ids.index(extra[0])] += extra[1]
        state = engine.step(demand)
    return engine, state


def perturbation_columns(network, demands, step_s, candidates, dq, observed, **options):
    """Central differences dP/dq (m per m³/s) at ``observed`` node positions, one column each.

    dq is the outflow the junction really delivered more (read from the states), which also
    covers a network whose default pattern scales array demands.
    """
    columns = []
    for node in candidates:
        states = []
        for sign in (1.0, -1.0):
            engine, state = replay(network, demands, step_s, (node, sign * dq), **options)
            position = engine.node_ids.index(node)
            engine.close()
            states.append(state)
        delivered = states[0].demand[position] - states[1].demand[position]
        columns.append((states[0].pressure[observed] - states[1].pressure[observed]) / delivered)
    return np.column_stack(columns)


def assert_matches(analytic: np.ndarray, perturbed: np.ndarray, tolerance: float = 0.05) -> None:
    """Relative gap under ``tolerance`` where the sensitivity is significant, small elsewhere."""
    significant = np.abs(perturbed) > SIGNIFICANT
    assert significant.sum() >= analytic.shape[1], "too few significant sensitivities to judge"
    gap = np.abs(analytic - perturbed)
    assert np.max(gap[significant] / np.abs(perturbed[significant])) < tolerance
    assert np.max(gap[~significant], initial=0.0) < 0.1 * SIGNIFICANT


@pytest.fixture(scope="module")
def l_town():
    """L-Town at midnight: the analytic and perturbation sensitivities at the 33 sensors."""
    demands = recorded_demands("L-TOWN", 1, 300)
    engine, state = replay("L-TOWN", demands, 300)
    lin = linearise(engine, state)
    observed = [engine.node_ids.index(s) for s in L_TOWN_SENSORS]
    candidates = [engine.node_ids.index(c) for c in L_TOWN_CANDIDATES]
    analytic = head_response(lin, observed, candidates)
    engine.close()
    perturbed = perturbation_columns("L-TOWN", demands, 300, L_TOWN_CANDIDATES, 5e-4, observed)
    return lin, analytic, perturbed


def test_l_town_sensitivities_match_perturbation_runs(l_town):
    """At the 33 BattLeDIM sensors, every column is within 5% of the perturbation runs."""
    _, analytic, perturbed = l_town
    assert_matches(analytic, perturbed)


def test_l_town_prvs_are_active_and_hold_their_heads(l_town):
    """L-Town's three PRVs hold their settings at midnight; no link is closed."""
    lin, _, _ = l_town
    assert (lin.link_status == ACTIVE).sum() == 3
    assert (lin.link_status == CLOSED).sum() == 0


def test_a_leak_behind_a_prv_lowers_the_pressure_upstream(l_town):
    """Demand behind PRV-3 is drawn through it: the upstream sensor n229 sees it, as it should."""
    _, analytic, perturbed = l_town
    upstream = L_TOWN_SENSORS.index("n229")
    behind = L_TOWN_CANDIDATES.index("n210")
    assert analytic[upstream, behind] < -10.0  # m per m³/s: a pinned-head model would give 0
    assert analytic[upstream, behind] == pytest.approx(perturbed[upstream, behind], rel=0.05)


def test_net3_pumps_and_tanks_match_perturbation_runs():
    """Net3 at 02:00, both pumps running and three tanks: every node within 5%."""
    demands = recorded_demands("Net3", 3, 3600)
    engine, state = replay("Net3", demands, 3600)
    lin = linearise(engine, state)
    observed = np.arange(len(engine.node_ids))
    candidates = ["15", "141", "231", "35", "195"]
    analytic = head_response(lin, observed, [engine.node_ids.index(c) for c in candidates])
    pumps = [engine.link_ids.index(p) for p in engine.pump_ids]
    engine.close()
    assert (lin.link_status[pumps] == OPEN).all()
    perturbed = perturbation_columns("Net3", demands, 3600, candidates, 1e-4, observed)
    assert_matches(analytic, perturbed)


def test_pressure_dependent_demand_and_leak_match_perturbation_runs():
    """Net1 with PDD (partly delivered nodes) and a leak orifice: the slopes enter the matrix."""
    options = {
        "pressure_dependent": PressureDependentDemand(required_m=83.0),
        "leaks": [Leak("22", diameter_m=0.05, start_s=0, on="junction")],
    }
    demands = recorded_demands("Net1", 2, 3600)
    engine, state = replay("Net1", demands, 3600, **options)
    lin = linearise(engine, state)
    observed = np.arange(len(engine.node_ids))
    candidates = ["10", "11", "13", "23"]  # fully delivered: extra demand is extra outflow
    analytic = head_response(lin, observed, [engine.node_ids.index(c) for c in candidates])
    engine.close()
    assert (lin.outflow_slope > 0).sum() >= 5
    perturbed = perturbation_columns("Net1", demands, 3600, candidates, 1e-5, observed, **options)
    assert_matches(analytic, perturbed)


def rerated(network: str, formula: str, roughness: float, folder) -> object:
    """A copy of a bundled .inp file with another head loss formula and one pipe roughness."""
    lines, section = [], ""
    for line in (networks_dir() / f"{network}.inp").read_text().splitlines():
        fields = line.split()
        if line.startswith("["):
            section = line.strip().upper()
        elif section == "[OPTIONS]" and fields and fields[0].upper() == "HEADLOSS":
            line = f" Headloss {formula}"
        elif section == "[PIPES]" and len(fields) >= 6 and not line.lstrip().startswith(";"):
            fields[5] = str(roughness)
            line = " ".join(fields)
        lines.append(line)
    path = folder / f"{network}-{formula}.inp"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(("formula", "roughness"), [("D-W", 0.26), ("C-M", 0.012)])
def test_other_head_loss_formulas_match_perturbation_runs(tmp_path, formula, roughness):
    """Darcy-Weisbach (0.26 millifeet, Net3 being in US units) and Chezy-Manning: within 5%."""
    inp = rerated("Net3", formula, roughness, tmp_path)
    demands = recorded_demands(inp, 3, 3600)
    engine, state = replay(inp, demands, 3600)
    lin = linearise(engine, state)
    observed = np.arange(len(engine.node_ids))
    candidates = ["129", "179", "143", "239"]
    analytic = head_response(lin, observed, [engine.node_ids.index(c) for c in candidates])
    engine.close()
    perturbed = perturbation_columns(inp, demands, 3600, candidates, 1e-4, observed)
    assert_matches(analytic, perturbed)


def test_zone_behind_a_closed_pipe_follows_its_open_side(tmp_path):
    """Net3 (C-M) at 02:00: behind closed pipe 330, node 601 hangs on 61 and moves with it."""
    # EPANET reports pipe 333's flow as exactly 0, as it does for a closed link: it is open
    inp = rerated("Net3", "C-M", 0.012, tmp_path)
    engine, state = replay(inp, recorded_demands(inp, 3, 3600), 3600)
    lin = linearise(engine, state)
    dangling = engine.link_ids.index("333")
    assert state.flow[dangling] == 0.0
    assert lin.link_status[dangling] == OPEN
    assert lin.link_status[engine.link_ids.index("330")] == CLOSED
    observed = [engine.node_ids.index(n) for n in ("601", "61")]
    response = head_response(lin, observed, [engine.node_ids.index("143")])
    engine.close()
    assert response[0, 0] == pytest.approx(response[1, 0], rel=1e-6)
    assert response[0, 0] < -0.1


def test_a_state_that_did_not_converge_is_refused():
    """EPANET's last iterate is no operating point: linearising it is an error."""
    with HydraulicEngine("Net1", step_s=3600) as engine:
        state = replace(engine.step(), converged=False)
        with pytest.raises(ValueError, match="did not converge"):
            linearise(engine, state)
