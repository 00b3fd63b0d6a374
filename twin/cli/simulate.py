"""``twin simulate``: run a network with leaks and write what its sensors would read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from twin.cli.app import app, console, step_progress

__all__ = ["parse_leak", "simulate", "write_table"]

LEAK_FORMAT = "PIPE:DIAMETER_MM:START_H[:PEAK_H[:END_H]]"


def parse_leak(spec: str, pipes: set[str], junctions: set[str]):
    """Turn ``PIPE:DIAMETER_MM:START_H[:PEAK_H[:END_H]]`` into a :class:`Leak`.

    The site may be a pipe (the leak sits at its middle) or a junction. Hours count from the
    run's start; PEAK_H makes the leak incipient (it grows until then), END_H repairs it.

    Examples
    --------
    >>> leak = parse_leak("p257:20:6:30", {"p257"}, set())
    >>> leak.diameter_m, leak.start_s, leak.peak_s, leak.kind
    (0.02, 21600, 108000, 'incipient')
    """
    from twin.hydraulics import Leak

    parts = spec.split(":")
    if not 3 <= len(parts) <= 5:
        raise ValueError(f"--leak {spec!r}: expected {LEAK_FORMAT}")
    site, *numbers = parts
    try:
        diameter_mm, start_h, *rest = (float(x) for x in numbers)
    except ValueError:
        raise ValueError(
            f"--leak {spec!r}: DIAMETER_MM and the hours must be numbers ({LEAK_FORMAT})"
        ) from None
    if site in pipes:
        on = "pipe"
    elif site in junctions:
        on = "junction"
    else:
        raise ValueError(
            f"--leak {spec!r}: {site!r} is neither a pipe nor a junction of the network"
        )
    if not 0 < diameter_mm < 2000:
        raise ValueError(
            f"--leak {spec!r}: DIAMETER_MM must be between 0 and 2000 mm, got {diameter_mm}"
        )
    hours = [start_h, *rest]
    if any(h < 0 for h in hours):
        raise ValueError(f"--leak {spec!r}: hours must be >= 0")
    peak = round(rest[0] * 3600) if len(rest) >= 1 else None
    end = round(rest[1] * 3600) if len(rest) >= 2 else None
    return Leak(
        site,
        diameter_mm / 1000.0,
        start_s=round(start_h * 3600),
        peak_s=peak,
        end_s=end,
        on=on,
        leak_id=f"leak_{site}"[:31],
    )


def write_table(frame, path: Path) -> None:
    """Write ``frame`` as CSV or Parquet (by extension), atomically: no half-written file."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"--out {path}: the file must end in .csv or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    if suffix == ".csv":
        frame.to_csv(partial, date_format="%Y-%m-%d %H:%M:%S", float_format="%.6g")
    else:
        frame.to_parquet(partial)
    os.replace(partial, path)


@app.command("simulate")
def simulate(
    network: Annotated[str, typer.Argument(help="Bundled network name or path to an .inp file.")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.")],
    days: Annotated[float, typer.Option(help="Simulated days.", min=0.0)] = 1.0,
    leak: Annotated[
        list[str] | None,
        typer.Option(help=f"A leak, {LEAK_FORMAT} (hours from the start); repeatable."),
    ] = None,
    step: Annotated[int | None, typer.Option(help="Time step, s (default: the file's).")] = None,
    start: Annotated[str, typer.Option(help="Wall-clock time of the start.")] = "2018-01-01 00:00",
    sensors: Annotated[
        Path | None,
        typer.Option(
            help="Sensor layout CSV (sensor_type,element_id). Default: the network's "
            "own layout file if it has one, else every junction, source flow and tank."
        ),
    ] = None,
) -> None:
    """Simulate NETWORK with leaks and write its sensors' readings (true values, no noise).

    The leaks' true outflows go to a second file beside OUT (``*_leaks.csv``/``.parquet``).
    """
    import pandas as pd

    from twin.hydraulics import HydraulicEngine
    from twin.hydraulics.record import default_layout, record_run
    from twin.network import load, resolve_network
    from twin.network.sensors import read_sensor_layout, sidecar_layout

    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"--out {out}: the file must end in .csv or .parquet")
    origin = pd.Timestamp(start)
    inp = resolve_network(network)
    wn = load(inp)
    leaks = [parse_leak(s, set(wn.pipe_name_list), set(wn.junction_name_list)) for s in leak or []]
    with HydraulicEngine(inp, step_s=step, leaks=leaks) as engine:
        n_steps = int(days * 86400 // engine.step_s) + 1
        layout = (
            read_sensor_layout(sensors)
            if sensors
            else sidecar_layout(inp) or default_layout(engine)
        )
        with step_progress() as bar:
            task = bar.add_task(f"simulating {inp.stem}", total=n_steps)
            recording = record_run(
                engine, layout, n_steps, origin, on_step=lambda k: bar.update(task, completed=k)
            )
    write_table(recording.sensors, out)
    leak_file = out.with_name(f"{out.stem}_leaks{out.suffix}")
    if leaks:
        write_table(recording.leaks, leak_file)
    summarise(recording, out, leak_file if leaks else None, engine.step_s)


def summarise(recording, out: Path, leak_file: Path | None, step_s: int) -> None:
    """Tell the user what was written and how much water the leaks lost."""
    frame = recording.sensors
    console.print(
        f"wrote {out} ({len(frame)} steps x {frame.shape[1]} sensors, "
        f"{frame.index[0]} to {frame.index[-1]})"
    )
    unbalanced = int((~recording.converged).sum())
    if unbalanced:
        console.print(
            f"[yellow]warning:[/] {unbalanced} steps did not balance (see EPANET's "
            "trial limit); their values are EPANET's last iterate"
        )
    if leak_file is None:
        return
    for column in recording.leaks:
        flow = recording.leaks[column]
        volume = float(flow.sum() * step_s / 3600.0)
        console.print(
            f"{column.split(' ')[0]}: peak {flow.max():.2f} m3/h, "
            f"lost {volume:,.1f} m3 over the run"
        )
    console.print(f"wrote {leak_file} (true leak outflows)")
