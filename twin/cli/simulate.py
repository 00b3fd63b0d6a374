"""``twin simulate``: run a network with leaks and write what its sensors would read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from twin.cli.app import app, console, step_progress
from twin.loop.outputs import write_table
from twin.scenario.leak_spec import LEAK_FORMAT, parse_leak

__all__ = ["simulate"]


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
