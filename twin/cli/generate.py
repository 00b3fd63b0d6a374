"""``twin generate``: simulate a scenario and write its sensor data and its hidden truth.

The sensor data go to ``OUT/`` in the BattLeDIM layout (``Pressures.csv``, ``Flows.csv``,
``Levels.csv``, ``Demands.csv``: ``;`` separated, decimal comma), exactly as the instruments
reported them through the feeds (noise, quantisation, faults, lost polls as empty fields).
The truth goes to ``OUT/truth/``, a folder the twin side never reads. The simulation itself
lives in :mod:`twin.scenario.generate`; this module is the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from twin.cli.app import app, console, step_progress
from twin.scenario.generate import generate_scenario
from twin.scenario.leak_spec import LEAK_FORMAT

__all__ = ["generate", "generate_scenario"]


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
