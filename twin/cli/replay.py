"""``twin replay``: run the whole twin over recorded SCADA files and write what it found."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from twin.cli.app import app, console, step_progress
from twin.cli.ingest import ingest_scada_folder
from twin.feeds.scada_files import ScadaRecording, read_scada_folder
from twin.loop.replay_run import replay_twin
from twin.network import load, resolve_network
from twin.network.sensors import SensorLayout, SensorLayoutError
from twin.store import RunStore

__all__ = ["recorded_layout", "replay"]

_KIND = {"Pressures": "pressure", "Flows": "flow", "Levels": "tank_level", "Demands": "amr_demand"}


def recorded_layout(recording: ScadaRecording, network_name: str, wn: object) -> SensorLayout:
    """The instruments a folder of recorded SCADA holds, checked against the network.

    Raises
    ------
    SensorLayoutError
        A column names no element of the right kind (file and column in the message).
    """
    found: dict[str, list[str]] = {kind: [] for kind in _KIND.values()}
    known = {
        "pressure": set(wn.node_name_list),
        "flow": set(wn.link_name_list),
        "tank_level": set(wn.tank_name_list),
        "amr_demand": set(wn.junction_name_list),
    }
    for path, readings in recording.files.items():
        kind = next(v for k, v in _KIND.items() if k in path.name)
        for sensor in dict.fromkeys(readings.sensor_id.tolist()):
            if sensor not in known[kind]:
                what = {"pressure": "node", "flow": "link", "tank_level": "tank"}.get(
                    kind, "junction"
                )
                raise SensorLayoutError(
                    f"{path.name}, column {sensor!r}: no {what} {sensor!r} in {network_name} "
                    f"(each column of a {path.name.split('.')[0]} file must name a {what})"
                )
            found[kind].append(sensor)
    return SensorLayout(**{kind: tuple(ids) for kind, ids in found.items()})


@app.command()
def replay(
    network: Annotated[str, typer.Option(help="Network: a catalogue name or an .inp path.")],
    scada: Annotated[
        Path, typer.Option(help="Folder of recorded SCADA files (BattLeDIM layout) to watch.")
    ],
    out: Annotated[Path, typer.Option(help="Folder for twin.duckdb and the outputs.")],
    history: Annotated[
        Path | None,
        typer.Option(help="Folder of earlier SCADA of the same network to learn from."),
    ] = None,
    calibrate_roughness: Annotated[
        bool, typer.Option(help="Fit roughness groups to the history's pressures.")
    ] = True,
) -> None:
    """Run the twin over recorded SCADA: events.csv, water_balance.json, report.html, store."""
    inp = resolve_network(network)
    wn = load(inp)
    recording = read_scada_folder(scada)
    layout = recorded_layout(recording, inp.stem, wn)
    notes = _missing_files(recording)
    past = None
    if history is not None:
        past = read_scada_folder(history)
        past_layout = recorded_layout(past, inp.stem, wn)
        if past_layout != layout:
            raise SensorLayoutError(
                f"{history}: the history's sensors differ from {scada}'s; the twin learns "
                "per sensor, so both folders must hold the same columns"
            )
    origin = pd.Timestamp(recording.origin)
    out.mkdir(parents=True, exist_ok=True)
    store_report = ingest_scada_folder(scada, out / "twin.duckdb", network=inp.stem)
    readings = recording.readings
    first, last = int(readings.event_time.min()), int(readings.event_time.max())
    with step_progress() as progress, RunStore.open(store_report.store) as store:
        task = progress.add_task("replaying", total=(last - first) // 300 + 1)
        outcome = replay_twin(
            inp,
            layout,
            readings,
            origin,
            out,
            history=None if past is None else past.readings,
            history_origin=None if past is None else pd.Timestamp(past.origin),
            store=store,
            on_step=lambda t: progress.advance(task),
            calibrate_roughness=calibrate_roughness,
            notes=notes,
        )
    _print_outcome(outcome, out)


def _missing_files(recording: ScadaRecording) -> list[str]:
    present = {k for k in _KIND if any(k in p.name for p in recording.files)}
    return [
        f"no {kind} file in the SCADA folder: {what}"
        for kind, what in (
            ("Pressures", "no pressure residuals"),
            ("Flows", "no zone inflows, so no inflow alarms or water balance"),
            ("Levels", "tank storage unknown: zones with tanks have no balance"),
            ("Demands", "no AMR readings"),
        )
        if kind not in present
    ]


def _print_outcome(outcome, out: Path) -> None:
    events = outcome.events
    table = Table(title=f"{len(events)} leak event(s)", title_justify="left")
    for column in ("event_id", "detected_at", "start_estimate", "flow_m3h", "area", "state"):
        table.add_column(column)
    for row in events.itertuples():
        table.add_row(
            row.event_id,
            row.detected_at,
            row.start_estimate,
            f"{row.flow_m3h:.1f}",
            row.area,
            row.state,
        )
    console.print(table)
    for balance in outcome.balance:
        console.print(
            f"zone {escape(balance.area)}: system input {balance.system_input_m3:,.0f} m3, "
            f"real losses {balance.real_losses_m3:,.0f} m3, NRW {balance.nrw_percent:.1f} %",
            highlight=False,
        )
    for note in outcome.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in outcome.seconds.items())
    console.print(
        f"wrote {escape(str(out))}: twin.duckdb, events.csv, water_balance.json, "
        f"report.html ({timing})",
        highlight=False,
    )
