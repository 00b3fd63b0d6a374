"""The BattLeDIM 2020 score: money saved by timely, nearby detections, minus crews sent in vain.

The rules (Vrachimis et al., "Battle of the Leakage Detection and Isolation Methods", J. Water
Resour. Plann. Manage., doi:10.1061/(ASCE)WR.1943-5452.0001601):

- A detection (pipe, time) *hits* a leak when the time is inside the leak's window (from its
  start to its repair, or to the data end if it is not repaired; both ends included) and the
  pipe is within 300 m of the leak's pipe (:class:`~twin.evaluate.distance.PipeDistances`).
- A hit earns 0.80 EUR per m³ the leak loses from the detection time to the end of its
  window, minus ``distance / 300 m × 500 EUR`` for the crew's search.
- A detection that hits no leak costs 500 EUR (a false alarm).
- A detection that only hits leaks already hit scores 0 (a repeat hit).
- The perfect score detects every leak at its start on its own pipe: 0.80 EUR per m³ of each
  leak's whole volume in its window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.evaluate.distance import PipeDistances
from twin.evaluate.truth import LeakTruth, leak_volume_m3, leak_volumes_m3

__all__ = ["CREW_COST_EUR", "TOLERANCE_M", "WATER_PRICE_EUR_PER_M3", "Score", "score"]

WATER_PRICE_EUR_PER_M3 = 0.80
"""What a m³ of water saved is worth, EUR."""

CREW_COST_EUR = 500.0
"""Cost of a crew sent to a false alarm, and of a search over the whole tolerance, EUR."""

TOLERANCE_M = 300.0
"""Greatest distance from the leak's pipe at which a detection still finds it, m."""

HIT, REPEAT, FALSE_ALARM = "hit", "repeat", "false alarm"


@dataclass(frozen=True)
class Score:
    """A results file scored against the truth.

    Attributes
    ----------
    detections : pandas.DataFrame
        One row per detection, in time order (ties in the given order): ``pipe``, ``time``
        (and any other column the detections came with, such as ``line``), ``outcome``
        (``"hit"``, ``"repeat"`` or ``"false alarm"``), ``leak`` (leak id hit or repeated,
        None for a false alarm), ``distance_m`` (m, to that leak; for a false alarm to the
        nearest leak at any time, ``inf`` if none can be reached), ``earned_eur`` (EUR; NaN
        for a hit when the outflows are unknown).
    leaks : pandas.DataFrame
        Index ``leak_id``: ``site``, ``start``, ``window_end`` (repair or data end),
        ``volume_m3`` (m³ lost in the window; NaN without outflows), ``perfect_eur`` (EUR),
        ``first_hit`` (time of the hit, NaT if missed), ``delay`` (``first_hit - start``,
        Timedelta), ``distance_m`` (m, of the hit).
    money_known : bool
        False when the truth has no outflows: money totals are then None.
    """

    detections: pd.DataFrame
    leaks: pd.DataFrame
    money_known: bool

    @property
    def hits(self) -> int:
        """Leaks found: detections that earned."""
        return int((self.detections["outcome"] == HIT).sum())

    @property
    def false_alarms(self) -> int:
        """Detections that hit no leak."""
        return int((self.detections["outcome"] == FALSE_ALARM).sum())

    @property
    def repeat_hits(self) -> int:
        """Detections of leaks already found."""
        return int((self.detections["outcome"] == REPEAT).sum())

    @property
    def missed(self) -> int:
        """Leaks no detection found."""
        return int(self.leaks["first_hit"].isna().sum())

    @property
    def total_eur(self) -> float | None:
        """The score, EUR (None when the outflows are unknown)."""
        return float(self.detections["earned_eur"].sum()) if self.money_known else None

    @property
    def perfect_eur(self) -> float | None:
        """The score of perfect detections, EUR (None when the outflows are unknown)."""
        return float(self.leaks["perfect_eur"].sum()) if self.money_known else None

    @property
    def share_of_perfect(self) -> float | None:
        """``total_eur / perfect_eur`` (NaN with no leak water; None without outflows)."""
        if not self.money_known:
            return None
        perfect = self.perfect_eur
        return self.total_eur / perfect if perfect > 0 else float("nan")

    @property
    def delays(self) -> pd.Series:
        """Detection delay per leak found: first hit time - leak start (Timedelta)."""
        return self.leaks["delay"].dropna()


def score(
    detections: pd.DataFrame,
    truth: LeakTruth,
    distances: PipeDistances,
    data_end: pd.Timestamp | None = None,
) -> Score:
    """Score detections by the BattLeDIM 2020 rules (see the module docstring).

    Parameters
    ----------
    detections : pandas.DataFrame
        Columns ``pipe`` (pipe id) and ``time`` (timestamp), e.g. from
        :func:`~twin.evaluate.results.read_leaks_txt`.
    truth : LeakTruth
        The leaks; without outflows only hits, false alarms, delays and distances are scored.
    distances : PipeDistances
        Distances over the network's pipes.
    data_end : pandas.Timestamp, optional
        End of the data (unrepaired leaks run until then); default ``truth.data_end``.

    Returns
    -------
    Score

    Raises
    ------
    ValueError
        Detections without ``pipe`` or ``time``, or a detection or a leak naming a pipe (or
        junction) the network does not have.

    Notes
    -----
    Detections are taken in time order (as crews would be sent). Where the rules are silent:

    - A detection that could hit several leaks is credited to the leak it earns most on among
      the leaks not yet hit (the closest one when outflows are unknown; ties go to the
      closer, then the earlier listed leak). The official MATLAB scorer credits the closest
      leak instead; the two differ only when two leaks overlap in both time and space.
    - It is a repeat hit (0 EUR) only when every leak it could hit was already hit.
    - A hit may earn less than nothing (a late detection far away): it is kept as earned.
    """
    missing = {"pipe", "time"} - set(detections.columns)
    if missing:
        raise ValueError(f"detections: missing column(s) {sorted(missing)}")
    unknown = sorted(set(detections["pipe"]) - set(distances.pipe_ids))
    if unknown:
        raise ValueError(f"detections: no pipe {unknown[0]!r} in the network")
    end = truth.data_end if data_end is None else pd.Timestamp(data_end)
    order = pd.to_datetime(detections["time"]).sort_values(kind="stable").index
    found = detections.loc[order].reset_index(drop=True)
    found["time"] = pd.to_datetime(found["time"])
    leaks = truth.leaks
    window_end = leaks["end"].fillna(end).clip(upper=end)
    distance = _detection_distances(distances, list(found["pipe"]), leaks)
    times = found["time"].to_numpy()
    in_window = (times[:, None] >= leaks["start"].to_numpy()[None, :]) & (
        times[:, None] <= window_end.to_numpy()[None, :]
    )
    reaches = in_window & (distance <= TOLERANCE_M)
    earned = _earnings(found["time"], truth, window_end, distance, reaches)
    rows = _assign(
        found, list(leaks.index), distance, earned, reaches, truth.outflow_m3s is not None
    )
    return Score(rows, _leak_table(truth, window_end, rows), truth.outflow_m3s is not None)


def _detection_distances(
    distances: PipeDistances, pipes: list[str], leaks: pd.DataFrame
) -> np.ndarray:
    """Distance from each detected pipe to each leak's site, (n_detections, n_leaks) m."""
    matrix = np.full((len(pipes), len(leaks)), np.inf)
    on_pipe = (leaks["on"] == "pipe").to_numpy()
    try:
        if on_pipe.any():
            sites = list(leaks["site"][on_pipe])
            matrix[:, on_pipe] = distances.pipe_distances(pipes, sites).to_numpy()
        if not on_pipe.all():
            sites = list(leaks["site"][~on_pipe])
            matrix[:, ~on_pipe] = distances.pipe_node_distances(pipes, sites).to_numpy()
    except ValueError as error:
        raise ValueError(f"scoring: {error} (do the truth and the network match?)") from None
    return matrix


def _earnings(
    times: pd.Series,
    truth: LeakTruth,
    window_end: pd.Series,
    distance: np.ndarray,
    reaches: np.ndarray,
) -> np.ndarray:
    """What each detection earns on each leak it reaches, (n_detections, n_leaks) EUR.

    NaN where it does not reach the leak, or where the outflows are unknown.
    """
    earned = np.full(reaches.shape, np.nan)
    if truth.outflow_m3s is None:
        return earned
    for j, leak_id in enumerate(truth.leaks.index):
        rows = np.flatnonzero(reaches[:, j])
        if len(rows) == 0:
            continue
        saved_m3 = leak_volumes_m3(
            truth.outflow_m3s[leak_id], pd.DatetimeIndex(times.iloc[rows]), window_end.iat[j]
        )
        search_eur = distance[rows, j] / TOLERANCE_M * CREW_COST_EUR
        earned[rows, j] = WATER_PRICE_EUR_PER_M3 * saved_m3 - search_eur
    return earned


def _assign(
    found: pd.DataFrame,
    leak_ids: list[str],
    distance: np.ndarray,
    earned: np.ndarray,
    reaches: np.ndarray,
    money_known: bool,
) -> pd.DataFrame:
    """Walk the detections in time order: each is a hit, a repeat hit or a false alarm."""
    already: set[int] = set()
    outcome, leak, dist, eur = [], [], [], []
    for i in range(len(found)):
        candidates = np.flatnonzero(reaches[i])
        fresh = [j for j in candidates if j not in already]
        pool = fresh or list(candidates)
        if not pool:
            outcome.append(FALSE_ALARM)
            leak.append(None)
            dist.append(float(distance[i].min()) if distance.shape[1] else np.inf)
            eur.append(-CREW_COST_EUR)
            continue
        gain = earned[i] if money_known else -distance[i]
        best = min(pool, key=lambda j: (-gain[j], distance[i, j], j))
        outcome.append(HIT if fresh else REPEAT)
        leak.append(leak_ids[best])
        dist.append(float(distance[i, best]))
        eur.append(float(earned[i, best]) if fresh else 0.0)
        already.add(best)
    rows = found.copy()
    rows["outcome"] = outcome
    rows["leak"] = pd.Series(leak, index=rows.index, dtype=object)
    rows["distance_m"] = np.asarray(dist, dtype=float)
    rows["earned_eur"] = np.asarray(eur, dtype=float)
    return rows


def _leak_table(truth: LeakTruth, window_end: pd.Series, rows: pd.DataFrame) -> pd.DataFrame:
    """Per leak: its window, volume, perfect score and first hit (time, delay, distance)."""
    leaks = truth.leaks
    table = pd.DataFrame(
        {"site": leaks["site"], "start": leaks["start"], "window_end": window_end},
        index=leaks.index,
    )
    if truth.outflow_m3s is None:
        table["volume_m3"] = np.nan
    else:
        table["volume_m3"] = [
            leak_volume_m3(truth.outflow_m3s[k], leaks.at[k, "start"], window_end[k])
            for k in leaks.index
        ]
    table["perfect_eur"] = WATER_PRICE_EUR_PER_M3 * table["volume_m3"]
    hits = rows[rows["outcome"] == HIT].set_index("leak")
    table["first_hit"] = hits["time"].reindex(leaks.index)
    table["delay"] = table["first_hit"] - table["start"]
    table["distance_m"] = hits["distance_m"].reindex(leaks.index)
    return table
