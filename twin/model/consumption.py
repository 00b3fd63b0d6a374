"""The consumption the utility's model expects at each junction: base demands times patterns."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from wntr.network import WaterNetworkModel

__all__ = ["NominalConsumption"]


class NominalConsumption:
    """Expected consumer demand of every junction at a time, from the nominal model.

    Each junction's demand is the sum over its demand categories of base demand times the
    category's pattern multiplier (the model's default pattern when a category names none,
    1 when there is no pattern), times the model's demand multiplier, as EPANET computes it.
    Pattern time starts at the run's second 0, as in EPANET.

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
        The nominal model (the utility's).
    junction_ids : sequence of str, optional
        Order of the returned arrays; default the model's junctions.

    Examples
    --------
    >>> import wntr
    >>> wn = wntr.network.WaterNetworkModel("networks/Net1.inp")
    >>> nominal = NominalConsumption(wn)
    >>> round(float(nominal.at(0).sum() * 1000), 3)  # L/s over the town at midnight
    69.399
    """

    def __init__(self, wn: WaterNetworkModel, junction_ids: list[str] | None = None) -> None:
        self.junction_ids = list(junction_ids or wn.junction_name_list)
        default = wn.options.hydraulic.pattern
        default = default if default in wn.pattern_name_list else None
        names: list[str | None] = []
        rows, cols, base = [], [], []
        for row, jid in enumerate(self.junction_ids):
            for demand in wn.get_node(jid).demand_timeseries_list:
                name = demand.pattern_name or default
                if name not in names:
                    names.append(name)
                rows.append(row)
                cols.append(names.index(name))
                base.append(demand.base_value)
        table = np.zeros((len(self.junction_ids), max(len(names), 1)))
        np.add.at(table, (rows, cols), base)
        self._table = table * wn.options.hydraulic.demand_multiplier
        self._patterns = [
            np.asarray(wn.get_pattern(n).multipliers, float) if n else np.ones(1) for n in names
        ] or [np.ones(1)]
        self._pattern_step = int(wn.options.time.pattern_timestep) or 3600
        self._pattern_start = int(wn.options.time.pattern_start)

    def multipliers(self, time_s: int) -> npt.NDArray[np.float64]:
        """Each category's pattern multiplier at ``time_s`` (s since the run's origin)."""
        slot = (int(time_s) + self._pattern_start) // self._pattern_step
        return np.array([p[slot % len(p)] for p in self._patterns])

    def at(self, time_s: int) -> npt.NDArray[np.float64]:
        """Expected consumer demand of each junction at ``time_s``, m³/s."""
        return self._table @ self.multipliers(time_s)

    @property
    def mean(self) -> npt.NDArray[np.float64]:
        """Each junction's long-run mean demand (patterns averaged over their length), m³/s."""
        return self._table @ np.array([p.mean() for p in self._patterns])
