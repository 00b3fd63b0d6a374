"""Localizing the twin's confirmed events while it runs: when, with which window, which model.

:class:`EventLocator` is asked after every step whether an event is due: a confirmed event
``after_confirm_s`` after its confirmation, and once more ``refine_after_s`` later. It takes
the de-seasoned pressure residuals from the run's trace, the sensitivities and re-solves from
the twin's model at the present step, and records the result in the detector's event book.
Only readings that have arrived by the present are used.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from twin.detect.baseline import HourOfWeekBaseline
from twin.detect.detector import LeakDetector
from twin.detect.events import EventState
from twin.evaluate.distance import PipeDistances
from twin.localize.interpolate import conductance_graph
from twin.localize.localizer import (
    Localization,
    LocalizationSettings,
    ModelFit,
    locate,
    residual_change,
)
from twin.localize.ranking import pipe_table
from twin.localize.sensitivity import sensitivity_matrix
from twin.model.demand import DemandEstimator
from twin.model.twin_model import TwinModel
from twin.network.areas import NetworkAreas
from twin.units import M3S_TO_M3H

__all__ = ["EventLocator"]


class EventLocator:
    """Localize the confirmed events of a running twin (see the module docstring).

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
        The nominal model (graph and pipe lengths).
    areas : NetworkAreas
        The metering zones: an event's candidates are its zone's junctions.
    pressure_nodes : sequence of str
        Node of each pressure logger, in the order of the residual vectors.
    pressure_baseline : HourOfWeekBaseline
        The loggers' residual baseline from history (de-seasons the residuals; its scale
        sets the noise of a residual change).
    settings : LocalizationSettings, optional
    """

    def __init__(
        self,
        wn,
        areas: NetworkAreas,
        pressure_nodes: list[str],
        pressure_baseline: HourOfWeekBaseline,
        settings: LocalizationSettings | None = None,
    ) -> None:
        self.settings = settings or LocalizationSettings()
        self.pressure_nodes = list(pressure_nodes)
        self.baseline = pressure_baseline
        self.graph = conductance_graph(wn)
        self.pipes = pipe_table(wn)
        ends = set(self.pipes["start_node"]) | set(self.pipes["end_node"])
        self.zone_junctions = {a.name: list(a.junctions) for a in areas.areas}
        self.candidates = {
            name: [j for j in junctions if j in ends]
            for name, junctions in self.zone_junctions.items()
        }
        self._step_noise_m = float(np.nanmedian(pressure_baseline.scale_by_slot))
        self.distances = PipeDistances.from_model(wn)
        self.localizations: dict[str, list[tuple[int, Localization]]] = {}

    def due(self, detector: LeakDetector, time_s: int) -> list[str]:
        """Events to localize now."""
        s = self.settings
        out = []
        for event in detector.book.open_events():
            if event.state == EventState.CONFIRMED and event.confirmed_at is not None:
                if time_s >= event.confirmed_at + s.after_confirm_s and not event.locations:
                    out.append(event.event_id)
            elif (
                s.refine_after_s is not None
                and event.state == EventState.LOCALIZED
                and len(event.locations) == 1
            ):
                if time_s >= event.locations[0][0] + s.refine_after_s:
                    out.append(event.event_id)
        return out

    def localize(
        self,
        event_id: str,
        time_s: int,
        detector: LeakDetector,
        model: TwinModel,
        estimator: DemandEstimator,
        times_s: npt.NDArray[np.int64],
        pressure_residual_m: npt.NDArray[np.float64],
    ) -> Localization | None:
        """Localize one event at the present step and record it; None if it cannot be done."""
        event = detector.book[event_id]
        state = model.last_state
        if state is None or not state.converged or event.area not in self.candidates:
            return None
        s = self.settings
        residual = pressure_residual_m - self.baseline.location(times_s)
        change, hours_after, hours_before = residual_change(
            times_s, residual, event.start_estimate, time_s, s.before_s
        )
        if not np.isfinite(change).any() or hours_before < 1.0:
            return None
        noise = self._step_noise_m * np.sqrt(1.0 / max(hours_after, 1.0) + 1.0 / hours_before)
        zone = self.zone_junctions[event.area]
        candidates = self.candidates[event.area]
        spread = self._spread(model, estimator, event.area)
        position = {j: i for i, j in enumerate(model.junction_ids)}
        weights = spread[[position[j] for j in zone]]
        S_zone = sensitivity_matrix(model.engine, state, self.pressure_nodes, zone)
        in_zone = {j: i for i, j in enumerate(zone)}
        S = S_zone[:, [in_zone[j] for j in candidates]] - (S_zone @ weights)[:, None]
        fit = ModelFit(model.what_if_pressure, model.last_demands, spread, position)
        found = locate(
            change,
            noise,
            S,
            candidates,
            self.pressure_nodes,
            self.graph,
            self.pipes,
            leak_m3s=event.flow_m3h / M3S_TO_M3H,
            model_fit=fit,
            settings=s,
        )
        refined = bool(event.locations)
        self.localizations.setdefault(event_id, []).append((time_s, found))
        if refined and not found.pipe_probability > event.probability:
            return found  # the longer window is no surer: the crew keeps its first order
        detector.book.localize(
            event_id,
            time_s,
            "refined" if refined else "first location",
            pipe=found.pipe,
            probability=found.pipe_probability,
            search_area_pipes=found.area.pipes,
            search_area_km=found.area.length_km,
        )
        if not refined:
            self._merge_if_growth(event_id, time_s, detector, found)
        return found

    def _merge_if_growth(
        self, event_id: str, time_s: int, detector: LeakDetector, found: Localization
    ) -> None:
        """An event found where an earlier open leak of its zone is, is that leak growing
        (an incipient leak raises alarm after alarm as it grows), unless the zone's inflow
        stepped up when it was raised: a burst beside a known leak is a new leak, and two
        leaks may well lie closer than localization can tell apart."""
        if event_id in detector.bursts:
            return
        event = detector.book[event_id]
        for other in detector.book.open_events(event.area):
            if other.event_id == event_id or not other.pipe:
                continue
            if self.distances.pipe_distance(other.pipe, found.pipe) <= self.settings.same_leak_m:
                detector.merge(time_s, event_id, into=other.event_id)
                return

    @staticmethod
    def _spread(model: TwinModel, estimator: DemandEstimator, area: str) -> np.ndarray:
        """How the twin spreads a zone's unexplained inflow: its unmetered demands' shares."""
        k = [a.name for a in estimator.areas.areas].index(area)
        demands = np.asarray(model.last_demands)
        mask = (estimator.zone_of == k) & ~estimator.metered
        spread = np.where(mask, demands, 0.0)
        total = spread.sum()
        return spread / total if total > 0 else mask / max(mask.sum(), 1)

    def candidate_table(self, origin: pd.Timestamp, top: int = 50) -> pd.DataFrame:
        """The ranked pipes of every localization: event_id, time, rank, pipe, probability,
        in_search_area (the ``top`` most likely pipes of each)."""
        rows = []
        for event_id, found in self.localizations.items():
            for time_s, loc in found:
                area = set(loc.area.pipes)
                when = origin + pd.Timedelta(seconds=time_s)
                for rank, row in enumerate(loc.ranking.head(top).itertuples(), start=1):
                    rows.append((event_id, when, rank, row.pipe, row.probability, row.pipe in area))
        columns = ["event_id", "time", "rank", "pipe", "probability", "in_search_area"]
        return pd.DataFrame(rows, columns=columns)
