"""Stochastic consumption: the junction demands the plant feeds the hydraulic engine.

Consumption at a junction is its base demand times a daily shape (by consumer type, or the
model's own EPANET patterns), times factors the utility cannot know in advance: a seasonal
swing (summer peak), a town-wide daily level that wanders from day to day (weather, events;
an AR(1) on the log of the day's multiplier, moving smoothly from one noon to the next) and
a per-junction, per-step noise. Every factor has mean 1, so the long-run mean of a junction
is its base demand times the mean shape (1 over a week).

Randomness is counter-based (Philox keyed by the seed, the counter set from the step index),
so the demand at a step does not depend on how the run is cut into blocks: a year asked for
as 365 day-blocks gives the same numbers as one block.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.signal import lfilter
from scipy.special import ndtri
from wntr.network import WaterNetworkModel

__all__ = [
    "COMMERCIAL",
    "INDUSTRIAL",
    "PROFILES",
    "RESIDENTIAL",
    "ConsumptionProfile",
    "DemandModel",
    "StochasticDemand",
    "base_demand_by_source",
    "consumer_type_of",
    "junction_demands",
]

Seed = int | np.random.Generator | np.random.SeedSequence | None
"""Anything a plant function accepts as its source of randomness."""

SECONDS_PER_DAY = 86_400
_HALF_ULP = 2.0**-54  # keeps uniforms away from 0 so ndtri never returns -inf
_WEEKEND = (5, 6)  # Saturday, Sunday (pandas dayofweek, Monday = 0)


@dataclass(frozen=True)
class ConsumptionProfile:
    """Daily consumption shape of one consumer type.

    Multipliers (dimensionless) at each full hour 00:00 ... 23:00, linear in between and
    wrapping at midnight. Only the shape matters: :meth:`normalised` scales a profile so
    that its mean over a week (5 weekdays, 2 weekend days) is 1.

    Attributes
    ----------
    name : str
        Consumer type (``"residential"``, ``"commercial"``, ``"industrial"``).
    weekday, weekend : tuple of 24 float
        Hourly multipliers on Monday-Friday and on Saturday-Sunday.
    """

    name: str
    weekday: tuple[float, ...]
    weekend: tuple[float, ...]

    def __post_init__(self) -> None:
        for part in ("weekday", "weekend"):
            values = np.asarray(getattr(self, part), dtype=float)
            if values.shape != (24,) or (values < 0).any() or values.sum() == 0:
                raise ValueError(
                    f"ConsumptionProfile {self.name!r}: {part} needs 24 non-negative hourly "
                    f"multipliers, not all zero"
                )

    def normalised(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Weekday and weekend hourly multipliers scaled to a weekly mean of 1."""
        weekday, weekend = np.asarray(self.weekday), np.asarray(self.weekend)
        weekly_mean = (5.0 * weekday.mean() + 2.0 * weekend.mean()) / 7.0
        return weekday / weekly_mean, weekend / weekly_mean


RESIDENTIAL = ConsumptionProfile(
    "residential",
    # Morning peak 07-08 h (showers), lunch shoulder, evening peak 19-20 h (cooking, washing);
    # night use 02-04 h about 0.3 of the mean (toilets, appliances): the legitimate night flow.
    weekday=(0.55, 0.40, 0.32, 0.30, 0.32, 0.50, 1.05, 1.65, 1.60, 1.25, 1.05, 0.98,
             1.00, 0.95, 0.88, 0.88, 0.98, 1.18, 1.40, 1.50, 1.42, 1.22, 0.98, 0.75),
    # Weekends: people sleep in; a later, broader morning peak around 09-10 h, more use at home.
    weekend=(0.65, 0.48, 0.36, 0.31, 0.30, 0.34, 0.50, 0.85, 1.30, 1.58, 1.55, 1.40,
             1.30, 1.18, 1.05, 1.00, 1.05, 1.20, 1.40, 1.45, 1.35, 1.18, 0.98, 0.80),
)  # fmt: skip
COMMERCIAL = ConsumptionProfile(
    "commercial",
    # Offices and shops: office hours 08-17 h with a lunch dip, little use at night.
    weekday=(0.25, 0.22, 0.20, 0.20, 0.22, 0.30, 0.55, 1.10, 1.70, 1.90, 1.95, 1.90,
             1.75, 1.85, 1.90, 1.85, 1.70, 1.35, 0.90, 0.60, 0.45, 0.38, 0.32, 0.28),
    # Weekends: shops only, about 40% of a weekday.
    weekend=(0.20, 0.18, 0.18, 0.18, 0.18, 0.20, 0.25, 0.35, 0.55, 0.75, 0.85, 0.85,
             0.80, 0.75, 0.70, 0.65, 0.55, 0.45, 0.35, 0.30, 0.26, 0.24, 0.22, 0.21),
)  # fmt: skip
INDUSTRIAL = ConsumptionProfile(
    "industrial",
    # Three shifts: flat, a quieter night shift and dips at the 06, 14 and 22 h changeovers.
    weekday=(0.85, 0.85, 0.85, 0.85, 0.85, 0.80, 0.90, 1.10, 1.15, 1.15, 1.15, 1.15,
             1.10, 1.05, 1.00, 1.10, 1.15, 1.15, 1.10, 1.05, 1.00, 0.95, 0.80, 0.85),
    # Weekends: reduced production, about 70% of a weekday.
    weekend=(0.60, 0.60, 0.60, 0.60, 0.60, 0.56, 0.63, 0.77, 0.80, 0.80, 0.80, 0.80,
             0.77, 0.74, 0.70, 0.77, 0.80, 0.80, 0.77, 0.74, 0.70, 0.66, 0.56, 0.60),
)  # fmt: skip
PROFILES: Mapping[str, ConsumptionProfile] = MappingProxyType(
    {p.name: p for p in (RESIDENTIAL, COMMERCIAL, INDUSTRIAL)}
)
"""The consumer types by name; the first, residential, is the default type."""


def _profile_shapes(
    types: list[str], time_of_day_s: npt.NDArray[np.int64], weekend: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    """Normalised multipliers of consumer ``types`` at seconds since midnight, (n, n_types)."""
    weekday_table, weekend_table = zip(*(PROFILES[t].normalised() for t in types), strict=True)
    hour = time_of_day_s / 3600.0
    first = np.floor(hour).astype(np.int64) % 24
    weight = (hour - np.floor(hour))[:, None]
    shapes = []
    for table in (np.array(weekday_table), np.array(weekend_table)):
        shapes.append(table[:, first].T * (1.0 - weight) + table[:, (first + 1) % 24].T * weight)
    return np.where(weekend[:, None], shapes[1], shapes[0])


@dataclass(frozen=True)
class DemandModel:
    """Settings of the stochastic consumption model.

    Attributes
    ----------
    noise_std : float
        Relative standard deviation of the per-junction, per-step factor (lognormal, mean 1,
        independent from step to step), in ``[0, 2)``; default 0.10. Smart-meter data at
        5 min scatter by tens of percent per customer; a junction aggregates several.
    daily_level_std : float
        Relative standard deviation of the town-wide day-to-day level multiplier (lognormal,
        mean 1); default 0.05.
    daily_level_persistence : float
        Lag-one autocorrelation of the daily level's log, in ``[0, 1)`` (a warm spell lasts
        days); default 0.7.
    seasonal_amplitude : float
        Relative amplitude of the yearly cosine, in ``[0, 1)``: demand is ``1 + amplitude``
        times the mean at the peak and ``1 - amplitude`` half a year later; default 0.10.
    seasonal_peak_day : float
        Day of the year of the summer peak, days after 1 January 00:00; default 196
        (mid-July, northern hemisphere).
    weekend_factor : float
        Extra level of Saturdays and Sundays relative to weekdays, on top of the shapes' own
        weekend level; the week's mean is kept (weekdays are scaled by ``7 / (5 + 2 f)``,
        weekend days by ``7 f / (5 + 2 f)``); default 1 (the shapes as they are).
    shapes : {"profiles", "patterns"}
        ``"profiles"`` (default): the documented consumer-type profiles of
        :data:`PROFILES`, each demand category typed by its pattern name.
        ``"patterns"``: the model's own EPANET patterns (WNTR multipliers, stepwise, from the
        pattern start), so a network's real patterns can be used.
    """

    noise_std: float = 0.10
    daily_level_std: float = 0.05
    daily_level_persistence: float = 0.7
    seasonal_amplitude: float = 0.10
    seasonal_peak_day: float = 196.0
    weekend_factor: float = 1.0
    shapes: Literal["profiles", "patterns"] = "profiles"

    def __post_init__(self) -> None:
        limits = {  # setting: (lowest allowed, first value not allowed)
            "noise_std": (0.0, 2.0),
            "daily_level_std": (0.0, 1.0),
            "daily_level_persistence": (0.0, 1.0),
            "seasonal_amplitude": (0.0, 1.0),
            "seasonal_peak_day": (0.0, 366.0),
            "weekend_factor": (1e-9, np.inf),
        }
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if not low <= value < high:  # also refuses NaN
                raise ValueError(
                    f"DemandModel.{name}={value!r}: expected a value in [{low}, {high})"
                )
        if self.shapes not in ("profiles", "patterns"):
            raise ValueError(
                f"DemandModel.shapes={self.shapes!r}: expected 'profiles' or 'patterns'"
            )


def consumer_type_of(pattern_name: str | None) -> str:
    """Consumer type of a demand category from its pattern name.

    Parameters
    ----------
    pattern_name : str or None
        EPANET pattern id of the demand category (e.g. ``"P-Commercial"``).

    Returns
    -------
    str
        ``"commercial"`` if the name contains "commerc", ``"industrial"`` if it contains
        "indus", else ``"residential"`` (case-insensitive; residential is the default).

    Examples
    --------
    >>> consumer_type_of("P-Industrial"), consumer_type_of("1")
    ('industrial', 'residential')
    """
    name = (pattern_name or "").lower()
    if "commerc" in name:
        return "commercial"
    if "indus" in name:
        return "industrial"
    return "residential"


def _category_pattern(wn: WaterNetworkModel, pattern_name: str | None) -> str | None:
    """Pattern that EPANET applies to a demand category (the default one if it has none)."""
    if pattern_name:
        return pattern_name
    default = wn.options.hydraulic.pattern
    return default if default and default in wn.pattern_name_list else None


def base_demand_by_source(
    wn: WaterNetworkModel,
    shapes: Literal["profiles", "patterns"] = "profiles",
    consumer_types: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Base demand of every junction split by the shape that drives it.

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
        The network whose junction demands are split.
    shapes : {"profiles", "patterns"}
        Split by consumer type (each demand category typed by :func:`consumer_type_of`) or
        by EPANET pattern id (``""`` for categories without a pattern: constant 1).
    consumer_types : mapping of str to str, optional
        Junction id to consumer type; moves all of that junction's demand to the type given
        (``"profiles"`` only).

    Returns
    -------
    pandas.DataFrame
        Base demand in m³/s (including the model's global demand multiplier), index junction
        ids in ``wn.junction_name_list`` order, one column per consumer type or pattern id.
    """
    overrides = _checked_overrides(wn, consumer_types)
    if shapes == "profiles":
        columns = list(PROFILES)
    else:
        names = (d.pattern_name for _, j in wn.junctions() for d in j.demand_timeseries_list)
        columns = sorted({_category_pattern(wn, name) or "" for name in names})
    position = {name: i for i, name in enumerate(columns)}
    table = np.zeros((wn.num_junctions, len(columns)))
    for row, (jname, junction) in enumerate(wn.junctions()):
        for demand in junction.demand_timeseries_list:
            pattern = _category_pattern(wn, demand.pattern_name)
            if shapes == "patterns":
                key = pattern or ""
            else:
                key = overrides.get(jname) or consumer_type_of(pattern)
            table[row, position[key]] += demand.base_value
    table *= wn.options.hydraulic.demand_multiplier
    index = pd.Index(wn.junction_name_list, name="junction")
    return pd.DataFrame(table, index=index, columns=pd.Index(columns, name="source"))


def _checked_overrides(
    wn: WaterNetworkModel, consumer_types: Mapping[str, str] | None
) -> Mapping[str, str]:
    """Return the junction → type mapping, or raise naming the bad id or type."""
    if not consumer_types:
        return {}
    junctions = set(wn.junction_name_list)
    for jname, ctype in consumer_types.items():
        if jname not in junctions:
            raise KeyError(f"consumer_types: {jname!r} is not a junction of network {wn.name!r}")
        if ctype not in PROFILES:
            raise ValueError(
                f"consumer_types[{jname!r}]={ctype!r}: expected one of {sorted(PROFILES)}"
            )
    return consumer_types


def _stream_keys(seed: Seed, n: int) -> list[npt.NDArray[np.uint64]]:
    """``n`` independent Philox keys from a seed (a Generator is drawn from once)."""
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(0, 2**63))
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    # Children built by hand rather than spawn(), which would mutate a caller's SeedSequence.
    children = (
        np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, i)) for i in range(n)
    )
    return [child.generate_state(2, np.uint64) for child in children]


def _uniforms(key: npt.NDArray[np.uint64], first_row: int, n_rows: int, width: int):
    """Uniforms in (0, 1) for rows ``first_row ..`` of a counter-based stream, shape (n, width).

    Row ``r`` always uses the same Philox counters (``r * stride / 4`` onwards, 4 doubles per
    counter), whatever block it is asked in.
    """
    stride = -(-width // 4) * 4
    bits = np.random.Philox(key=key, counter=first_row * (stride // 4))
    draws = np.random.Generator(bits).random((n_rows, stride))
    return draws[:, :width] + _HALF_ULP


class StochasticDemand:
    """The plant's consumption: junction demands for any block of hydraulic steps.

    Build it once per scenario (it reads the network's demands once); then ask for blocks.
    A block is a function of the steps it covers only, never of earlier calls.

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
        The plant's network (usually the perturbed truth); its junction base demands, demand
        patterns (``shapes="patterns"``) and global demand multiplier are used.
    model : DemandModel, optional
        Settings; default ``DemandModel()``.
    origin : pandas.Timestamp
        Wall-clock time of the run's second 0 (sets time of day, weekday and season).
    seed : int, numpy.random.Generator or numpy.random.SeedSequence
        Source of randomness; the same int seed gives the same demands.
    step_s : int, optional
        Hydraulic step in seconds (default 300); must divide a day.
    consumer_types : mapping of str to str, optional
        Junction id to consumer type, overriding the type read from pattern names.

    Attributes
    ----------
    junction_names : list of str
        Column order of every block (``wn.junction_name_list``).
    base_demand : pandas.Series
        Base demand of each junction, m³/s (sum of its categories, times the global demand
        multiplier), indexed by junction id.
    """

    def __init__(
        self,
        wn: WaterNetworkModel,
        model: DemandModel | None = None,
        *,
        origin: pd.Timestamp,
        seed: Seed,
        step_s: int = 300,
        consumer_types: Mapping[str, str] | None = None,
    ) -> None:
        if int(step_s) != step_s or step_s <= 0 or SECONDS_PER_DAY % int(step_s):
            raise ValueError(
                f"step_s={step_s!r}: expected a whole number of seconds dividing 86400"
            )
        self.model = model if model is not None else DemandModel()
        self.step_s = int(step_s)
        self.origin = pd.Timestamp(origin)
        by_source = base_demand_by_source(wn, self.model.shapes, consumer_types)
        self.junction_names: list[str] = list(by_source.index)
        self.base_demand: pd.Series = by_source.sum(axis=1).rename("base_demand_m3s")
        self._base = by_source.to_numpy().T.copy()  # (n_sources, n_junctions)
        self._sources = list(by_source.columns)
        self._patterns = [
            np.asarray(wn.get_pattern(name).multipliers, float) if name else np.ones(1)
            for name in (self._sources if self.model.shapes == "patterns" else [])
        ]
        self._pattern_step = int(wn.options.time.pattern_timestep)
        self._pattern_start = int(wn.options.time.pattern_start)
        self._noise_key, self._level_key = _stream_keys(seed, 2)
        self._origin_s = round((self.origin - self.origin.normalize()).total_seconds())
        year_start = self.origin.normalize().replace(month=1, day=1)
        self._origin_day_of_year = (self.origin - year_start).total_seconds() / SECONDS_PER_DAY
        self._origin_weekday = self.origin.day_of_week

    def block(self, start_s: int, n_steps: int) -> npt.NDArray[np.float64]:
        """Junction demands for ``n_steps`` steps from ``start_s``.

        Parameters
        ----------
        start_s : int
            Time of the first step, seconds since the origin; a multiple of ``step_s``, >= 0.
        n_steps : int
            Number of steps (rows).

        Returns
        -------
        numpy.ndarray of float, shape (n_steps, n_junctions)
            Demand in m³/s; row ``i`` is time ``start_s + i * step_s``, columns in
            ``junction_names`` order.
        """
        if start_s < 0 or start_s % self.step_s or n_steps < 0:
            raise ValueError(
                f"block(start_s={start_s!r}, n_steps={n_steps!r}): start_s must be a "
                f"non-negative multiple of step_s={self.step_s} s and n_steps >= 0"
            )
        t = start_s + self.step_s * np.arange(n_steps, dtype=np.int64)
        wall_s = self._origin_s + t  # seconds since the origin day's midnight
        day = wall_s // SECONDS_PER_DAY
        weekend = np.isin((self._origin_weekday + day) % 7, _WEEKEND)
        shapes = self._shapes(t, wall_s % SECONDS_PER_DAY, weekend)
        level = self._daily_level(wall_s) * self._seasonal(t) * self._weekend_scale(weekend)
        demand = (shapes * level[:, None]) @ self._base
        if self.model.noise_std > 0.0:
            demand *= self._noise(start_s // self.step_s, n_steps)
        return demand

    def days(self, start_s: int, n_days: int) -> Iterator[tuple[int, npt.NDArray[np.float64]]]:
        """Yield ``(start_s, block)`` for ``n_days`` day blocks, one day in memory at a time."""
        for i in range(n_days):
            day_start = start_s + i * SECONDS_PER_DAY
            yield day_start, self.block(day_start, SECONDS_PER_DAY // self.step_s)

    def _shapes(self, t, time_of_day_s, weekend) -> npt.NDArray[np.float64]:
        """Shape multiplier of every source at every step, shape (n_steps, n_sources)."""
        if self.model.shapes == "profiles":
            return _profile_shapes(self._sources, time_of_day_s, weekend)
        # EPANET's stepwise, wrapping pattern lookup (with the pattern start offset)
        index = (t + self._pattern_start) // self._pattern_step
        columns = [m[index % len(m)] if len(m) else np.ones(len(t)) for m in self._patterns]
        return np.column_stack(columns) if columns else np.empty((len(t), 0))

    def _daily_level(self, wall_s: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Town-wide level at each step: lognormal AR(1) over days from day 0, mean 1.

        Each day's value holds at its noon and the level moves linearly between noons: a
        town's consumption does not jump at midnight (a step there would be an artefact of
        the simulation that no twin should have to explain).
        """
        std, phi = self.model.daily_level_std, self.model.daily_level_persistence
        if std == 0.0 or len(wall_s) == 0:
            return np.ones(len(wall_s))
        position = np.maximum((wall_s - SECONDS_PER_DAY // 2) / SECONDS_PER_DAY, 0.0)
        before = np.floor(position).astype(np.int64)
        n_days = int(before.max()) + 2
        shocks = ndtri(_uniforms(self._level_key, 0, 1, n_days)[0])
        shocks[0] /= np.sqrt(1.0 - phi**2)  # start in the stationary distribution
        sigma = np.sqrt(np.log1p(std**2))  # log-scale std giving a relative std of `std`
        log_level = lfilter([sigma * np.sqrt(1.0 - phi**2)], [1.0, -phi], shocks)
        level = np.exp(log_level - sigma**2 / 2.0)
        after = position - before
        return (1.0 - after) * level[before] + after * level[before + 1]

    def _seasonal(self, t: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Yearly cosine with its maximum on the peak day, mean 1 over a year."""
        amplitude = self.model.seasonal_amplitude
        day_of_year = self._origin_day_of_year + t / SECONDS_PER_DAY
        phase = 2.0 * np.pi * (day_of_year - self.model.seasonal_peak_day) / 365.25
        return 1.0 + amplitude * np.cos(phase)

    def _weekend_scale(self, weekend: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        """Shift level between weekdays and weekends keeping the weekly mean."""
        f = self.model.weekend_factor
        return np.where(weekend, 7.0 * f / (5.0 + 2.0 * f), 7.0 / (5.0 + 2.0 * f))

    def _noise(self, first_step: int, n_steps: int) -> npt.NDArray[np.float64]:
        """Per-junction, per-step lognormal factors with mean 1, shape (n_steps, n_junctions)."""
        sigma = np.sqrt(np.log1p(self.model.noise_std**2))
        z = ndtri(_uniforms(self._noise_key, first_step, n_steps, len(self.junction_names)))
        z *= sigma
        z -= sigma**2 / 2.0
        return np.exp(z, out=z)


def junction_demands(
    wn: WaterNetworkModel,
    model: DemandModel | None = None,
    *,
    start_s: int,
    n_steps: int,
    origin: pd.Timestamp,
    seed: Seed,
    step_s: int = 300,
    consumer_types: Mapping[str, str] | None = None,
) -> npt.NDArray[np.float64]:
    """Junction demands for one block of steps (see :class:`StochasticDemand`).

    Returns
    -------
    numpy.ndarray of float, shape (n_steps, n_junctions)
        Demand in m³/s at times ``start_s + i * step_s`` (seconds since ``origin``), columns
        in ``wn.junction_name_list`` order.

    Examples
    --------
    >>> import pandas as pd, wntr
    >>> wn = wntr.network.WaterNetworkModel("networks/Net1.inp")
    >>> q = junction_demands(wn, start_s=0, n_steps=288, origin=pd.Timestamp("2018-01-01"),
    ...                      seed=1)
    >>> q.shape, bool((q >= 0).all())
    ((288, 9), True)
    """
    demand = StochasticDemand(
        wn, model, origin=origin, seed=seed, step_s=step_s, consumer_types=consumer_types
    )
    return demand.block(start_s, n_steps)
