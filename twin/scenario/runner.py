"""Run a scenario: simulate the plant, let the twin watch its SCADA files, score, report.

The steps of :func:`run_scenario`, each timed:

1. **generate**: the hidden plant runs the whole period (history and watch) and writes what
   its instruments delivered to ``out/scada`` and what really happened to ``out/truth``;
2. **store**: the SCADA files are ingested into the run's store ``out/twin.duckdb``;
3. **learn / watch / write**: the twin (:func:`twin.loop.replay_run.replay_twin`) learns
   from the history part of the files and watches the rest, without the truth, writing
   ``events.csv``, ``leaks.txt``, ``candidates.csv`` and ``water_balance.json``;
4. **score**: the events are matched to the truth (:mod:`twin.scenario.summary`);
5. **report**: ``report.html`` with the network map, and ``summary.json``.

It takes and returns plain picklable values, so that ``twin sweep`` can call it in Dask
worker processes.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from twin.scenario.generate import simulate_plant, write_generated
from twin.scenario.load import twin_settings
from twin.scenario.plan import DAY_S, RunPlan, plan_run
from twin.scenario.schema import Scenario
from twin.scenario.summary import balance_totals, score_run

__all__ = [
    "StepCallback",
    "clear_outputs",
    "drop_unwanted_outputs",
    "generate_plant",
    "run_scenario",
    "timed",
    "write_summary",
]

StepCallback = Callable[[str, int, int], None]
"""Progress: ``on_step(stage, done, total)``; stages ``"generate"`` and ``"watch"``."""


def run_scenario(scenario: Scenario, out: Path, *, on_step: StepCallback | None = None) -> dict:
    """Run a scenario into ``out`` and return its summary (also ``out/summary.json``).

    Parameters
    ----------
    scenario : Scenario
        From :func:`~twin.scenario.load.load_scenario`.
    out : Path
        The run's folder; files of an earlier run there are replaced.
    on_step : callable, optional
        Progress callback, see :data:`StepCallback`.

    Returns
    -------
    dict
        Flat JSON-ready figures: what was run (``scenario``, ``network``, ``seed``,
        ``start``, ``history_days``, ``duration_days``), the figures of
        :func:`~twin.scenario.summary.score_run` (leaks, detections, false alarms, delays in
        h, localization distances in m, BattLeDIM score), ``events``, the water balance over
        the watch summed over the zones (:func:`~twin.scenario.summary.balance_totals`,
        m³ and %), ``notes`` (what the twin could not do, ``"; "``-joined), and
        ``seconds_<stage>`` wall time per stage and ``seconds_total``, s. A figure that cannot
        be measured is None.
    """
    from twin.network import load, network_areas

    out = Path(out)
    seconds: dict[str, float] = {}
    plan = plan_run(scenario)
    detection, localization = twin_settings(scenario)
    run = scenario.run
    clear_outputs(out)
    with timed(seconds, "generate"):
        generate_plant(scenario, plan, out, on_step)
    wn = load(plan.inp)
    areas = network_areas(plan.inp, wn, plan.layout.flow)
    outcome = _watch(scenario, plan, out, detection, localization, on_step, seconds)
    watch_start = plan.origin + pd.Timedelta(seconds=plan.watch_start_s)
    watched_days = (plan.end_s - plan.watch_start_s) / DAY_S
    with timed(seconds, "score"):
        score = score_run(out, out / "truth", outcome.events, wn, areas, watch_start, watched_days)
    balance = [b.to_dict() for b in outcome.balance]
    summary = {
        "scenario": run.name,
        "network": plan.inp.stem,
        "seed": run.seed,
        "start": str(watch_start),
        "history_days": run.history_days,
        "duration_days": watched_days,
        "events": len(outcome.events),
        **score.figures,
        **balance_totals(balance),
        "notes": "; ".join(outcome.notes),
    }
    if scenario.outputs.report:
        from twin.scenario.report import write_scenario_report

        with timed(seconds, "report"):
            write_scenario_report(
                out / "report.html", scenario, plan, wn, areas, outcome, score, summary
            )
    else:
        (out / "report.html").unlink(missing_ok=True)
    drop_unwanted_outputs(scenario, out)
    summary |= {f"seconds_{k.replace(' ', '_')}": round(v, 3) for k, v in seconds.items()}
    summary["seconds_total"] = round(sum(seconds.values()), 3)
    return write_summary(out, summary)


def write_summary(out: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """Write ``summary.json`` atomically (NaN as null); the summary as written."""
    summary = {k: _json_value(v) for k, v in summary.items()}
    text = json.dumps(summary, indent=2, allow_nan=False) + "\n"
    partial = out / ".summary.json.partial"
    partial.write_text(text, encoding="utf-8")
    partial.replace(out / "summary.json")
    return summary


def generate_plant(scenario: Scenario, plan: RunPlan, out: Path, on_step) -> None:
    """Simulate the plant and write ``out/scada`` and ``out/truth``."""
    from twin.scenario.schema import to_dict

    run = scenario.run
    generated = simulate_plant(
        plan.inp,
        plan.setup,
        seed=run.seed,
        duration_s=plan.end_s,
        origin=plan.origin,
        step_s=run.step_s,
        on_step=(lambda k, n: on_step("generate", k, n)) if on_step else None,
    )
    card = {
        "network": plan.inp.stem,
        "seed": run.seed,
        "start": str(plan.origin),
        "duration_s": plan.end_s,
        "watch_start": str(plan.origin + pd.Timedelta(seconds=plan.watch_start_s)),
        "uncertainty_fractions": generated.fractions,
        "all_steps_converged": generated.all_converged,
        "drawn_leaks": plan.drawn_leaks,
        "scenario": to_dict(scenario),
    }
    write_generated(generated, out / "scada", out / "truth", card)


def _watch(scenario, plan: RunPlan, out: Path, detection, localization, on_step, seconds):
    """Ingest the SCADA files and let the twin learn from the history and watch the rest."""
    from twin.feeds.scada_files import read_scada_folder
    from twin.loop.replay_run import replay_twin, split_history
    from twin.store import RunStore

    run = scenario.run
    recording = read_scada_folder(out / "scada", plan.origin.to_pydatetime())
    history, watched = split_history(recording.readings, plan.watch_start_s / DAY_S)
    store = None
    if scenario.outputs.store:
        with timed(seconds, "store"):
            store = RunStore.open(
                out / "twin.duckdb",
                origin=recording.origin,
                step_s=run.step_s,
                network=plan.inp.stem,
            )
            for path, readings in recording.files.items():
                store.ingest(readings, path.name)
            store.refresh_silver()
    total = (plan.end_s - plan.watch_start_s) // run.step_s
    first = plan.watch_start_s

    def step(t: int) -> None:
        on_step("watch", (t - first) // run.step_s + 1, total)

    options = {"localization": localization} if _takes_localization() else {}
    try:
        outcome = replay_twin(
            plan.inp,
            plan.layout,
            watched,
            plan.origin,
            out,
            history=history,
            history_origin=plan.origin,
            step_s=run.step_s,
            settings=detection,
            store=store,
            on_step=step if on_step else None,
            calibrate_roughness=scenario.twin.calibrate_roughness,
            **options,
        )
    finally:
        if store is not None:
            store.close()
    seconds.update(outcome.seconds)
    if run.history_days < 7:
        outcome.notes.append(
            f"history of {run.history_days:g} day(s), less than a week: the twin has not seen "
            "every day of the week, so expect more false alarms than after a full week"
        )
    if not options and _localization_changed(scenario):
        outcome.notes.append(
            "twin.localization settings were not applied: this twin loop takes none yet"
        )
    return outcome


def _takes_localization() -> bool:
    """Whether the twin loop accepts localization settings (``replay_twin(localization=)``)."""
    import inspect

    from twin.loop.replay_run import replay_twin

    return "localization" in inspect.signature(replay_twin).parameters


def _localization_changed(scenario: Scenario) -> bool:
    from twin.scenario.schema import LocalizationSection

    return scenario.twin.localization != LocalizationSection()


def clear_outputs(out: Path) -> None:
    """Remove an earlier run's store and generated folders, so nothing stale is mixed in."""
    out.mkdir(parents=True, exist_ok=True)
    # summary.json goes first: it marks a finished run, and this one has not finished yet
    for name in ("summary.json", "twin.duckdb", "twin.duckdb.wal"):
        (out / name).unlink(missing_ok=True)
    for name in ("scada", "truth"):
        if (out / name).is_dir():
            shutil.rmtree(out / name)


def drop_unwanted_outputs(scenario: Scenario, out: Path) -> None:
    """Delete what ``[outputs]`` does not keep (the twin needed the files while it ran)."""
    outputs = scenario.outputs
    if not outputs.scada:
        shutil.rmtree(out / "scada", ignore_errors=True)
    if not outputs.truth:
        shutil.rmtree(out / "truth", ignore_errors=True)


@contextmanager
def timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    """Time the block into ``seconds[stage]`` (s), even when it raises."""
    clock = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - clock


def _json_value(value: Any) -> Any:
    """JSON-ready: NaN to None, NumPy scalars to Python ones."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
