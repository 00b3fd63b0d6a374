"""What really leaked: a generated case's hidden truth, the BattLeDIM 2018 leak list, volumes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from twin.units import M3S_TO_M3H

__all__ = ["LeakTruth", "leak_volume_m3", "leak_volumes_m3", "read_leak_events_2018", "read_truth"]

LEAK_COLUMNS = ["site", "on", "diameter_m", "type", "start", "peak", "end"]
"""Columns of :attr:`LeakTruth.leaks` (index ``leak_id``)."""

_OUTFLOW_COLUMN = "{} outflow [m3/h]"


@dataclass(frozen=True)
class LeakTruth:
    """The leaks of a period, their true outflows when known, and when the data end.

    Attributes
    ----------
    leaks : pandas.DataFrame
        Index ``leak_id``; columns ``site`` (pipe id, or junction id when ``on`` is
        ``"junction"``), ``on``, ``diameter_m`` (m), ``type`` (``abrupt``/``incipient``),
        ``start``, ``peak``, ``end`` (timestamps; ``end`` is NaT for a leak not repaired
        before the data end).
    outflow_m3s : pandas.DataFrame or None
        True outflow of each leak (m³/s): DatetimeIndex, one column per ``leak_id``; the
        rate at a stamp holds until the next stamp (the hydraulic step). None when the
        outflows are unknown (the real 2018 data).
    data_end : pandas.Timestamp
        The last time stamp of the data: unrepaired leaks run until then.
    source : str
        Where the truth was read (for messages).
    network : str or None
        The network the leaks are in (a catalogue name or an .inp path), when known.
    """

    leaks: pd.DataFrame
    outflow_m3s: pd.DataFrame | None
    data_end: pd.Timestamp
    source: str = ""
    network: str | None = None


def read_truth(folder: str | Path) -> LeakTruth:
    """Read the hidden truth ``twin generate`` wrote: ``leaks.csv``, ``leak_outflow.csv``.

    Parameters
    ----------
    folder : str or pathlib.Path
        The ``truth`` folder, or the case folder that holds it.

    Returns
    -------
    LeakTruth
        Outflows converted from the file's m³/h to m³/s; the data end is the scenario's
        start plus its duration (``scenario.json``), else the last outflow stamp; the
        network is the scenario's.

    Raises
    ------
    FileNotFoundError
        No ``leaks.csv`` in the folder (nor in its ``truth`` subfolder).
    ValueError
        A missing column, a bad time stamp or a leak with no outflow column; the message
        names the file.
    """
    folder = Path(folder)
    if not (folder / "leaks.csv").is_file() and (folder / "truth" / "leaks.csv").is_file():
        folder = folder / "truth"
    leaks_csv = folder / "leaks.csv"
    if not leaks_csv.is_file():
        raise FileNotFoundError(f"{folder}: no leaks.csv (expected a truth folder of a case)")
    leaks = _read_leaks_csv(leaks_csv)
    outflow = _read_outflow_csv(folder / "leak_outflow.csv", list(leaks.index))
    data_end, network = _scenario(folder / "scenario.json")
    if data_end is None:
        if outflow.empty:
            raise ValueError(f"{folder}: no scenario.json and no outflow rows: data end unknown")
        data_end = outflow.index[-1]
    return LeakTruth(leaks, outflow, data_end, str(folder), network)


def read_leak_events_2018(
    path: str | Path, data_end: pd.Timestamp | str | None = None
) -> LeakTruth:
    """Read the BattLeDIM 2018 leak list (``2018_leak_events.csv``): windows, no outflows.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV with columns ``leak_pipe_id, leak_type, leak_diameter_m, leak_area_m2,
        start_time, peak_time, end_time, repaired_in_2018``.
    data_end : pandas.Timestamp or str, optional
        Last stamp of the data; default the latest ``end_time`` of the list (2018-12-31
        23:55, the end time given to the leaks not repaired in 2018).

    Returns
    -------
    LeakTruth
        ``leak_id`` is ``leak_<pipe>``; ``end`` is NaT where ``repaired_in_2018`` is False;
        ``outflow_m3s`` is None: the 2018 leak outflows are not available, so a score of
        this truth counts hits, false alarms and delays but no money. The network is
        ``"L-TOWN"``.
    """
    path = Path(path)
    needed = ["leak_pipe_id", "leak_type", "leak_diameter_m", "start_time", "peak_time"]
    needed += ["end_time", "repaired_in_2018"]
    frame = _read_csv(path, needed)
    times = {c: _timestamps(frame[c], path, c) for c in ("start_time", "peak_time", "end_time")}
    repaired = frame["repaired_in_2018"].astype(str).str.strip().str.lower()
    if not repaired.isin(["true", "false"]).all():
        raise ValueError(f"{path}, column repaired_in_2018: expected True or False")
    pipes = frame["leak_pipe_id"].astype(str).str.strip()
    leaks = pd.DataFrame(
        {
            "site": pipes.to_numpy(),
            "on": "pipe",
            "diameter_m": pd.to_numeric(frame["leak_diameter_m"]).to_numpy(float),
            "type": frame["leak_type"].astype(str).str.strip().to_numpy(),
            "start": times["start_time"].to_numpy(),
            "peak": times["peak_time"].to_numpy(),
            "end": times["end_time"].where(repaired == "true").to_numpy(),
        },
        index=pd.Index("leak_" + pipes, name="leak_id"),
    )
    end = times["end_time"].max() if data_end is None else pd.Timestamp(data_end)
    return LeakTruth(leaks, None, end, str(path), "L-TOWN")


def leak_volume_m3(outflow_m3s: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Volume a leak lost from ``start`` to ``end``: its outflow integrated over time.

    The rate at each stamp holds until the next stamp, as in EPANET's extended-period
    simulation (and as the official BattLeDIM scoring sums its 5-min outflow samples); the
    part of a step inside ``[start, end]`` counts in proportion. Nothing is extrapolated:
    before the first stamp and after the last one the volume is 0.

    Parameters
    ----------
    outflow_m3s : pandas.Series
        Outflow (m³/s) on a sorted DatetimeIndex.
    start, end : pandas.Timestamp
        The period; an empty period (end before start) gives 0.

    Returns
    -------
    float
        Volume, m³.

    Examples
    --------
    >>> t = pd.date_range("2018-01-01", periods=4, freq="5min")
    >>> q = pd.Series([0.0, 0.001, 0.001, 0.002], index=t)  # m3/s
    >>> round(leak_volume_m3(q, t[1], t[3]), 6)  # 2 steps of 300 s at 0.001 m3/s
    0.6
    >>> round(leak_volume_m3(q, t[1] + pd.Timedelta("150s"), t[3]), 6)
    0.45
    """
    return float(leak_volumes_m3(outflow_m3s, pd.DatetimeIndex([start]), end)[0])


def leak_volumes_m3(
    outflow_m3s: pd.Series, starts: pd.DatetimeIndex, end: pd.Timestamp
) -> np.ndarray:
    """Volume a leak lost from each of ``starts`` to ``end``, m³ (see :func:`leak_volume_m3`).

    One pass over the outflow series for any number of start times (detection times).
    """
    if len(outflow_m3s) == 0:
        return np.zeros(len(starts))
    index = pd.DatetimeIndex(outflow_m3s.index)
    seconds = ((index - index[0]) / pd.Timedelta(seconds=1)).to_numpy(float)
    rate = outflow_m3s.to_numpy(float)
    cumulative = np.concatenate([[0.0], np.cumsum(rate[:-1] * np.diff(seconds))])
    at_start = np.interp(
        ((pd.DatetimeIndex(starts) - index[0]) / pd.Timedelta(seconds=1)).to_numpy(float),
        seconds,
        cumulative,
    )
    at_end = np.interp(
        (pd.Timestamp(end) - index[0]) / pd.Timedelta(seconds=1), seconds, cumulative
    )
    return np.maximum(at_end - at_start, 0.0)


def _read_csv(path: Path, needed: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing} (expected {needed})")
    return frame


def _timestamps(text: pd.Series, path: Path, column: str) -> pd.Series:
    """Parse a column of time stamps; empty fields become NaT."""
    text = text.astype(str).str.strip()
    parsed = pd.to_datetime(text.where(text != ""), errors="coerce")
    bad = parsed.isna() & (text != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{path}, column {column}, row {row + 1}: expected a time stamp "
            f"YYYY-MM-DD HH:MM[:SS], got {text.iloc[row]!r}"
        )
    return parsed


def _read_leaks_csv(path: Path) -> pd.DataFrame:
    frame = _read_csv(path, ["leak_id", *LEAK_COLUMNS])
    twice = frame.loc[frame["leak_id"].duplicated(), "leak_id"]
    if len(twice):
        raise ValueError(f"{path}, column leak_id: {twice.iat[0]!r} appears more than once")
    on = frame["on"].str.strip()
    if not on.isin(["pipe", "junction"]).all():
        raise ValueError(f"{path}, column on: expected 'pipe' or 'junction'")
    leaks = pd.DataFrame(
        {
            "site": frame["site"].str.strip().to_numpy(),
            "on": on.to_numpy(),
            "diameter_m": pd.to_numeric(frame["diameter_m"]).to_numpy(float),
            "type": frame["type"].str.strip().to_numpy(),
            **{c: _timestamps(frame[c], path, c).to_numpy() for c in ("start", "peak", "end")},
        },
        index=pd.Index(frame["leak_id"].str.strip(), name="leak_id"),
    )
    if leaks["start"].isna().any():
        raise ValueError(f"{path}, column start: every leak needs a start time")
    return leaks


def _read_outflow_csv(path: Path, leak_ids: list[str]) -> pd.DataFrame:
    frame = _read_csv(path, ["Timestamp"])
    index = pd.DatetimeIndex(_timestamps(frame["Timestamp"], path, "Timestamp"), name="Timestamp")
    if index.hasnans or not index.is_monotonic_increasing:
        raise ValueError(f"{path}, column Timestamp: expected increasing time stamps")
    outflow = {}
    for leak_id in leak_ids:
        column = _OUTFLOW_COLUMN.format(leak_id)
        if column not in frame.columns:
            raise ValueError(f"{path}: no column {column!r} for leak {leak_id!r}")
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
        if np.isnan(values).any():
            row = int(np.flatnonzero(np.isnan(values))[0])
            raise ValueError(f"{path}, column {column!r}, row {row + 1}: expected a number")
        outflow[leak_id] = values / M3S_TO_M3H
    return pd.DataFrame(outflow, index=index, columns=leak_ids)


def _scenario(path: Path) -> tuple[pd.Timestamp | None, str | None]:
    """The data end (start plus duration) and the network of ``scenario.json``, if any."""
    if not path.is_file():
        return None, None
    try:
        scenario = json.loads(path.read_text())
        end = pd.Timestamp(scenario["start"]) + pd.Timedelta(seconds=scenario["duration_s"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{path}: expected JSON with 'start' and 'duration_s'") from None
    network = scenario.get("network")
    return end, network if isinstance(network, str) else None
