"""Zone consumption from the meters: what flows in through the inlets minus what the tanks store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from twin.network.areas import NetworkAreas

__all__ = ["ZoneBalance"]


class ZoneBalance:
    """Measured consumption of each metering zone, step by step.

    A zone consumes what enters through its inlet meters (signed) minus what its tanks store.
    Storage is the change of a tank's measured level times its cross-section; over one step a
    0.01 m level resolution would swamp it, so a zone with tanks is balanced over ``window_s``
    (inflow averaged over the window, storage from the level at its two ends).

    Parameters
    ----------
    areas : NetworkAreas
        The zones, their inlets and tanks.
    flow_ids : sequence of str
        Links with a flow meter, in the order their readings are given.
    level_ids : sequence of str
        Tanks with a level gauge, in the order their readings are given.
    tank_area_m2 : mapping of str to float
        Cross-section of each tank, m² (cylindrical tanks; a volume curve is not used).
    step_s : int
        The run's step, s.
    window_s : int
        Balance window of zones with tanks, s (default one hour).

    Notes
    -----
    A zone's consumption is unknown (NaN) when one of its inlet meters or tank gauges has no
    reading, or when it has no inlet meter at all.
    """

    def __init__(
        self,
        areas: NetworkAreas,
        flow_ids: Sequence[str],
        level_ids: Sequence[str],
        tank_area_m2: Mapping[str, float],
        step_s: int,
        window_s: int = 3600,
    ) -> None:
        self.names = [a.name for a in areas.areas]
        flow_pos = {k: i for i, k in enumerate(flow_ids)}
        level_pos = {k: i for i, k in enumerate(level_ids)}
        n_zones = len(self.names)
        self._inlets = np.zeros((n_zones, len(flow_ids)))
        self._tanks = np.zeros((n_zones, len(level_ids)))
        self.known = np.ones(n_zones, dtype=bool)
        self.why_unknown: dict[str, str] = {}
        for k, area in enumerate(areas.areas):
            missing = [i.link_id for i in area.inlets if i.link_id not in flow_pos]
            ungauged = [t for t in area.tanks if t not in level_pos]
            if not area.metered or missing or ungauged:
                self.known[k] = False
                self.why_unknown[area.name] = (
                    "no inlet meter"
                    if not area.inlets
                    else f"also fed through unmetered link(s) {', '.join(area.unmetered_links)}"
                    if not area.metered
                    else f"no readings of inlet meter(s) {', '.join(missing)}"
                    if missing
                    else f"no level gauge on tank(s) {', '.join(ungauged)}"
                )
                continue
            for inlet in area.inlets:
                self._inlets[k, flow_pos[inlet.link_id]] = inlet.sign
            for tank in area.tanks:
                self._tanks[k, level_pos[tank]] = tank_area_m2[tank]
        self.window_steps = np.where(self._tanks.any(axis=1), max(window_s // step_s, 1), 1)
        self._depth = int(self.window_steps.max())
        self._step_s = step_s
        self._inflow = np.full((self._depth, n_zones), np.nan)
        self._volume = np.full((self._depth + 1, n_zones), np.nan)
        self._count = 0

    def update(
        self, flows_m3s: npt.NDArray[np.float64], levels_m: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Take one step's flows and levels; each zone's consumption over its window, m³/s.

        Parameters
        ----------
        flows_m3s : ndarray, shape (n_flow,)
            Flow meter readings, m³/s (NaN: missing).
        levels_m : ndarray, shape (n_level,)
            Tank levels, m (NaN: missing).
        """
        with np.errstate(invalid="ignore"):
            inflow = np.where(self._inlets != 0, self._inlets * flows_m3s, 0.0).sum(axis=1)
            inflow[np.isnan(np.where(self._inlets != 0, flows_m3s, 0.0)).any(axis=1)] = np.nan
            volume = np.where(self._tanks > 0, self._tanks * levels_m, 0.0).sum(axis=1)
            volume[np.isnan(np.where(self._tanks > 0, levels_m, 0.0)).any(axis=1)] = np.nan
        # rings: row count % depth holds the newest step
        self._inflow[self._count % self._depth] = inflow
        self._volume[self._count % (self._depth + 1)] = volume
        self._count += 1
        out = np.full(len(self.names), np.nan)
        for k, w in enumerate(self.window_steps.tolist()):
            if not self.known[k] or self._count <= (w if w > 1 else 0):
                continue
            rows = (self._count - 1 - np.arange(w)) % self._depth
            mean_in = self._inflow[rows, k].mean()
            if w > 1:
                size = self._depth + 1
                stored = self._volume[(self._count - 1) % size, k]
                stored -= self._volume[(self._count - 1 - w) % size, k]
                mean_in -= stored / (w * self._step_s)
            out[k] = mean_in
        return out
