"""A scenario made concrete against its network: times in seconds, leaks, sensors, faults.

:func:`plan_run` is where a scenario meets its network: every node, pipe, sensor and zone id
must exist and every time must fall inside the run, else a
:class:`~twin.scenario.validate.ScenarioError` names the key path, the value and what is
allowed. ``load_scenario`` calls it to check a file; the runner calls it to run one.

The run's time axis: second 0 (the *origin*) is ``run.history_days`` before ``run.start``;
the twin learns from ``[0, watch_start_s)`` and watches ``[watch_start_s, end_s]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from twin.feeds.faults import Bias, Drift, Dropout, FaultRates, SensorFault, Stuck
from twin.hydraulics.leaks import Leak
from twin.network.areas import NetworkAreas
from twin.network.sensors import SensorLayout, read_sensor_layout, sidecar_layout
from twin.plant.runner import FAULT_SIZES, PlantUncertainty
from twin.scenario.generate import PlantSetup
from twin.scenario.schema import FaultEntry, LeakEntry, Scenario
from twin.scenario.times import time_seconds
from twin.scenario.validate import ScenarioError

__all__ = ["RunPlan", "plan_run", "scenario_layout"]

DAY_S = 86_400
LAYOUT_FILES = ("layout.csv", "sensors.csv")
"""Names of the layout file looked for in a ``twin place`` result folder, in this order."""
_KIND_OF_LAYOUT = {
    "pressure": "pressure",
    "flow": "flow",
    "level": "tank_level",
    "amr": "amr_demand",
}
_NOISE_KEY = {"pressure": "pressure_m", "flow": "flow_m3h", "level": "level_m", "amr": "amr_lh"}


@dataclass(frozen=True)
class RunPlan:
    """A scenario resolved against its network (see the module docstring).

    Attributes
    ----------
    inp : Path
        The nominal model's .inp file.
    origin : pandas.Timestamp
        Wall-clock time of second 0, the history's first instant.
    watch_start_s, end_s : int
        Start of the watch and end of the run, s since the origin (multiples of the step).
    setup : PlantSetup
        The plant's sensors, leaks, faults, instruments and channels.
    drawn_leaks : int
        How many of ``setup.leaks`` were drawn from the seed.
    """

    inp: Path
    origin: pd.Timestamp
    watch_start_s: int
    end_s: int
    setup: PlantSetup
    drawn_leaks: int

    @property
    def layout(self) -> SensorLayout:
        """The instruments."""
        return self.setup.layout


def plan_run(scenario: Scenario, source: str = "") -> RunPlan:
    """Resolve ``scenario`` against its network, checking every id and time.

    Parameters
    ----------
    scenario : Scenario
    source : str
        The scenario file, for messages.

    Raises
    ------
    ScenarioError
    """
    from twin.network import load, network_areas

    def fail(path: str, value: object, allowed: str) -> ScenarioError:
        where = f"{source}: {path}" if source else path
        return ScenarioError(f"{where} = {value!r}: {allowed}")

    inp, origin, watch_start, end = _run_clock(scenario, fail)
    _check_ranges(scenario, fail)
    wn = load(inp)
    layout = scenario_layout(scenario, inp, source)
    try:
        layout.check_against(set(wn.node_name_list), set(wn.link_name_list), set(wn.tank_name_list))
    except ValueError as error:
        raise fail("sensors.layout", scenario.sensors.layout, str(error)) from None
    areas = network_areas(inp, wn, layout.flow)

    def seconds(path: str, text: str, *, bounded: bool = True) -> int:
        t = time_seconds(text, origin, watch_start)
        if t < 0 or (bounded and t > end):
            last = origin + pd.Timedelta(seconds=end)
            allowed = f"{origin} .. {last}" if bounded else f"{origin} or later"
            raise fail(path, text, f"outside the run, expected {allowed}")
        return t

    leaks = [_leak(k, e, wn, seconds, fail) for k, e in enumerate(scenario.leaks)]
    drawn = _drawn_leaks(scenario, wn, areas, seconds, fail, {lk.site for lk in leaks})
    lost = scenario.feeds.amr_batch_lost
    setup = PlantSetup(
        layout,
        [*leaks, *drawn],
        _uncertainty(scenario),
        _demand_model(scenario, fail),
        _random_faults(scenario.sensors.faults_per_year),
        _faults(scenario.faults, layout, seconds, end, fail),
        _instruments(scenario),
        _channels(scenario),
        tuple(seconds(f"feeds.amr_batch_lost.{k}", t) for k, t in enumerate(lost)),
    )
    return RunPlan(inp, origin, watch_start, end, setup, len(drawn))


def _run_clock(scenario: Scenario, fail) -> tuple[Path, pd.Timestamp, int, int]:
    """The network file, the origin, the watch's start and the run's end (s) of ``[run]``."""
    from twin.network import resolve_network

    run = scenario.run
    step = run.step_s
    if step <= 0 or step % 60 or DAY_S % step:
        raise fail("run.step_s", step, "expected whole minutes that divide a day (e.g. 300)")
    if run.history_days < 1:
        raise fail("run.history_days", run.history_days, "the twin needs at least 1 day")
    if run.duration_days * DAY_S < step:
        raise fail("run.duration_days", run.duration_days, "expected at least one step")
    try:
        inp = resolve_network(run.network)
    except (ValueError, FileNotFoundError, LookupError) as error:
        raise fail("run.network", run.network, str(error)) from None
    watch_start = round(run.history_days * DAY_S / step) * step
    end = watch_start + round(run.duration_days * DAY_S / step) * step
    origin = pd.Timestamp(run.start) - pd.Timedelta(seconds=watch_start)
    return inp, origin, watch_start, end


def scenario_layout(scenario: Scenario, inp: Path, source: str = "") -> SensorLayout:
    """The sensor layout a scenario asks for (``sensors.layout``), not yet checked by id."""
    sensors = scenario.sensors
    where = f"{source}: sensors.layout" if source else "sensors.layout"
    lists = {k: getattr(sensors, k) for k in ("pressure", "flow", "tank_level", "amr_demand")}
    if sensors.layout == "list":
        if not any(lists.values()):
            raise ScenarioError(
                f"{where} = 'list': give at least one of sensors.pressure, sensors.flow, "
                "sensors.tank_level, sensors.amr_demand"
            )
        return SensorLayout(**lists)
    given = [f"sensors.{k}" for k, v in lists.items() if v]
    if given:
        raise ScenarioError(
            f'{where} = {sensors.layout!r}: {", ".join(given)} are only read with layout = "list"'
        )
    if sensors.layout == "bundled":
        layout = sidecar_layout(inp)
        if layout is None:
            raise ScenarioError(
                f"{where} = 'bundled': {inp.stem} has no bundled layout ({inp.stem}.sensors.csv); "
                'use layout = "list" with sensor lists, or a layout CSV path'
            )
        return layout
    path = Path(sensors.layout)
    if path.is_dir():
        found = [path / name for name in LAYOUT_FILES if (path / name).is_file()]
        if not found:
            raise ScenarioError(
                f"{where} = {sensors.layout!r}: a folder without {' or '.join(LAYOUT_FILES)}"
            )
        path = found[0]
    if not path.is_file():
        raise ScenarioError(
            f'{where} = {sensors.layout!r}: no such file; expected "bundled", "list", a '
            "layout CSV or a `twin place` result folder"
        )
    return read_sensor_layout(path)


def _leak(k: int, entry: LeakEntry, wn, seconds, fail) -> Leak:
    path = f"leaks.{k}"
    if bool(entry.pipe) == bool(entry.junction):
        raise fail(path, {"pipe": entry.pipe, "junction": entry.junction}, "give pipe or junction")
    if entry.pipe and entry.pipe not in wn.pipe_name_list:
        raise fail(f"{path}.pipe", entry.pipe, "no such pipe in the network")
    if entry.junction and entry.junction not in wn.junction_name_list:
        raise fail(f"{path}.junction", entry.junction, "no such junction in the network")
    if not 0 < entry.diameter_mm < 2000:
        raise fail(f"{path}.diameter_mm", entry.diameter_mm, "expected 0 < diameter < 2000 mm")
    kind = entry.kind or ("incipient" if entry.peak else "abrupt")
    if (kind == "incipient") != bool(entry.peak):
        raise fail(f"{path}.kind", kind, "an incipient leak needs `peak`, an abrupt one has none")
    start = seconds(f"{path}.start", entry.start)
    # a leak may still be growing when the run ends
    peak = seconds(f"{path}.peak", entry.peak, bounded=False) if entry.peak else None
    end = seconds(f"{path}.end", entry.end) if entry.end else None
    if peak is not None and peak <= start:
        raise fail(f"{path}.peak", entry.peak, "expected after the leak's start")
    if end is not None and end <= (peak or start):
        raise fail(f"{path}.end", entry.end, "expected after the leak's start and peak")
    site = entry.pipe or entry.junction
    return Leak(
        site,
        entry.diameter_mm / 1000.0,
        start_s=start,
        peak_s=peak,
        end_s=end,
        position=entry.position,
        on="pipe" if entry.pipe else "junction",
        leak_id=f"leak_{site}"[:31],
    )


def _drawn_leaks(scenario, wn, areas: NetworkAreas, seconds, fail, taken) -> list[Leak]:
    """``leak_draw.count`` leaks from the run's seed (a stream apart from the plant's)."""
    from twin.evaluate.cases import leak_pipes

    draw, run = scenario.leak_draw, scenario.run
    if draw.count == 0:
        return []
    if draw.count < 0:
        raise fail("leak_draw.count", draw.count, "expected 0 or more")
    low, high = draw.diameters_mm
    if not 0 < low <= high < 2000:
        raise fail("leak_draw.diameters_mm", list(draw.diameters_mm), "expected 0 < low <= high")
    names = [a.name for a in areas]
    for k, zone in enumerate(draw.zones):
        if zone not in names:
            raise fail(f"leak_draw.zones.{k}", zone, f"no such zone; zones: {', '.join(names)}")
    watch = seconds("run.start", run.start)
    if draw.window and len(draw.window) != 2:
        raise fail("leak_draw.window", list(draw.window), "expected [first, last] or []")
    first, last = (
        [seconds(f"leak_draw.window.{k}", t) for k, t in enumerate(draw.window)]
        if draw.window
        else [watch, seconds("run.duration_days", f"+{run.duration_days:g}d")]
    )
    if last < first:
        raise fail("leak_draw.window", list(draw.window), "expected first <= last")
    zone_of = {j: a.name for a in areas for j in a.junctions}
    pipes = [
        p
        for p in leak_pipes(wn, areas)
        if p not in taken
        and (not draw.zones or zone_of[wn.get_link(p).start_node_name] in draw.zones)
    ]
    if len(pipes) < draw.count:
        raise fail("leak_draw.count", draw.count, f"only {len(pipes)} pipe(s) to draw from")
    rng = np.random.default_rng([run.seed, 2020])
    leaks = []
    for pipe in rng.choice(pipes, size=draw.count, replace=False).tolist():
        start = first + int(rng.integers(0, (last - first) // 3600 + 1)) * 3600
        incipient = bool(rng.random() < draw.incipient_share)
        growth = round(float(rng.uniform(*draw.growth_days)) * 24) * 3600
        diameter = round(float(rng.uniform(low, high)), 1)
        leaks.append(
            Leak(
                pipe,
                min(max(diameter, low), high) / 1000.0,
                start_s=start,
                peak_s=start + max(growth, 3600) if incipient else None,
                on="pipe",
                leak_id=f"leak_{pipe}"[:31],
            )
        )
    return leaks


def _faults(entries, layout: SensorLayout, seconds, end: int, fail) -> dict[str, list[SensorFault]]:
    placed: dict[str, list[SensorFault]] = {}
    for k, entry in enumerate(entries):
        path = f"faults.{k}"
        kind = _fault_instrument(path, entry, layout, fail)
        start = seconds(f"{path}.start", entry.start)
        stop = seconds(f"{path}.end", entry.end) if entry.end else end + 1
        if stop <= start:
            raise fail(f"{path}.end", entry.end, "expected after the fault's start")
        if entry.kind != "offset" and entry.offset:
            raise fail(f"{path}.offset", entry.offset, "only read for kind = 'offset'")
        if entry.kind != "drift" and entry.rate_per_day:
            raise fail(f"{path}.rate_per_day", entry.rate_per_day, "only read for kind = 'drift'")
        if entry.kind == "offset" and not entry.offset:
            raise fail(f"{path}.offset", entry.offset, "an offset fault needs a non-zero offset")
        if entry.kind == "drift" and not entry.rate_per_day:
            raise fail(f"{path}.rate_per_day", 0.0, "a drift fault needs a non-zero rate_per_day")
        placed_fault = _placed_fault(entry, start, stop)
        placed.setdefault(kind, []).append(placed_fault)
    return placed


def _placed_fault(entry: FaultEntry, start: int, stop: int) -> SensorFault:
    """The sensor fault of a ``[[faults]]`` entry, acting during ``[start, stop)`` s."""
    window = (entry.sensor, start, stop)
    if entry.kind == "stuck":
        return Stuck(*window)
    if entry.kind == "gap":
        return Dropout(*window)
    if entry.kind == "offset":
        return Bias(*window, offset=entry.offset)
    return Drift(*window, rate_per_day=entry.rate_per_day)


def _fault_instrument(path: str, entry: FaultEntry, layout: SensorLayout, fail) -> str:
    """The instrument kind of a fault's sensor (given, or the one kind carrying that id)."""
    carrying = [k for k, lk in _KIND_OF_LAYOUT.items() if entry.sensor in getattr(layout, lk)]
    if entry.instrument:
        if entry.instrument not in carrying:
            raise fail(f"{path}.sensor", entry.sensor, f"no {entry.instrument} sensor with this id")
        return entry.instrument
    if not carrying:
        raise fail(f"{path}.sensor", entry.sensor, "no sensor of the layout has this id")
    if len(carrying) > 1:
        raise fail(f"{path}.instrument", "", f"the id carries {' and '.join(carrying)}: say which")
    return carrying[0]


def _check_ranges(scenario: Scenario, fail) -> None:
    """Shares, half-widths and ranges that the plant and the channels would refuse later."""
    plant, feeds = scenario.plant, scenario.feeds
    for name in ("roughness", "diameter", "base_demand"):
        if not 0 <= getattr(plant, name) < 0.5:
            raise fail(f"plant.{name}", getattr(plant, name), "expected 0 <= half-width < 0.5")
    for name in ("scada_lost_poll_rate", "amr_late_rate", "amr_missing_rate"):
        if not 0 <= getattr(feeds, name) <= 1:
            raise fail(f"feeds.{name}", getattr(feeds, name), "expected a chance in [0, 1]")
    for name in ("scada_latency_s", "amr_delay_s"):
        low, high = getattr(feeds, name)
        if not 0 <= low <= high:
            raise fail(f"feeds.{name}", [low, high], "expected [low, high] with 0 <= low <= high")
    step = scenario.run.step_s
    if feeds.amr_upload_period_s <= 0 or feeds.amr_upload_period_s % step:
        raise fail(
            "feeds.amr_upload_period_s", feeds.amr_upload_period_s, f"expected a multiple of {step}"
        )
    for section in ("noise", "resolution"):
        values = vars(getattr(scenario.sensors, section))
        for key, value in values.items():
            if value < 0:
                raise fail(f"sensors.{section}.{key}", value, "expected 0 or more")
    if scenario.sensors.faults_per_year < 0:
        raise fail("sensors.faults_per_year", scenario.sensors.faults_per_year, "expected >= 0")


def _uncertainty(scenario: Scenario) -> PlantUncertainty:
    plant = scenario.plant
    if not plant.uncertainty:
        return PlantUncertainty(0.0, 0.0, 0.0)
    return PlantUncertainty(plant.roughness, plant.diameter, plant.base_demand)


def _demand_model(scenario: Scenario, fail):
    from twin.plant.demand import DemandModel

    try:
        return DemandModel(**vars(scenario.plant.demand))
    except ValueError as error:
        raise fail("plant.demand", scenario.plant.demand, str(error)) from None


def _random_faults(per_year: float) -> dict[str, FaultRates] | None:
    if per_year <= 0:
        return None
    return {kind: FaultRates.all_on(per_year, size) for kind, size in FAULT_SIZES.items()}


def _instruments(scenario: Scenario) -> dict[str, dict[str, float]]:
    noise, resolution = scenario.sensors.noise, scenario.sensors.resolution
    return {
        kind: {"noise_std": getattr(noise, key), "resolution": getattr(resolution, key)}
        for kind, key in _NOISE_KEY.items()
    }


def _channels(scenario: Scenario) -> dict[str, dict]:
    feeds = scenario.feeds
    return {
        "scada": {
            "latency": tuple(feeds.scada_latency_s),
            "lost_poll_rate": feeds.scada_lost_poll_rate,
        },
        "ami": {
            "upload_period": feeds.amr_upload_period_s,
            "delay": tuple(feeds.amr_delay_s),
            "late_rate": feeds.amr_late_rate,
            "missing_rate": feeds.amr_missing_rate,
        },
    }
