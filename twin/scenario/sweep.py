"""Sweeps: one scenario run many times over a grid of settings, on a Dask cluster or here.

A sweep takes a scenario file, ``--vary KEY=V1,V2,...`` options (several give their
cartesian product) and ``--repeat N``, and turns them into run specs. Every combination is
loaded and validated before any run starts, so a bad key or value fails at once, naming it.
Each run is one :func:`twin.scenario.run_scenario` call in its own folder
``OUT/runs/<index>_<key=value...>``, submitted as one Dask task that carries the validated
scenario as plain data (:meth:`Scenario.to_dict`, paths made absolute; never an open
handle); the worker rebuilds the scenario from it. The summaries come back to the caller
and are gathered into one table, one row per run (``OUT/sweep.csv``).

Results do not depend on where the runs ran: a run's numbers depend only on the scenario
and its seed. Repeat ``r`` (0-based) of a combination runs with seed ``base + r``, ``base``
being the combination's ``run.seed``; repeat 0 is therefore the combination as written.
On a multi-machine cluster the workers need the same ``twin`` installed, the scenario's
files (an ``.inp`` or sensor layout given by path) at the same absolute paths, and a file
system shared with the caller if the per-run folders are to be found there; the summary
table is gathered through Dask either way.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import time
import tomllib
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "SEED_KEY",
    "RunSpec",
    "SweepPlan",
    "Variation",
    "execute_run",
    "local_cluster",
    "parse_toml_value",
    "parse_vary",
    "plan_sweep",
    "run_sweep",
    "sweep_table",
]

SEED_KEY = "run.seed"
"""The scenario key that ``--repeat`` varies."""

Loader = Callable[..., Any]
"""``load_scenario(path, overrides)``: a validated scenario (raises ValueError if not)."""
Runner = Callable[..., dict]
"""``run_scenario(scenario, out)``: the run's flat summary."""

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


@dataclass(frozen=True)
class Variation:
    """One ``--vary`` option: a dotted scenario key and the values it takes, in order."""

    key: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep.

    Attributes
    ----------
    index : int
        0-based position in the sweep (the row of the table).
    varied : dict
        The ``--vary`` keys and this run's values, in option order.
    repeat : int
        0-based repeat number.
    seed : int
        The run's ``run.seed``.
    folder : str
        Name of the run's folder under ``OUT/runs``.
    scenario : dict
        The validated scenario as plain data (:meth:`Scenario.to_dict`, paths absolute):
        what the worker rebuilds the run from.
    """

    index: int
    varied: dict[str, Any]
    repeat: int
    seed: int
    folder: str
    scenario: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: every run, ready to submit."""

    scenario_path: Path
    variations: tuple[Variation, ...]
    repeat: int
    runs: tuple[RunSpec, ...] = field(repr=False)


def parse_toml_value(text: str) -> Any:
    """A value of a ``--vary`` list read as TOML; a word that is not TOML stays a string.

    Examples
    --------
    >>> parse_toml_value("12"), parse_toml_value("0.5"), parse_toml_value("true")
    (12, 0.5, True)
    >>> parse_toml_value('"C"'), parse_toml_value("L-TOWN"), parse_toml_value("[1, 2]")
    ('C', 'L-TOWN', [1, 2])
    """
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        # A bare word (a network or method name) is what a planner types; quoting it on a
        # shell command line is a nuisance. Anything that looks like TOML syntax must parse.
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.:+-]*", text):
            return text
        raise ValueError(
            f"{text!r} is not a TOML value (a number, true/false, a quoted string, "
            "a date or an [array]) nor a plain word"
        ) from None


def parse_vary(option: str) -> Variation:
    """``"KEY=V1,V2,..."`` as a :class:`Variation`, values typed as TOML values.

    Commas inside brackets or quotes do not split values.

    Raises
    ------
    ValueError
        No ``=``, a key that is not a dotted path, an empty or malformed value, or a value
        given twice; the message quotes the option.

    Examples
    --------
    >>> parse_vary("leaks.0.diameter_mm=10,20.5")
    Variation(key='leaks.0.diameter_mm', values=(10, 20.5))
    >>> parse_vary('sensors.pressure=["11"],["11", "22"]').values
    (['11'], ['11', '22'])
    >>> parse_vary('run.network=Net1,"Net3"').values
    ('Net1', 'Net3')
    """
    key, sep, rest = option.partition("=")
    key = key.strip()
    if not sep or not _BARE_KEY.match(key):
        raise ValueError(
            f"--vary {option!r}: expected KEY=V1,V2,... with KEY a dotted scenario key "
            "such as run.seed or leaks.0.diameter_mm"
        )
    values = []
    for item in _split_values(rest):
        if not item:
            raise ValueError(f"--vary {option!r}: an empty value (expected KEY=V1,V2,...)")
        try:
            values.append(parse_toml_value(item))
        except ValueError as error:
            raise ValueError(f"--vary {option!r}: {error}") from None
    labels = [_label(v) for v in values]
    if len(set(labels)) != len(labels):
        raise ValueError(f"--vary {option!r}: a value is given twice")
    return Variation(key, tuple(values))


def _split_values(text: str) -> list[str]:
    """Split on commas outside brackets, braces and quotes (a hand-written scanner: the
    standard ``csv`` module knows quotes but not TOML's brackets)."""
    items, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote and text[i - 1] != "\\" else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    items.append(text[start:].strip())
    return items


def _label(value: Any) -> str:
    """A value as it appears in folder names and the table: TOML-like, filename-safe."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return re.sub(r"[^A-Za-z0-9_.+-]+", " ", text).strip().replace(" ", "-") or "-"


def plan_sweep(
    scenario_path: Path,
    variations: Sequence[Variation],
    repeat: int = 1,
    *,
    load: Loader | None = None,
) -> SweepPlan:
    """Every run of a sweep, each combination validated by loading it before any run.

    Parameters
    ----------
    scenario_path : Path
        The scenario TOML file.
    variations : sequence of Variation
        The ``--vary`` options; their cartesian product, first option slowest.
    repeat : int
        Runs per combination; repeat ``r`` uses seed ``run.seed + r``.
    load : callable, optional
        ``load_scenario(path, overrides)``; default :func:`twin.scenario.load_scenario`.

    Raises
    ------
    ValueError
        A key given twice, ``repeat`` < 1, or a combination the scenario refuses (the
        message names the ``--vary`` values and the scenario's own complaint).
    FileNotFoundError
        No scenario file.
    """
    load = load or _default_loader()
    keys = [v.key for v in variations]
    if len(set(keys)) != len(keys):
        raise ValueError(f"--vary: a key is varied twice ({', '.join(keys)})")
    if repeat < 1:
        raise ValueError(f"--repeat {repeat}: expected at least 1")
    combos = list(itertools.product(*(v.values for v in variations)))
    width = len(str(len(combos) * repeat - 1))
    runs = []
    for combo in combos:
        varied = dict(zip(keys, combo, strict=True))
        data = _validated(load, Path(scenario_path), varied)
        for r in range(repeat):
            names = [f"{k}={_label(v)}" for k, v in varied.items()]
            scenario = copy.deepcopy(data)
            scenario["run"]["seed"] += r
            if repeat > 1:
                names.append(f"repeat={r}")
            folder = "_".join([f"{len(runs):0{width}d}", *names])
            runs.append(RunSpec(len(runs), varied, r, scenario["run"]["seed"], folder, scenario))
    return SweepPlan(Path(scenario_path), tuple(variations), repeat, tuple(runs))


def _validated(load: Loader, path: Path, varied: dict[str, Any]) -> dict[str, Any]:
    """The scenario with ``varied`` applied, as plain data; ValueError naming the values."""
    where = ", ".join(f"{k}={v!r}" for k, v in varied.items()) or "(none)"
    try:
        data = load(path, {k: _as_override(v) for k, v in varied.items()}).to_dict()
    except (ValueError, KeyError, LookupError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        raise ValueError(f"--vary {where}: {message}") from None
    seed = data["run"]["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"{path}: {SEED_KEY} = {seed!r}: expected an integer seed")
    return data


def _as_override(value: Any) -> Any:
    """``load_scenario`` reads a text override as TOML (``"22"`` is the number 22): text
    values go as TOML strings so that ``"22"`` stays the id ``"22"``."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else value


def _default_loader() -> Loader:
    # Imported here, not at the top: the package's __init__ may import this module.
    from twin.scenario import load_scenario

    return load_scenario


def execute_run(
    scenario: Mapping[str, Any],
    out: str,
    record: Mapping[str, Any],
    run: Runner | None = None,
) -> dict[str, Any]:
    """Rebuild one run's scenario from plain data and run it: what a Dask worker executes.

    Parameters
    ----------
    scenario : mapping
        :attr:`RunSpec.scenario`.
    out : str
        The run's folder; ``record`` (which run of which sweep) is written to
        ``out/sweep_run.json`` first.
    record : mapping
        JSON-ready description of the run.
    run : callable, optional
        Stand-in for :func:`twin.scenario.run_scenario` (it must pickle).

    Returns
    -------
    dict
        The run's flat summary. A run that raises is not an error of the sweep: its
        summary is ``{"error": "<type>: <message>", "seconds_total": <s>}`` and the
        traceback is in ``out/error.txt``.
    """
    from twin.scenario import run_scenario, scenario_from_dict

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sweep_run.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (folder / "error.txt").unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        return dict((run or run_scenario)(scenario_from_dict(scenario), folder))
    except Exception as error:  # a failed run is a row of the table, not the sweep's end
        (folder / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        return {
            "error": f"{type(error).__name__}: {error}",
            "seconds_total": round(time.perf_counter() - started, 3),
        }


def local_cluster(n_workers: int | None = None):
    """A Dask ``LocalCluster`` of worker processes, one thread each, as many as the
    machine has CPUs unless told otherwise (a run is CPU-bound Python holding the GIL, so
    threads would not run two at once)."""
    import os

    from distributed import LocalCluster

    return LocalCluster(
        n_workers=n_workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        # A free loopback port: two sweeps at once do not clash over Dask's default 8787.
        dashboard_address="127.0.0.1:0",
    )


def run_sweep(
    plan: SweepPlan,
    out: Path,
    client: Any | None = None,
    *,
    on_done: Callable[[RunSpec, dict[str, Any]], None] | None = None,
    run: Runner | None = None,
) -> pd.DataFrame:
    """Run every run of ``plan`` and gather the summaries into one table.

    Parameters
    ----------
    plan : SweepPlan
        From :func:`plan_sweep`.
    out : Path
        Sweep folder: runs go to ``out/runs/<folder>``, the table to ``out/sweep.csv``.
    client : distributed.Client, optional
        Where to run: one task per run. None runs them one after another in this process.
    on_done : callable, optional
        Called with each run and its summary as it finishes (in completion order).
    run : callable, optional
        Stand-in for :func:`twin.scenario.run_scenario` (it must pickle).

    Returns
    -------
    pandas.DataFrame
        :func:`sweep_table` of the results, also written to ``out/sweep.csv``.
    """
    out = Path(out).absolute()
    (out / "runs").mkdir(parents=True, exist_ok=True)

    def task_args(spec: RunSpec) -> tuple:
        record = {
            "scenario_file": str(plan.scenario_path.absolute()),
            "run": spec.index,
            "varied": spec.varied,
            "repeat": spec.repeat,
            "seed": spec.seed,
        }
        return (spec.scenario, str(out / "runs" / spec.folder), record, run)

    results: dict[int, dict[str, Any]] = {}
    if client is None:
        for spec in plan.runs:
            results[spec.index] = execute_run(*task_args(spec))
            if on_done:
                on_done(spec, results[spec.index])
    else:
        results = _run_on_cluster(plan, client, task_args, on_done)
    table = sweep_table(plan, [results[spec.index] for spec in plan.runs])
    table.to_csv(out / "sweep.csv", index=False)
    return table


def _run_on_cluster(plan: SweepPlan, client: Any, task_args, on_done) -> dict[int, dict]:
    """Submit one task per run and collect the summaries as they finish."""
    from distributed import as_completed

    # Keys are unique per sweep: two sweeps on one scheduler must never share a task.
    token = uuid.uuid4().hex[:8]
    futures = {
        client.submit(
            execute_run, *task_args(spec), key=f"twin-sweep-{token}-{spec.index}", pure=False
        ): spec
        for spec in plan.runs
    }
    results = {}
    for future in as_completed(futures):
        spec = futures[future]
        if future.status == "finished":
            results[spec.index] = future.result()
        else:  # the worker died or the task could not be run: still a row of the table
            error = future.exception()
            results[spec.index] = {"error": f"{type(error).__name__}: {error}"}
        future.release()
        if on_done:
            on_done(spec, results[spec.index])
    return results


def sweep_table(plan: SweepPlan, summaries: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per run: what was varied and the run's summary figures.

    Returns
    -------
    pandas.DataFrame
        One row per run in run order. Columns ``run`` (index), ``folder`` (under
        ``OUT/runs``), each varied key, ``repeat``, ``seed``, ``error`` (empty for runs that
        finished) and then the summary's figures in the order the summaries list them
        (timings ``seconds_<stage>`` and ``seconds_total`` in s); a figure a run lacks is
        empty.
    """
    rows = []
    for spec, summary in zip(plan.runs, summaries, strict=True):
        row: dict[str, Any] = {"run": spec.index, "folder": spec.folder, **spec.varied}
        row |= {"repeat": spec.repeat, "seed": spec.seed, "error": summary.get("error", "")}
        row |= {k: v for k, v in summary.items() if k not in row and k != "error"}
        rows.append(row)
    return pd.DataFrame(rows)
