"""The scenario schema: one frozen dataclass tree describing a whole planner run.

Each section of a scenario file (``[run]``, ``[plant]``, ``[[leaks]]``, ``[leak_draw]``,
``[sensors]``, ``[[faults]]``, ``[feeds]``, ``[twin]``, ``[outputs]``) is a frozen dataclass
whose fields are the section's keys; every field has a default, a unit and a sentence in its
``metadata`` (``doc``, ``unit``), from which ``scenarios/README.md`` is written. The tuning of
the plant's consumption and of the twin's detection and localization mirrors the settings
classes of :mod:`twin.plant`, :mod:`twin.detect` and :mod:`twin.localize` field by field
(:func:`mirror`), so a setting added there is a scenario key at once.

Times are text: an absolute timestamp (``"2018-03-01 02:00"``) or an offset from the start of
the watch (``"+26h"``, ``"+3d"``, ``"-2d"`` in the history); see :mod:`twin.scenario.times`.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field
from typing import Annotated, Any, Literal

from twin.detect.detector import DetectionSettings
from twin.localize.localizer import LocalizationSettings
from twin.plant.demand import DemandModel

__all__ = [
    "TIME",
    "DemandSection",
    "DetectionSection",
    "FaultEntry",
    "FeedsSection",
    "LeakDraw",
    "LeakEntry",
    "LocalizationSection",
    "NoiseSection",
    "OutputsSection",
    "PlantSection",
    "ResolutionSection",
    "RunSection",
    "Scenario",
    "SensorsSection",
    "TwinSection",
    "mirror",
    "to_dict",
]

TIME = "time"
"""Marker of a time field: ``Annotated[str, TIME]`` (absolute timestamp or ``+/-`` offset)."""

Time = Annotated[str, TIME]
INSTRUMENTS = ("pressure", "flow", "level", "amr")
"""Instrument kinds of the plant's banks (see :data:`twin.plant.FAULT_SIZES`)."""


def setting(default: Any = MISSING, doc: str = "", unit: str = "", **kw: Any) -> Any:
    """A schema field with its documentation (``doc``) and unit in the metadata."""
    if isinstance(default, list | dict):
        frozen = default
        return field(
            default_factory=lambda: type(frozen)(frozen), metadata={"doc": doc, "unit": unit}
        )
    return field(default=default, metadata={"doc": doc, "unit": unit}, **kw)


def _numpydoc_attributes(doc: str | None) -> dict[str, str]:
    """Attribute name to its first sentence, from a numpydoc ``Attributes`` section."""
    text = doc or ""
    found: dict[str, str] = {}
    lines = text.splitlines()
    for k, line in enumerate(lines):
        match = re.match(r"^\s{4}([a-z_][a-z0-9_, ]*) : .+$", line)
        if not match:
            continue
        words = []
        for following in lines[k + 1 :]:
            if not following.startswith(" " * 8):
                break
            words.append(following.strip())
        sentence = " ".join(words).split(". ")[0].rstrip(".")
        for name in match.group(1).split(","):
            found[name.strip()] = sentence
    return found


def mirror(settings: type, name: str, units: Mapping[str, str] | None = None) -> type:
    """A frozen schema dataclass with the fields, types and defaults of ``settings``.

    Mapping-typed fields become plain ``dict`` (picklable, TOML tables); the documentation of
    each field is the first sentence of its entry in the class's numpydoc ``Attributes``.

    Parameters
    ----------
    settings : type
        A dataclass whose every field has a default.
    name : str
        Name of the new class; it must be bound to that name in this module (pickling).
    units : mapping of str to str, optional
        Unit of each field that has one.
    """
    hints = typing.get_type_hints(settings)
    docs = _numpydoc_attributes(settings.__doc__)
    units = units or {}
    specs = []
    for f in dataclasses.fields(settings):
        if not f.init:
            continue
        default = f.default if f.default is not MISSING else f.default_factory()
        kind = hints[f.name]
        if isinstance(default, Mapping):
            default, kind = dict(default), dict[str, float]
        specs.append((f.name, kind, setting(default, docs.get(f.name, ""), units.get(f.name, ""))))
    made = dataclasses.make_dataclass(name, specs, frozen=True)
    made.__module__ = __name__
    made.__doc__ = f"Mirror of :class:`{settings.__module__}.{settings.__name__}` (scenario keys)."
    made.settings_class = settings
    return made


DemandSection = mirror(DemandModel, "DemandSection", {"seasonal_peak_day": "day of year"})
DetectionSection = mirror(
    DetectionSettings,
    "DetectionSection",
    {"min_leak_m3h": "m³/h", "confirm_after_s": "s", "pressure_threshold": "", "grow_share": ""},
)
LocalizationSection = mirror(
    LocalizationSettings,
    "LocalizationSection",
    {"after_confirm_s": "s", "refine_after_s": "s", "before_s": "s", "same_leak_m": "m"},
)


@dataclass(frozen=True)
class RunSection:
    """``[run]``: what network, when, how long, which seed."""

    name: str = setting("", "name of the run; empty: the scenario file's stem")
    network: str = setting(
        "L-TOWN", "bundled network name or .inp path (relative to the scenario file)"
    )
    start: Time = setting(
        "2018-01-08 00:00", "first instant the twin watches (the history lies before it)", "time"
    )
    duration_days: float = setting(14.0, "days the twin watches", "d")
    history_days: float = setting(
        7.0, "days before `start` simulated for the twin to learn from (at least 1)", "d"
    )
    seed: int = setting(0, "seed of everything random in the run (same seed, same bytes)")
    step_s: int = setting(300, "hydraulic step and sensor reporting period", "s")


@dataclass(frozen=True)
class PlantSection:
    """``[plant]``: how far the hidden truth is from the utility's model, and its consumption."""

    uncertainty: bool = setting(
        True, "perturb roughness, diameters and base demands (false: the plant is the model)"
    )
    roughness: float = setting(0.10, "relative half-width of the roughness factors", "1")
    diameter: float = setting(0.10, "relative half-width of the diameter factors", "1")
    base_demand: float = setting(0.10, "relative half-width of the base demand factors", "1")
    demand: DemandSection = setting(DemandSection(), "stochastic consumption model")


@dataclass(frozen=True)
class LeakEntry:
    """``[[leaks]]``: one leak placed by the planner."""

    diameter_mm: float = setting(MISSING, "equivalent orifice diameter at full size", "mm")
    start: Time = setting(MISSING, "when the leak starts", "time")
    pipe: str = setting("", "pipe id (the leak sits part-way along it); or give `junction`")
    junction: str = setting("", "junction id (the leak is at the node); or give `pipe`")
    kind: Literal["", "abrupt", "incipient"] = setting(
        "", "abrupt (full size at once) or incipient (grows until `peak`); empty: from `peak`"
    )
    peak: Time = setting(
        "", "incipient leak: when it reaches full size (may be after the run's end)", "time"
    )
    end: Time = setting("", "when the leak is repaired; empty: never in the run", "time")
    position: float = setting(0.5, "where along the pipe, 0 start node .. 1 end node", "1")


@dataclass(frozen=True)
class LeakDraw:
    """``[leak_draw]``: leaks drawn from the run's seed on pipes inside metering zones."""

    count: int = setting(0, "number of leaks to draw (on distinct pipes)")
    diameters_mm: tuple[float, float] = setting(
        (8.0, 25.0), "smallest and largest diameter, uniform", "mm"
    )
    window: tuple[Time, ...] = setting(
        (), "[first, last] start time (whole hours); empty: the whole watch", "time"
    )
    incipient_share: float = setting(0.5, "chance that a drawn leak is incipient", "1")
    growth_days: tuple[float, float] = setting(
        (1.0, 4.0), "shortest and longest growth of an incipient leak", "d"
    )
    zones: tuple[str, ...] = setting((), "metering zones to draw in; empty: all")


@dataclass(frozen=True)
class NoiseSection:
    """``[sensors.noise]``: standard deviation of each instrument kind's Gaussian noise."""

    pressure_m: float = setting(0.05, "pressure loggers", "m")
    flow_m3h: float = setting(0.2, "flow meters", "m³/h")
    level_m: float = setting(0.005, "tank level gauges", "m")
    amr_lh: float = setting(1.0, "AMR consumption meters", "L/h")


@dataclass(frozen=True)
class ResolutionSection:
    """``[sensors.resolution]``: smallest step of a reported value per instrument kind."""

    pressure_m: float = setting(0.01, "pressure loggers", "m")
    flow_m3h: float = setting(0.01, "flow meters", "m³/h")
    level_m: float = setting(0.01, "tank level gauges", "m")
    amr_lh: float = setting(0.1, "AMR consumption meters", "L/h")


@dataclass(frozen=True)
class SensorsSection:
    """``[sensors]``: where the instruments are and how good they are."""

    layout: str = setting(
        "bundled",
        '"bundled" (NAME.sensors.csv beside the network), "list" (the lists below), a layout '
        "CSV (sensor_type,element_id) or a `twin place` result folder (its layout.csv)",
    )
    pressure: tuple[str, ...] = setting((), 'layout "list": nodes with a pressure logger')
    flow: tuple[str, ...] = setting((), 'layout "list": links with a flow meter')
    tank_level: tuple[str, ...] = setting((), 'layout "list": tanks with a level gauge')
    amr_demand: tuple[str, ...] = setting((), 'layout "list": junctions with an AMR meter')
    noise: NoiseSection = setting(NoiseSection(), "instrument noise")
    resolution: ResolutionSection = setting(ResolutionSection(), "instrument resolution")
    faults_per_year: float = setting(
        0.0, "random faults of every kind per sensor per year (0: only [[faults]])", "1/yr"
    )


@dataclass(frozen=True)
class FaultEntry:
    """``[[faults]]``: one sensor fault placed by the planner."""

    sensor: str = setting(MISSING, "sensor id (the node, link or tank it measures)")
    kind: Literal["stuck", "drift", "offset", "gap"] = setting(
        MISSING, "stuck (repeats its value), drift, offset, gap (sends nothing)"
    )
    start: Time = setting(MISSING, "when the fault begins", "time")
    end: Time = setting("", "when it ends; empty: the end of the run", "time")
    instrument: Literal["", "pressure", "flow", "level", "amr"] = setting(
        "", "instrument kind, needed when the id carries two kinds"
    )
    offset: float = setting(
        0.0, "kind offset: error added, in the instrument's unit", "m, m³/h, L/h"
    )
    rate_per_day: float = setting(
        0.0, "kind drift: growth of the error per day, instrument's unit", "unit/d"
    )


@dataclass(frozen=True)
class FeedsSection:
    """``[feeds]``: the SCADA poller and the AMI head-end between instruments and twin."""

    scada_latency_s: tuple[int, int] = setting((1, 20), "range of a SCADA poll's latency", "s")
    scada_lost_poll_rate: float = setting(0.0, "chance that a SCADA poll is lost", "1")
    amr_upload_period_s: int = setting(86_400, "time between AMI head-end uploads", "s")
    amr_delay_s: tuple[int, int] = setting((60, 900), "range of an upload's delay", "s")
    amr_late_rate: float = setting(0.0, "chance that a meter's batch is late", "1")
    amr_missing_rate: float = setting(0.0, "chance that a meter's batch never arrives", "1")
    amr_batch_lost: tuple[Time, ...] = setting(
        (), "times whose AMI upload (the first at or after each) is lost for every meter", "time"
    )


@dataclass(frozen=True)
class TwinSection:
    """``[twin]``: the twin's settings."""

    calibrate_roughness: bool = setting(True, "fit roughness groups to the history's pressures")
    detection: DetectionSection = setting(DetectionSection(), "leak detection tuning")
    localization: LocalizationSection = setting(LocalizationSection(), "localization tuning")


@dataclass(frozen=True)
class OutputsSection:
    """``[outputs]``: which files a run keeps besides events, leaks and the summary."""

    store: bool = setting(True, "the run's DuckDB store, twin.duckdb")
    report: bool = setting(True, "report.html")
    scada: bool = setting(True, "the plant's SCADA files (scada/)")
    truth: bool = setting(True, "the hidden truth (truth/), read only to score the run")


@dataclass(frozen=True)
class Scenario:
    """A whole planner run (see the module docstring); :func:`to_dict` serialises it."""

    run: RunSection = setting(RunSection(), "")
    plant: PlantSection = setting(PlantSection(), "")
    leaks: tuple[LeakEntry, ...] = setting((), "")
    leak_draw: LeakDraw = setting(LeakDraw(), "")
    sensors: SensorsSection = setting(SensorsSection(), "")
    faults: tuple[FaultEntry, ...] = setting((), "")
    feeds: FeedsSection = setting(FeedsSection(), "")
    twin: TwinSection = setting(TwinSection(), "")
    outputs: OutputsSection = setting(OutputsSection(), "")

    def to_dict(self) -> dict[str, Any]:
        """The scenario as plain data (dicts, lists, str, numbers, bools, None)."""
        return to_dict(self)


def to_dict(value: Any) -> Any:
    """Plain data of a schema value: dataclasses to dicts, tuples to lists."""
    if dataclasses.is_dataclass(value):
        return {f.name: to_dict(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_dict(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_dict(v) for k, v in value.items()}
    return value
