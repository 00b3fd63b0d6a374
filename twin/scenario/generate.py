"""Generate a simulated run: the plant's SCADA files (what the twin may read) and its truth.

The sensor data are written in the BattLeDIM layout (``Pressures.csv``, ``Flows.csv``,
``Levels.csv``, ``Demands.csv``: ``;`` separated, decimal comma), exactly as the instruments
reported them through the feeds (noise, quantisation, faults, lost polls and lost AMI uploads
as empty fields). The truth (leaks, true leak outflows, drawn parameter factors, a card of
what was asked for) goes to a separate folder the twin side never reads.

:func:`simulate_plant` is the general form used by scenario runs (:mod:`twin.scenario.runner`);
:func:`generate_scenario` is the form of ``twin generate`` and of the evaluation cases.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.feeds.faults import FaultRates, SensorFault
from twin.feeds.readings import Readings
from twin.hydraulics.leaks import Leak
from twin.network.sensors import SensorLayout
from twin.plant.demand import DemandModel
from twin.plant.runner import PlantUncertainty

__all__ = [
    "SCADA_FILES",
    "Generated",
    "PlantSetup",
    "generate_scenario",
    "scada_tables",
    "simulate_plant",
    "truth_tables",
    "write_generated",
]

SCADA_FILES = {"pressure": "Pressures", "flow": "Flows", "level": "Levels", "amr": "Demands"}
"""File kind of each instrument kind."""


@dataclass(frozen=True)
class PlantSetup:
    """Everything the plant of a run needs besides its network, seed and period.

    Attributes
    ----------
    layout : SensorLayout
    leaks : sequence of Leak
    uncertainty : PlantUncertainty
        Half-widths of the parameter factors (all 0: the plant is the nominal model).
    demand_model : DemandModel or None
        Stochastic consumption settings; None for the defaults.
    random_faults : mapping of str to FaultRates, optional
        Random fault rates per instrument kind (``"pressure"``, ``"flow"``, ``"level"``,
        ``"amr"``).
    faults : mapping of str to sequence of SensorFault
        Faults placed by the planner, per instrument kind.
    instruments : mapping of str to dict
        Instrument bank fields per kind (``noise_std``, ``resolution``), in the bank's unit.
    channel_options : mapping of str to dict
        Options of the ``"scada"`` poller and the ``"ami"`` head-end.
    lost_uploads_s : tuple of int
        AMI upload times (s since the origin) whose batch is lost for every meter.
    """

    layout: SensorLayout
    leaks: Sequence[Leak] = ()
    uncertainty: PlantUncertainty = PlantUncertainty()  # noqa: RUF009 (frozen, immutable)
    demand_model: DemandModel | None = None
    random_faults: Mapping[str, FaultRates] | None = None
    faults: Mapping[str, Sequence[SensorFault]] = field(default_factory=dict)
    instruments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    channel_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    lost_uploads_s: tuple[int, ...] = ()


@dataclass(frozen=True)
class Generated:
    """A simulated run, before anything is written.

    Attributes
    ----------
    sensors : dict of str to pandas.DataFrame
        :func:`scada_tables`' result.
    truth : dict of str to pandas.DataFrame
        :func:`truth_tables`' result.
    origin : pandas.Timestamp
        Wall-clock time of the run's second 0.
    all_converged : bool
        Every plant step balanced.
    fractions : dict of str to float
        Half-widths the parameter factors were drawn with.
    """

    sensors: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame]
    origin: pd.Timestamp
    all_converged: bool
    fractions: dict[str, float]


def scada_tables(
    readings: Readings,
    layout: SensorLayout,
    origin: pd.Timestamp,
    duration_s: int,
    periods: dict[str, int],
) -> dict[str, pd.DataFrame]:
    """The delivered readings as one wide table per BattLeDIM file kind.

    Parameters
    ----------
    readings : Readings
        Everything the channels delivered (SCADA and AMI); readings after ``duration_s`` are
        dropped.
    layout : SensorLayout
        The instruments, giving each file's columns (in layout order).
    origin : pandas.Timestamp
        Wall-clock time of the run's second 0.
    duration_s : int
        Last event time kept, s since the origin.
    periods : dict of str to int
        Reporting period of each instrument kind present, s.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"Pressures"`` (m), ``"Flows"`` (m3/h), ``"Levels"`` (m), ``"Demands"`` (L/h): index
        ``Timestamp`` at every reporting time ``period, 2 period, ... duration_s`` (a value
        is stamped with the end of the period it reports), one column per sensor; NaN where
        no value arrived.
    """
    ids = {
        "pressure": layout.pressure,
        "flow": layout.flow,
        "level": layout.tank_level,
        "amr": layout.amr_demand,
    }
    # Pressure loggers and tank gauges both report metres on the SCADA channel: they are told
    # apart by sensor id, which must then be unique across the two.
    both = set(layout.pressure) & set(layout.tank_level)
    if both:
        raise ValueError(
            f"sensor layout: {sorted(both)} carry both a pressure and a tank level "
            "sensor; their readings could not be told apart"
        )
    unit_of = {"pressure": "m", "flow": "m3/h", "level": "m", "amr": "L/h"}
    tables = {}
    for kind, sensors in ids.items():
        if not sensors:
            continue
        period = periods[kind]
        times = np.arange(period, duration_s + 1, period, dtype=np.int64)
        grid = np.full((len(times), len(sensors)), np.nan)
        column = pd.Index(list(sensors))
        keep = (
            (readings.unit == unit_of[kind])
            & np.isin(readings.sensor_id, column)
            & (readings.event_time % period == 0)
            & (readings.event_time > 0)
            & (readings.event_time <= duration_s)
        )
        rows = readings.event_time[keep] // period - 1
        grid[rows, column.get_indexer(readings.sensor_id[keep])] = readings.value[keep]
        index = pd.DatetimeIndex(origin + pd.to_timedelta(times, unit="s"), name="Timestamp")
        tables[SCADA_FILES[kind]] = pd.DataFrame(grid, index=index, columns=column)
    return tables


def truth_tables(truth) -> dict[str, pd.DataFrame]:
    """The hidden truth as tables: leaks, leak outflows and the drawn parameter factors.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"leaks"``: one row per leak (id, pipe or junction, node, diameter m, type, start,
        peak and end timestamps); ``"leak_outflow"``: index ``Timestamp`` (every hydraulic
        step), true outflow per leak in m3/h; ``"pipe_factors"``: roughness and diameter
        factors per pipe; ``"demand_factors"``: base demand factor per junction
        (dimensionless).
    """

    def stamp(seconds: int | None) -> pd.Timestamp | None:
        return None if seconds is None else truth.origin + pd.Timedelta(seconds, unit="s")

    leaks = pd.DataFrame(
        [
            {
                "leak_id": lk.leak_id,
                "site": lk.site,
                "on": lk.on,
                "node": truth.leak_nodes[lk.leak_id],
                "diameter_m": lk.diameter_m,
                "type": lk.kind,
                "start": stamp(lk.start_s),
                "peak": stamp(lk.peak_s),
                "end": stamp(lk.end_s),
            }
            for lk in truth.leaks
        ],
        columns=["leak_id", "site", "on", "node", "diameter_m", "type", "start", "peak", "end"],
    ).set_index("leak_id")
    outflow = truth.leak_outflow.rename(columns=lambda lk: f"{lk} outflow [m3/h]")
    record = truth.perturbation
    pipes = pd.DataFrame({"roughness_factor": record.roughness, "diameter_factor": record.diameter})
    pipes.index.name = "pipe"
    demands = record.base_demand.rename("base_demand_factor").to_frame()
    demands.index.name = "junction"
    return {
        "leaks": leaks,
        "leak_outflow": outflow,
        "pipe_factors": pipes,
        "demand_factors": demands,
    }


def simulate_plant(
    network: str | Path,
    setup: PlantSetup,
    *,
    seed: int,
    duration_s: int,
    origin: str | pd.Timestamp,
    step_s: int = 300,
    on_step: Callable[[int, int], None] | None = None,
) -> Generated:
    """Run the hidden plant of a scenario and collect what its instruments delivered.

    Parameters
    ----------
    network : str or Path
        Bundled network name or .inp path (the nominal model).
    setup : PlantSetup
        Sensors, leaks, uncertainty, consumption, faults, instruments and channels.
    seed : int
        Seed of everything random in the plant.
    duration_s : int
        Length of the run, s (a multiple of ``step_s``).
    origin : str or pandas.Timestamp
        Wall-clock time of the run's second 0.
    step_s : int
        Hydraulic step and reporting period of every instrument, s.
    on_step : callable, optional
        Progress, ``on_step(steps_done, n_steps)``.

    Returns
    -------
    Generated
    """
    from twin.feeds.channels import Inbox
    from twin.plant import Plant

    inbox = Inbox()
    n_steps = duration_s // step_s + 1
    channels = {k: dict(v) for k, v in setup.channel_options.items()}
    channels.setdefault("scada", {}).setdefault("period", step_s)
    with Plant(
        network,
        seed=seed,
        duration_s=duration_s,
        origin=origin,
        layout=setup.layout,
        leaks=list(setup.leaks),
        uncertainty=setup.uncertainty,
        demand_model=setup.demand_model,
        faults=setup.random_faults,
        step_s=step_s,
        amr_period_s=step_s,
        channel_options=channels,
    ) as plant:
        plant.banks = _equipped(plant.banks, setup, step_s)
        upload = int(channels.get("ami", {}).get("upload_period", 86_400))
        sink = _losing_uploads(inbox, setup.lost_uploads_s, upload)
        truth = plant.run(sink, on_step=(lambda k: on_step(k, n_steps)) if on_step else None)
        periods = {kind: bank.period for kind, bank in plant.banks.items()}
    return Generated(
        scada_tables(inbox.readings(), setup.layout, truth.origin, duration_s, periods),
        truth_tables(truth),
        truth.origin,
        bool(truth.converged.all()),
        dict(
            zip(("roughness", "diameter", "base_demand"), truth.perturbation.fractions, strict=True)
        ),
    )


def _equipped(banks: dict, setup: PlantSetup, step_s: int) -> dict:
    """The plant's instrument banks with the setup's instrument fields and placed faults.

    Rebuilding a bank with :func:`dataclasses.replace` keeps its noise generator (not yet
    drawn from), so a setup with default instruments and no faults reads the same values.
    """
    equipped = {}
    for kind, bank in banks.items():
        options = dict(setup.instruments.get(kind, {}))
        placed = list(setup.faults.get(kind, ()))
        if kind != "amr" and bank.period != step_s:
            options["period"] = step_s
        if not options and not placed:
            equipped[kind] = bank
            continue
        equipped[kind] = dataclasses.replace(bank, faults=[*bank.faults, *placed], **options)
    unknown = set(setup.faults) - set(banks)
    if unknown:
        raise ValueError(f"faults placed on instrument kinds the layout lacks: {sorted(unknown)}")
    return equipped


def _losing_uploads(sink: Callable[[Readings], None], lost_s: Sequence[int], upload_s: int):
    """``sink`` behind an AMI head-end that loses the uploads at ``lost_s`` for every meter.

    An upload at ``u`` carries the readings of ``(u - upload_s, u]``; each lost time ``t``
    takes out the first upload at or after it.
    """
    if not lost_s:
        return sink
    windows = sorted({-(-int(t) // upload_s) * upload_s for t in lost_s})

    def deliver(readings: Readings) -> None:
        if readings.channel != "ami":
            sink(readings)
            return
        keep = np.ones(len(readings), dtype=bool)
        for upload in windows:
            keep &= ~((readings.event_time > upload - upload_s) & (readings.event_time <= upload))
        if keep.any():
            sink(readings if keep.all() else readings.take(keep))

    return deliver


def write_generated(
    generated: Generated, sensors_dir: Path, truth_dir: Path, card: Mapping[str, Any]
) -> dict[str, list[Path]]:
    """Write the SCADA files and the truth folder (with ``scenario.json``), each atomically.

    Returns
    -------
    dict of str to list of Path
        ``"sensors"`` and ``"truth"``: the files written.
    """
    return {
        "sensors": _write_sensors(Path(sensors_dir), generated.sensors),
        "truth": _write_truth(Path(truth_dir), generated.truth, dict(card)),
    }


def generate_scenario(
    network: str | Path,
    out: Path,
    *,
    days: float,
    seed: int,
    leaks: list[str] | tuple[str, ...] = (),
    sensors: Path | None = None,
    start: str = "2018-01-01 00:00",
    faults: bool = False,
    on_step=None,
) -> dict[str, list[Path]]:
    """Simulate a scenario and write its sensor files and truth folder (see the module doc).

    Parameters
    ----------
    network : str or Path
        Bundled network name or .inp path (the nominal model).
    out : Path
        Output folder; the truth goes to ``out / "truth"``.
    days : float
        Simulated days (rounded to whole 5-minute steps).
    seed : int
        Seed of everything random in the scenario.
    leaks : sequence of str
        Leak specs, ``PIPE:DIAMETER_MM:START_H[:PEAK_H[:END_H]]``.
    sensors : Path, optional
        Sensor layout CSV; default the network's sidecar layout.
    start : str
        Wall-clock time of the run's start.
    faults : bool
        Switch every kind of sensor fault on.
    on_step : callable, optional
        Progress callback, ``on_step(steps_done, n_steps)``.

    Returns
    -------
    dict of str to list of Path
        ``"sensors"`` and ``"truth"``: the files written.
    """
    from twin.network import load, resolve_network
    from twin.network.sensors import layout_for
    from twin.plant import all_faults_on
    from twin.scenario.leak_spec import parse_leak

    step_s = 300
    duration_s = round(days * 86400 / step_s) * step_s
    if duration_s <= 0:
        raise ValueError(f"--days {days}: the run must last at least one 5-minute step")
    inp = resolve_network(network)
    layout = layout_for(inp, sensors or None)
    wn = load(inp)
    parsed = [parse_leak(s, set(wn.pipe_name_list), set(wn.junction_name_list)) for s in leaks]
    setup = PlantSetup(layout, parsed, random_faults=all_faults_on() if faults else None)
    generated = simulate_plant(
        inp, setup, seed=seed, duration_s=duration_s, origin=start, step_s=step_s, on_step=on_step
    )
    card = {
        "network": inp.stem,
        "seed": seed,
        "days": days,
        "start": str(pd.Timestamp(start)),
        "duration_s": duration_s,
        "faults": "all" if faults else "none",
        "uncertainty_fractions": generated.fractions,
        "all_steps_converged": generated.all_converged,
    }
    # Everything is computed before the first byte is written: a failure leaves OUT as it was.
    return write_generated(generated, out, out / "truth", card)


def _write_sensors(out: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Write the BattLeDIM files, each atomically."""
    from twin.feeds.scada_files import write_scada_file

    written = []
    out.mkdir(parents=True, exist_ok=True)
    for kind, table in tables.items():
        path = out / f"{kind}.csv"
        partial = write_scada_file(out / f".{kind}.csv.partial", table)
        os.replace(partial, path)
        written.append(path)
    return written


def _write_truth(folder: Path, tables: dict[str, pd.DataFrame], card: dict) -> list[Path]:
    """Write the truth tables (plain CSV) and the scenario card, each atomically."""
    from twin.loop.outputs import write_table

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        write_table(table, path)
        written.append(path)
    path, partial = folder / "scenario.json", folder / ".scenario.json.partial"
    partial.write_text(json.dumps(card, indent=2) + "\n")
    os.replace(partial, path)
    return [*written, path]
