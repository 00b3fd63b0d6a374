"""Evaluation cases: leaks drawn from a seed, simulated, watched by the twin, and scored.

A case is a ``twin generate`` run of the network with its plant uncertainty on (roughness,
diameters, base demands, stochastic consumption): ``history_days`` without leaks for the
twin to learn from, then ``watch_days`` in which one to three leaks start on random pipes.
The twin sees the sensor files only (:func:`twin.loop.replay_run.replay_twin`); the truth
folder is read afterwards, to score what it found (:mod:`twin.evaluate.metrics`,
:func:`twin.evaluate.battledim.score`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from twin.evaluate.metrics import false_alarms, localize_leaks, match_events

__all__ = [
    "CasePlan",
    "CaseResult",
    "CaseSpec",
    "LeakSpec",
    "battledim_score",
    "draw_cases",
    "leak_pipes",
    "run_case",
    "run_cases",
    "true_leaks",
]

LEAK_COLUMNS = ["case", "leak_id", "pipe", "zone", "diameter_mm", "kind", "start"]
"""Columns of the true leaks in :attr:`CaseResult.leaks`, before the matching's."""


@dataclass(frozen=True)
class LeakSpec:
    """One leak of a case: where, how big, when (hours from the case's start)."""

    pipe: str
    diameter_mm: float
    start_h: float
    peak_h: float | None = None
    """End of an incipient leak's growth, h; None for an abrupt leak."""

    @property
    def kind(self) -> str:
        """``"abrupt"`` or ``"incipient"``."""
        return "abrupt" if self.peak_h is None else "incipient"

    def as_option(self) -> str:
        """The leak as ``twin generate --leak`` takes it: ``PIPE:DIAMETER_MM:START_H[:PEAK_H]``."""
        peak = "" if self.peak_h is None else f":{self.peak_h:g}"
        return f"{self.pipe}:{self.diameter_mm:g}:{self.start_h:g}{peak}"


@dataclass(frozen=True)
class CasePlan:
    """How cases are drawn: the periods, and the leaks' number, start and growth.

    Attributes
    ----------
    history_days : float
        Leak-free days the twin learns from.
    watch_days : float
        Days the twin watches after the history.
    leak_start_days : float
        Leaks start (on whole hours) within this many days from the start of the watch.
    leaks_per_case : tuple of int
        Fewest and most leaks in a case.
    growth_days : tuple of int
        Shortest and longest growth of an incipient leak to its full size, whole days.
    incipient_share : float
        Chance that a leak is incipient rather than abrupt.
    """

    history_days: float = 7.0
    watch_days: float = 14.0
    leak_start_days: float = 12.0
    leaks_per_case: tuple[int, int] = (1, 3)
    growth_days: tuple[int, int] = (1, 4)
    incipient_share: float = 0.5

    def __post_init__(self) -> None:
        if self.history_days <= 0 or self.watch_days <= 0:
            raise ValueError("a case needs some history and some days to watch")
        if not 1 / 24 <= self.leak_start_days <= self.watch_days:
            raise ValueError(
                f"leaks must start within the watch ({self.watch_days:g} days) and the "
                f"window must be at least an hour, got {self.leak_start_days:g} days"
            )

    @classmethod
    def watching(cls, watch_days: float, history_days: float = 7.0) -> CasePlan:
        """The standard plan with another watch (leaks start in its first 6/7, at most 12 d)."""
        return cls(history_days, watch_days, min(12.0, watch_days * 6 / 7))


@dataclass(frozen=True)
class CaseSpec:
    """Everything needed to make a case again: network, seeds, start, leaks, periods.

    Attributes
    ----------
    network : str
        Catalogue name or .inp path.
    case : int
        The case's number in its evaluation (from 0).
    seed : int
        Seed of the plant (uncertainty, consumption, sensor noise).
    start : str
        Wall-clock time of the case's first second, ``YYYY-MM-DD HH:MM``.
    leaks : tuple of LeakSpec
    history_days, watch_days : float
    sensors : str or None
        Sensor layout CSV; None for the network's own layout file.
    """

    network: str
    case: int
    seed: int
    start: str
    leaks: tuple[LeakSpec, ...]
    history_days: float = 7.0
    watch_days: float = 14.0
    sensors: str | None = None

    @property
    def days(self) -> float:
        """Simulated days: history and watch."""
        return self.history_days + self.watch_days


@dataclass
class CaseResult:
    """What the twin found in one case, matched to the truth.

    Attributes
    ----------
    spec : CaseSpec
    leaks : pandas.DataFrame
        One row per true leak: :data:`LEAK_COLUMNS` (``diameter_mm`` in mm, ``start`` a
        timestamp), then the columns of :func:`~twin.evaluate.metrics.match_events` and
        :func:`~twin.evaluate.metrics.localize_leaks`.
    events : pandas.DataFrame
        The twin's confirmed events (``events.csv``) with a ``case`` column.
    false_alarms : pandas.DataFrame
        The events that detected no leak.
    ranking_known : bool
        The replay wrote its rankings (``candidates.csv``): top-10 is measured.
    earned_eur, perfect_eur : float or None
        BattLeDIM score of the replay's ``leaks.txt`` and the perfect score, EUR; None when
        the replay wrote no ``leaks.txt``.
    seconds : dict of str to float
        Wall time of ``generate``, ``replay`` and ``score``, s.
    notes : list of str
        The replay's notes.
    """

    spec: CaseSpec
    leaks: pd.DataFrame
    events: pd.DataFrame
    false_alarms: pd.DataFrame
    ranking_known: bool
    earned_eur: float | None
    perfect_eur: float | None
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def watched_days(self) -> float:
        """Days the twin watched."""
        return self.spec.watch_days


def leak_pipes(wn, areas) -> list[str]:
    """Pipes a case may put a leak on: both ends junctions of one zone, no flow meter on it.

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
    areas : twin.network.NetworkAreas
        The metering zones (from the flow meters).

    Returns
    -------
    list of str
        Sorted pipe ids, so that a seed draws the same pipes whatever the file's order.
    """
    zone = {j: a.name for a in areas for j in a.junctions}
    meters = {inlet.link_id for a in areas for inlet in a.inlets}
    pipes = []
    for name in wn.pipe_name_list:
        pipe = wn.get_link(name)
        a, b = zone.get(pipe.start_node_name), zone.get(pipe.end_node_name)
        if a is not None and a == b and name not in meters:
            pipes.append(name)
    return sorted(pipes)


def draw_cases(
    network: str | Path,
    n: int,
    seed: int,
    diameters: tuple[float, float] = (8.0, 25.0),
    *,
    plan: CasePlan | None = None,
    sensors: str | Path | None = None,
) -> list[CaseSpec]:
    """Draw ``n`` cases from ``seed`` alone: the same seed gives the same cases.

    Case ``k`` depends on ``(seed, k)`` only, so the first cases of a longer evaluation are
    the cases of a shorter one. Each case starts at midnight of a random day of 2018 and has
    1-3 leaks on distinct pipes (:func:`leak_pipes`) with diameters uniform in
    ``diameters`` (mm, to 0.1 mm), starting on a random whole hour in the first
    ``leak_start_days`` of the watch; half of them (on average) are incipient, growing to
    full size over 1-4 whole days. The plant's seed is ``seed * 1000 + k``.

    Parameters
    ----------
    network : str or Path
        Catalogue name or .inp path.
    n : int
        Number of cases, at least 1.
    seed : int
    diameters : tuple of float
        Smallest and largest leak diameter, mm.
    plan : CasePlan, optional
        Periods and leak counts (default :class:`CasePlan`'s).
    sensors : str or Path, optional
        Sensor layout CSV; default the network's own layout file (``NAME.sensors.csv``).

    Raises
    ------
    ValueError
        Bad ``n`` or ``diameters``, no sensor layout, or no pipe inside a metering zone.

    Examples
    --------
    >>> cases = draw_cases("L-TOWN", 2, seed=1, diameters=(10, 12))
    >>> [c.case for c in cases], all(10 <= k.diameter_mm <= 12 for c in cases for k in c.leaks)
    ([0, 1], True)
    """
    plan = plan or CasePlan()
    if n < 1:
        raise ValueError(f"--cases {n}: at least one case")
    low, high = diameters
    if not 0 < low <= high:
        raise ValueError(f"leak diameters {low:g},{high:g} mm: expected 0 < smallest <= largest")
    pipes = _network_pipes(network, sensors)
    if len(pipes) < plan.leaks_per_case[1]:
        raise ValueError(f"{network}: only {len(pipes)} pipe(s) inside a metering zone")
    return [_draw_case(network, k, seed, pipes, (low, high), plan, sensors) for k in range(n)]


def _network_pipes(network: str | Path, sensors: str | Path | None) -> list[str]:
    from twin.network import load, network_areas, resolve_network
    from twin.network.sensors import layout_for

    inp = resolve_network(network)
    layout = layout_for(inp, sensors or None)
    wn = load(inp)
    return leak_pipes(wn, network_areas(inp, wn, layout.flow))


def _draw_case(
    network: str | Path,
    case: int,
    seed: int,
    pipes: list[str],
    diameters: tuple[float, float],
    plan: CasePlan,
    sensors: str | Path | None,
) -> CaseSpec:
    rng = np.random.default_rng([seed, case])
    start = pd.Timestamp("2018-01-01") + pd.Timedelta(days=int(rng.integers(0, 330)))
    fewest, most = plan.leaks_per_case
    count = int(rng.integers(fewest, most + 1))
    history_h = plan.history_days * 24
    leaks = []
    for pipe in rng.choice(pipes, size=count, replace=False).tolist():
        start_h = history_h + float(rng.integers(0, int(plan.leak_start_days * 24)))
        incipient = bool(rng.random() < plan.incipient_share)
        shortest, longest = plan.growth_days
        growth_h = float(rng.integers(shortest * 24, longest * 24 + 1))
        peak_h = start_h + growth_h if incipient else None
        diameter = round(float(rng.uniform(*diameters)), 1)
        leaks.append(
            LeakSpec(pipe, min(max(diameter, diameters[0]), diameters[1]), start_h, peak_h)
        )
    return CaseSpec(
        network=str(network),
        case=case,
        seed=seed * 1000 + case,
        start=start.strftime("%Y-%m-%d %H:%M"),
        leaks=tuple(leaks),
        history_days=plan.history_days,
        watch_days=plan.watch_days,
        sensors=None if sensors is None else str(sensors),
    )


def run_case(spec: CaseSpec, scratch: str | Path) -> CaseResult:
    """Generate one case, replay the twin over its sensor files, score it against its truth.

    The case goes to ``scratch/caseNNN`` (sensor files, ``truth/``), the twin's outputs to
    ``scratch/caseNNN/twin``. The twin learns from the first ``history_days`` and watches the
    rest; it never reads ``truth/``.

    Returns
    -------
    CaseResult
    """
    from twin.cli.replay import recorded_layout
    from twin.evaluate.distance import PipeDistances
    from twin.evaluate.truth import read_truth
    from twin.feeds.scada_files import read_scada_folder
    from twin.loop.replay_run import replay_twin, split_history
    from twin.network import load, network_areas, resolve_network
    from twin.scenario.generate import generate_scenario

    folder = Path(scratch) / f"case{spec.case:03d}"
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    generate_scenario(
        spec.network,
        folder,
        days=spec.days,
        seed=spec.seed,
        leaks=[leak.as_option() for leak in spec.leaks],
        sensors=None if spec.sensors is None else Path(spec.sensors),
        start=spec.start,
    )
    seconds["generate"] = time.perf_counter() - clock
    inp = resolve_network(spec.network)
    wn = load(inp)
    recording = read_scada_folder(folder)
    layout = recorded_layout(recording, inp.stem, wn)
    origin = pd.Timestamp(recording.origin)
    history, watched = split_history(recording.readings, spec.history_days)
    clock = time.perf_counter()
    outcome = replay_twin(
        inp, layout, watched, origin, folder / "twin", history=history, history_origin=origin
    )
    seconds["replay"] = time.perf_counter() - clock
    seconds.update({f"replay {phase}": took for phase, took in outcome.seconds.items()})
    clock = time.perf_counter()
    truth = read_truth(folder)
    areas = network_areas(inp, wn, layout.flow)
    distances = PipeDistances.from_model(wn)
    leaks = true_leaks(spec.case, truth, wn, areas)
    events = outcome.events
    matched = match_events(events, leaks)
    ranking = folder / "twin" / "candidates.csv"  # absent from runs older than the ranking
    candidates = pd.read_csv(ranking, dtype={"pipe": str}) if ranking.is_file() else None
    located = localize_leaks(matched, events, distances, candidates)
    earned, perfect = battledim_score(folder / "twin" / "leaks.txt", truth, distances)
    seconds["score"] = time.perf_counter() - clock
    return CaseResult(
        spec,
        located,
        events.assign(case=spec.case),
        false_alarms(events, matched).assign(case=spec.case),
        candidates is not None,
        earned,
        perfect,
        seconds,
        list(outcome.notes),
    )


def run_cases(
    specs: Sequence[CaseSpec],
    scratch: str | Path,
    workers: int,
    on_done: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run every case (:func:`run_case`), ``workers`` at a time.

    With one worker the cases run in this process, else in a process pool (one case per
    process at a time). A case that fails with bad input stops the evaluation with the
    case's number in the message.

    Parameters
    ----------
    specs : sequence of CaseSpec
    scratch : str or Path
        Folder the cases are written to (``caseNNN`` each).
    workers : int
        Cases run at once.
    on_done : callable, optional
        Called with each result as its case ends (progress).

    Returns
    -------
    list of CaseResult
        In case order.
    """
    results = []
    if workers <= 1:
        for spec in specs:
            results.append(_named(spec, lambda s=spec: run_case(s, scratch)))
            if on_done is not None:
                on_done(results[-1])
        return results
    with ProcessPoolExecutor(workers) as pool:
        futures = {pool.submit(run_case, spec, scratch): spec for spec in specs}
        for future in as_completed(futures):
            results.append(_named(futures[future], future.result))
            if on_done is not None:
                on_done(results[-1])
    return sorted(results, key=lambda r: r.spec.case)


def _named(spec: CaseSpec, run: Callable[[], CaseResult]) -> CaseResult:
    """``run()``, with a bad-input error prefixed by the case it happened in."""
    try:
        return run()
    except (ValueError, KeyError, LookupError, FileNotFoundError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        text = f"case {spec.case} (plant seed {spec.seed}): {message}"
        try:
            wrapped = type(error)(text)
        except TypeError:  # an error class that wants more than a message
            wrapped = ValueError(text)
        raise wrapped from error


def true_leaks(case: int, truth, wn, areas) -> pd.DataFrame:
    """The truth's leaks with their zone (of the pipe's start node, else its end node).

    Returns
    -------
    pandas.DataFrame
        One row per leak, :data:`LEAK_COLUMNS`, ``case`` set to ``case``.
    """
    rows = []
    for leak_id, leak in truth.leaks.iterrows():
        if leak["on"] == "pipe":
            link = wn.get_link(leak["site"])
            ends = [link.start_node_name, link.end_node_name]
        else:
            ends = [leak["site"]]
        zones = [areas.area_of(n).name for n in ends if _in_zone(areas, n)]
        if not zones:
            raise ValueError(f"{truth.source}: leak {leak_id} is in no metering zone")
        rows.append(
            (
                case,
                leak_id,
                leak["site"] if leak["on"] == "pipe" else None,
                zones[0],
                leak["diameter_m"] * 1000,
                leak["type"],
                leak["start"],
            )
        )
    return pd.DataFrame(rows, columns=LEAK_COLUMNS)


def _in_zone(areas, node: str) -> bool:
    try:
        areas.area_of(node)
    except KeyError:
        return False
    return True


def battledim_score(leaks_txt: Path, truth, distances) -> tuple[float | None, float | None]:
    """BattLeDIM score and perfect score of a replay's ``leaks.txt``, EUR (None if absent)."""
    from twin.evaluate.battledim import score
    from twin.evaluate.results import read_leaks_txt

    if not leaks_txt.is_file():
        return None, None
    result = score(read_leaks_txt(leaks_txt), truth, distances)
    return result.total_eur, result.perfect_eur
