"""Run a scenario live: the twin watches on a real-time clock while the store fills.

The steps of :func:`live_scenario`:

1. **generate** (as fast as the machine goes): the hidden plant runs the whole period and
   writes ``out/scada`` and ``out/truth``, as ``twin run`` does. The plant does not run on
   the real-time clock: its leaks are fixed by the scenario, so a leak the operator marks
   repaired goes on leaking in the readings (the twin, told it is gone, raises it again
   if the zone keeps losing water: what a real repair that missed the leak would look like);
2. **store**: the run's store ``out/twin.duckdb`` is created with the history part of the
   files (bronze and silver), so a dashboard can open it from here on (``on_ready``);
3. **learn**: the twin learns from the history (profiles, roughness, baselines);
4. **watch** (real time): the watch's readings are released to the twin at their arrival
   times on a :class:`simpy.rt.RealtimeEnvironment` going ``speed`` times real time; every
   ``flush_s`` simulated seconds the new readings are stored, operator repairs read and
   applied, and the gold tables and files rewritten (:func:`twin.loop.live.watch_live`);
5. **score and report** at the end (or after Ctrl-C): ``summary.json`` and ``report.html``
   as ``twin run`` writes them, for the span the twin watched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from twin.scenario.plan import DAY_S, plan_run
from twin.scenario.runner import (
    StepCallback,
    clear_outputs,
    drop_unwanted_outputs,
    generate_plant,
    timed,
    write_summary,
)
from twin.scenario.schema import Scenario

__all__ = ["live_scenario"]


def live_scenario(
    scenario: Scenario,
    out: Path,
    *,
    speed: float = 600.0,
    flush_s: int = 3600,
    on_ready: Callable[[Path], None] | None = None,
    on_step: StepCallback | None = None,
) -> dict:
    """Run ``scenario`` live into ``out`` (see the module docstring); its summary.

    Parameters
    ----------
    scenario : Scenario
        From :func:`~twin.scenario.load.load_scenario`.
    out : Path
        The run's folder; an earlier run's files there are replaced.
    speed : float
        Simulated seconds per wall second during the watch (600: an hour in 6 s).
    flush_s : int
        Simulated seconds between two updates of the store (a multiple of the step).
    on_ready : callable, optional
        Called with the store's path once it exists (e.g. to start a dashboard on it).
    on_step : callable, optional
        Progress, ``on_step(stage, done, total)``; stages ``generate``, ``watch``.

    Returns
    -------
    dict
        The figures of :func:`~twin.scenario.runner.run_scenario` for the span watched, plus
        ``live_speed`` (asked), ``live_speed_reached`` (simulated s per wall s of the
        watch), ``live_flushes``, ``live_repairs`` (``;``-joined event ids) and
        ``live_stopped`` (Ctrl-C before the watch's end).
    """
    from twin.feeds.scada_files import read_scada_folder
    from twin.loop.live import STATUS_FILE, watch_live
    from twin.loop.replay_run import ReplayOutcome, prepare_twin, split_history
    from twin.scenario.load import twin_settings

    out = Path(out)
    seconds: dict[str, float] = {}
    plan = plan_run(scenario)
    detection, localization = twin_settings(scenario)
    run = scenario.run
    if flush_s <= 0 or flush_s % run.step_s:
        raise ValueError(
            f"flush period {flush_s} s: expected a positive multiple of run.step_s ({run.step_s} s)"
        )
    clear_outputs(out)
    (out / STATUS_FILE).unlink(missing_ok=True)
    with timed(seconds, "generate"):
        generate_plant(scenario, plan, out, on_step)
    recording = read_scada_folder(out / "scada", plan.origin.to_pydatetime())
    history, watched = split_history(recording.readings, plan.watch_start_s / DAY_S)
    with timed(seconds, "store"):
        store_path = _store_history(out, recording, plan, run.step_s)
    if on_ready is not None:
        on_ready(store_path)
    watching, watched = prepare_twin(
        plan.inp,
        plan.layout,
        watched,
        plan.origin,
        history=history,
        history_origin=plan.origin,
        step_s=run.step_s,
        settings=detection,
        localization=localization,
        calibrate_roughness=scenario.twin.calibrate_roughness,
    )
    seconds.update(watching.seconds)
    if not scenario.outputs.store:
        watching.notes.append("outputs.store = false is ignored live: the store is the feed")
    total = (watching.duration_s - watching.start_s) // run.step_s + 1
    if on_step is not None:
        watching.twin.on_step = lambda t: on_step(
            "watch", (t - watching.start_s) // run.step_s + 1, total
        )
    live = watch_live(
        watching, watched, store_path, out, speed=speed, flush_s=flush_s, report=False
    )
    seconds.update(live.seconds)
    outcome = ReplayOutcome(
        out,
        live.events,
        live.balance,
        watching.twin.trace.view(),
        watching.learned,
        watching.notes,
        seconds,
    )
    summary = _summary(scenario, plan, out, outcome, live, seconds, speed)
    drop_unwanted_outputs(scenario, out)
    return summary


def _store_history(out: Path, recording, plan, step_s: int) -> Path:
    """Create the run's store with the history part of each SCADA file; its path."""
    from twin.store import RunStore

    path = out / "twin.duckdb"
    with RunStore.open(
        path, origin=recording.origin, step_s=step_s, network=plan.inp.stem
    ) as store:
        for file, readings in recording.files.items():
            early = readings.event_time < plan.watch_start_s
            store.ingest(readings.take(early.nonzero()[0]), file.name)
        store.refresh_silver()
    return path


def _summary(scenario: Scenario, plan, out: Path, outcome, live, seconds, speed: float) -> dict:
    """Score what was watched, write ``report.html`` and ``summary.json``; the summary."""
    from twin.network import load, network_areas
    from twin.scenario.summary import balance_totals, score_run

    wn = load(plan.inp)
    areas = network_areas(plan.inp, wn, plan.layout.flow)
    watch_start = plan.origin + pd.Timedelta(seconds=plan.watch_start_s)
    watched_days = max(live.last_s + scenario.run.step_s - plan.watch_start_s, 0) / DAY_S
    with timed(seconds, "score"):
        score = score_run(out, out / "truth", outcome.events, wn, areas, watch_start, watched_days)
    summary = {
        "scenario": scenario.run.name,
        "network": plan.inp.stem,
        "seed": scenario.run.seed,
        "start": str(watch_start),
        "history_days": scenario.run.history_days,
        "duration_days": watched_days,
        "events": len(outcome.events),
        **score.figures,
        **balance_totals([b.to_dict() for b in outcome.balance]),
        "notes": "; ".join(outcome.notes),
        "live_speed": speed,
        "live_speed_reached": _reached_speed(seconds, live, scenario.run.step_s, plan),
        "live_flushes": live.flushes,
        "live_repairs": ";".join(event for event, _ in live.repairs),
        "live_stopped": live.stopped,
    }
    if scenario.outputs.report:
        from twin.scenario.report import write_scenario_report

        clock = time.perf_counter()
        write_scenario_report(
            out / "report.html", scenario, plan, wn, areas, outcome, score, summary
        )
        seconds["report"] = time.perf_counter() - clock
    summary |= {f"seconds_{k.replace(' ', '_')}": round(v, 3) for k, v in seconds.items()}
    summary["seconds_total"] = round(sum(seconds.values()), 3)
    return write_summary(out, summary)


def _reached_speed(seconds: dict[str, float], live, step_s: int, plan) -> float:
    """Simulated seconds watched per wall second of the real-time loop (the speed reached)."""
    watched = live.last_s + step_s - plan.watch_start_s
    return round(watched / seconds["watch"], 1) if seconds.get("watch") else float("nan")
