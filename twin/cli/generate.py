"""``twin generate``: simulate a scenario and write its sensor data and its hidden truth.

The sensor data go to ``OUT/`` in the BattLeDIM layout (``Pressures.csv``, ``Flows.csv``,
``Levels.csv``, ``Demands.csv``: ``;`` separated, decimal comma), exactly as the instruments
reported them through the feeds (noise, quantisation, faults, lost polls as empty fields).
The truth goes to ``OUT/truth/``, a folder the twin side never reads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from twin.cli.app import app, console, step_progress
from twin.cli.simulate import LEAK_FORMAT, parse_leak, write_table
from twin.feeds.readings import Readings

__all__ = ["generate", "generate_scenario", "scada_tables", "truth_tables"]

SCADA_FILES = {"pressure": "Pressures", "flow": "Flows", "level": "Levels", "amr": "Demands"}
"""File kind of each instrument kind."""


def scada_tables(
    readings: Readings,
    layout,
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
    from twin.feeds.channels import Inbox
    from twin.network import load, resolve_network
    from twin.network.sensors import read_sensor_layout, sidecar_layout
    from twin.plant import Plant, all_faults_on

    step_s = 300
    duration_s = round(days * 86400 / step_s) * step_s
    if duration_s <= 0:
        raise ValueError(f"--days {days}: the run must last at least one 5-minute step")
    inp = resolve_network(network)
    layout = read_sensor_layout(sensors) if sensors else sidecar_layout(inp)
    if layout is None:
        raise ValueError(
            f"{inp.name} has no sensor layout file ({inp.stem}.sensors.csv); "
            "give one with --sensors FILE (columns sensor_type,element_id)"
        )
    wn = load(inp)
    parsed = [parse_leak(s, set(wn.pipe_name_list), set(wn.junction_name_list)) for s in leaks]
    inbox = Inbox()
    n_steps = duration_s // step_s + 1
    with Plant(
        wn,
        seed=seed,
        duration_s=duration_s,
        origin=start,
        layout=layout,
        leaks=parsed,
        faults=all_faults_on() if faults else None,
        step_s=step_s,
    ) as plant:
        truth = plant.run(inbox, on_step=(lambda k: on_step(k, n_steps)) if on_step else None)
        periods = {kind: bank.period for kind, bank in plant.banks.items()}
    tables = scada_tables(inbox.readings(), layout, truth.origin, duration_s, periods)
    hidden = truth_tables(truth)
    # Everything is computed before the first byte is written: a failure leaves OUT as it was.
    return {
        "sensors": _write_sensors(out, tables),
        "truth": _write_truth(
            out / "truth", hidden, _scenario_card(inp, seed, days, start, faults, truth, duration_s)
        ),
    }


def _scenario_card(
    inp: Path, seed: int, days: float, start: str, faults: bool, truth, duration_s: int
) -> dict:
    """What was asked for, to make the scenario again."""
    return {
        "network": inp.stem,
        "seed": seed,
        "days": days,
        "start": str(pd.Timestamp(start)),
        "duration_s": duration_s,
        "faults": "all" if faults else "none",
        "uncertainty_fractions": dict(
            zip(("roughness", "diameter", "base_demand"), truth.perturbation.fractions, strict=True)
        ),
        "all_steps_converged": bool(truth.converged.all()),
    }


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


@app.command("generate")
def generate(
    network: Annotated[str, typer.Argument(help="Bundled network name or path to an .inp file.")],
    out: Annotated[Path, typer.Option(help="Output folder (the truth goes to OUT/truth).")],
    days: Annotated[float, typer.Option(help="Simulated days.", min=0.0)] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed of everything random in the scenario.")] = 0,
    leak: Annotated[
        list[str] | None,
        typer.Option(help=f"A leak, {LEAK_FORMAT} (hours from the start); repeatable."),
    ] = None,
    sensors: Annotated[
        Path | None,
        typer.Option(
            help="Sensor layout CSV (sensor_type,element_id). Default: the network's "
            "own layout file (NAME.sensors.csv)."
        ),
    ] = None,
    start: Annotated[str, typer.Option(help="Wall-clock time of the start.")] = "2018-01-01 00:00",
    faults: Annotated[bool, typer.Option(help="Switch every kind of sensor fault on.")] = False,
) -> None:
    """Simulate NETWORK as a hidden plant and write what its instruments report.

    The plant is the nominal model with perturbed roughness, diameters and base demands,
    stochastic consumption and the leaks given. OUT gets Pressures.csv, Flows.csv,
    Levels.csv and Demands.csv in the BattLeDIM layout; OUT/truth the leaks, their true
    outflows and the parameter factors drawn.
    """

    with step_progress() as bar:
        task = bar.add_task(f"generating {Path(network).stem}", total=None)
        written = generate_scenario(
            network,
            out,
            days=days,
            seed=seed,
            leaks=leak or [],
            sensors=sensors,
            start=start,
            faults=faults,
            on_step=lambda k, n: bar.update(task, completed=k, total=n),
        )
    for path in written["sensors"]:
        console.print(f"wrote {path}")
    console.print(
        f"wrote the hidden truth to {out / 'truth'} ({', '.join(p.name for p in written['truth'])})"
    )
