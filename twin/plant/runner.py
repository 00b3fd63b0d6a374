"""The plant runner: the hidden truth of a simulated scenario, stepped by the simpy clock.

A :class:`Plant` is the network in the ground. From the utility's nominal model it draws the
true parameters (:func:`~twin.plant.uncertainty.perturb_network`), the true consumption
(:class:`~twin.plant.demand.StochasticDemand`) and carries the scenario's leaks; every
hydraulic step it hands the true values to the instrument banks of a sensor layout. The
SCADA poller and the AMI head-end then deliver what those instruments report to a sink, the
only thing the twin side ever sees. The truth (leak outflows, drawn parameters, the leaks
themselves) stays with the plant, for the caller's evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import simpy
from wntr.network import WaterNetworkModel

from twin.feeds.channels import Sink, ami_head_end, scada_poller
from twin.feeds.clock import make_environment
from twin.feeds.faults import FaultRates, draw_faults
from twin.feeds.instruments import (
    InstrumentBank,
    amr_meters,
    flow_meters,
    pressure_loggers,
    tank_levels,
)
from twin.feeds.readings import Readings
from twin.hydraulics.engine import HydraulicEngine
from twin.hydraulics.leaks import Leak
from twin.hydraulics.record import sensor_positions
from twin.network.sensors import SensorLayout, sidecar_layout
from twin.plant.demand import DemandModel, StochasticDemand
from twin.plant.uncertainty import PerturbationRecord, perturb_network
from twin.units import M3S_TO_LH, M3S_TO_M3H

__all__ = [
    "FAULT_SIZES",
    "Plant",
    "PlantTruth",
    "PlantUncertainty",
    "all_faults_on",
]

SECONDS_PER_DAY = 86_400

FAULT_SIZES: Mapping[str, float] = {"pressure": 1.0, "flow": 5.0, "level": 0.1, "amr": 20.0}
"""Typical fault size per instrument kind, in the bank's unit (m, m3/h, m, L/h)."""

_SEED_STREAMS = ("perturbation", "demand", "noise", "faults", "scada", "ami")


@dataclass(frozen=True)
class PlantUncertainty:
    """How far the plant's parameters may be from the nominal model's.

    Attributes
    ----------
    roughness, diameter, base_demand : float
        Relative half-width of each parameter's factor range, in ``[0, 0.5)`` (0.10 = up to
        ±10%; 0 = as in the model). See :func:`~twin.plant.uncertainty.perturb_network`.
    """

    roughness: float = 0.10
    diameter: float = 0.10
    base_demand: float = 0.10


def all_faults_on(per_year: float = 4.0) -> dict[str, FaultRates]:
    """Every sensor fault kind on every instrument kind, sized for that kind.

    Parameters
    ----------
    per_year : float
        Faults of each kind per sensor per year.

    Returns
    -------
    dict of str to FaultRates
        Instrument kind (``"pressure"``, ``"flow"``, ``"level"``, ``"amr"``) to its rates,
        sizes from :data:`FAULT_SIZES`.
    """
    return {kind: FaultRates.all_on(per_year, size) for kind, size in FAULT_SIZES.items()}


@dataclass(frozen=True)
class PlantTruth:
    """What really happened in a simulated scenario: never given to the twin side.

    Attributes
    ----------
    leaks : tuple of Leak
        The scenario's leaks (site, diameter m, start/peak/end s since the origin).
    leak_nodes : dict of str to str
        Leak id to the node its water leaves from (a junction, or the node splitting a pipe).
    perturbation : PerturbationRecord
        The factors the true roughness, diameter and base demands were drawn with.
    leak_outflow : pandas.DataFrame
        Index ``Timestamp`` (each hydraulic step); one column per leak id, true outflow m3/h.
    converged : pandas.Series of bool
        Index ``Timestamp``; False where EPANET did not balance the plant at that step.
    origin : pandas.Timestamp
        Wall-clock time of the run's second 0.
    """

    leaks: tuple[Leak, ...]
    leak_nodes: dict[str, str]
    perturbation: PerturbationRecord
    leak_outflow: pd.DataFrame
    converged: pd.Series
    origin: pd.Timestamp


@dataclass
class _Log:
    """The plant's per-step record of the truth, grown as the run goes."""

    times: list[int] = field(default_factory=list)
    outflow: list[npt.NDArray[np.float64]] = field(default_factory=list)
    converged: list[bool] = field(default_factory=list)


class Plant:
    """The simulated network in the ground, its instruments and their channels.

    Parameters
    ----------
    network : str, Path or wntr.network.WaterNetworkModel
        The nominal model: a catalogue name (``"L-TOWN"``), an .inp path, or a WNTR model.
    seed : int
        Seed of everything the plant draws (parameters, demands, noise, faults, channels);
        the same seed gives the same readings.
    duration_s : int
        Length of the run, s; the plant steps at ``0, step_s, ... duration_s``.
    origin : str or pandas.Timestamp
        Wall-clock time of the run's second 0 (sets time of day, weekday and season).
    layout : SensorLayout, optional
        The instruments. Default: the network's sidecar layout (``NAME.sensors.csv``).
    leaks : sequence of Leak
        The scenario's leaks.
    uncertainty : PlantUncertainty
        How far the true parameters are from the model's.
    demand_model : DemandModel, optional
        Settings of the stochastic consumption; default ``DemandModel()``.
    faults : mapping of str to FaultRates, optional
        Sensor fault rates per instrument kind (``"pressure"``, ``"flow"``, ``"level"``,
        ``"amr"``); default none. :func:`all_faults_on` switches every kind on.
    step_s : int
        Hydraulic step, s (must divide a day); default 300.
    amr_period_s : int
        Reading period of the AMR meters, s; default 300, as in BattLeDIM's Demands.csv.
    channel_options : mapping of str to dict, optional
        Extra keyword arguments for ``"scada"`` (:func:`~twin.feeds.channels.scada_poller`)
        and ``"ami"`` (:func:`~twin.feeds.channels.ami_head_end`), e.g. latencies and losses.

    Examples
    --------
    >>> from twin.feeds.channels import Inbox
    >>> inbox = Inbox()
    >>> layout = SensorLayout(pressure=("10", "22"), flow=("10",), tank_level=("2",))
    >>> with Plant("Net1", seed=1, duration_s=3600, layout=layout) as plant:
    ...     truth = plant.run(inbox)
    >>> sorted({str(c) for c in inbox.readings().sensor_id})
    ['10', '2', '22']
    """

    def __init__(
        self,
        network: str | Path | WaterNetworkModel,
        *,
        seed: int,
        duration_s: int,
        origin: str | pd.Timestamp = "2018-01-01 00:00",
        layout: SensorLayout | None = None,
        leaks: Sequence[Leak] = (),
        uncertainty: PlantUncertainty = PlantUncertainty(),  # noqa: B008 (frozen, immutable)
        demand_model: DemandModel | None = None,
        faults: Mapping[str, FaultRates] | None = None,
        step_s: int = 300,
        amr_period_s: int = 300,
        channel_options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        if int(duration_s) != duration_s or duration_s <= 0 or duration_s % step_s:
            raise ValueError(
                f"Plant: duration_s={duration_s!r} must be a positive multiple of step_s={step_s} s"
            )
        self.duration_s = int(duration_s)
        self.step_s = int(step_s)
        self.origin = pd.Timestamp(origin)
        self._seeds = dict(
            zip(_SEED_STREAMS, np.random.SeedSequence(seed).spawn(len(_SEED_STREAMS)), strict=True)
        )
        nominal, inp = _nominal_model(network)
        self.layout = _layout_for(layout, inp)
        truth_wn, self.perturbation = perturb_network(
            nominal,
            **vars(uncertainty),
            seed=np.random.default_rng(self._seeds["perturbation"]),
            in_place=inp is not None,  # a model we loaded ourselves needs no copy
        )
        self.demand = StochasticDemand(
            truth_wn, demand_model, origin=self.origin, seed=self._seeds["demand"], step_s=step_s
        )
        # The engine opens the nominal file and applies the drawn pipe factors itself: writing
        # the perturbed model out as a new .inp would cost more than the whole week's solves
        # of a small network. (Base demands need no file: the plant sets every demand.)
        self.engine = HydraulicEngine(
            truth_wn if inp is None else inp,
            step_s=step_s,
            duration_s=self.duration_s,
            leaks=leaks,
            demands="arrays",
            pipe_factors=None if inp is None else self.perturbation.pipe_factors(),
        )
        self._pick = self._indices()
        self.banks = self._make_banks(dict(faults or {}), amr_period_s)
        self._channel_options = {k: dict(v) for k, v in (channel_options or {}).items()}
        self._log = _Log()

    # --- set-up ------------------------------------------------------------------------------
    def _indices(self) -> dict[str, npt.NDArray[np.intp]]:
        """Positions in the engine's arrays of every instrument and of the demand columns."""
        engine, layout = self.engine, self.layout
        positions = sensor_positions(engine, layout)
        column = {j: i for i, j in enumerate(self.demand.junction_names)}
        junctions = {j: i for i, j in enumerate(engine.junction_ids)}
        not_consumers = [n for n in layout.amr_demand if n not in junctions]
        if not_consumers:
            raise ValueError(
                f"Plant: AMR meters on nodes that are not junctions of the "
                f"network: {', '.join(not_consumers[:10])}"
            )
        return {
            "pressure": positions["pressure"],
            "flow": positions["flow"],
            "level": positions["level"],
            # AMR meters read the demand the plant sets: columns of the junction demand array
            "amr": np.array([junctions[n] for n in layout.amr_demand], dtype=np.intp),
            "demand_columns": np.array([column[j] for j in engine.junction_ids], dtype=np.intp),
        }

    def _make_banks(
        self, faults: dict[str, FaultRates], amr_period_s: int
    ) -> dict[str, InstrumentBank]:
        """One instrument bank per kind the layout has, with its drawn faults."""
        unknown = set(faults) - set(FAULT_SIZES)
        if unknown:
            raise ValueError(
                f"Plant: faults for unknown instrument kinds {sorted(unknown)}; "
                f"use {sorted(FAULT_SIZES)}"
            )
        layout = self.layout
        makers: dict[str, tuple[Callable[..., InstrumentBank], tuple[str, ...], dict]] = {
            "pressure": (pressure_loggers, layout.pressure, {}),
            "flow": (flow_meters, layout.flow, {}),
            "level": (tank_levels, layout.tank_level, {}),
            "amr": (amr_meters, layout.amr_demand, {"period": amr_period_s}),
        }
        noise_seeds = self._seeds["noise"].spawn(len(makers))
        fault_seeds = self._seeds["faults"].spawn(len(makers))
        banks = {}
        for i, (kind, (make, ids, options)) in enumerate(makers.items()):
            if not ids:
                continue
            drawn = []
            if kind in faults:
                drawn = draw_faults(ids, 0, self.duration_s + 1, faults[kind], seed=fault_seeds[i])
            banks[kind] = make(
                list(ids), seed=np.random.default_rng(noise_seeds[i]), faults=drawn, **options
            )
        return banks

    # --- running -----------------------------------------------------------------------------
    def process(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        """The hydraulic loop: step the plant every ``step_s`` until ``duration_s``.

        Each step sets the true demands (fetched a day at a time), solves the network and hands
        the true values to the banks: pressure (m) at pressure loggers, flow (m3/h) at flow
        meters, tank level (m), and consumption (L/h: junction demand minus any leak outflow
        there) at AMR meters.

        Returns
        -------
        generator
            The process; start it with ``env.process(plant.process(env))``.
        """
        pick, banks, log = self._pick, self.banks, self._log
        steps_per_day = SECONDS_PER_DAY // self.step_s
        n_steps = self.duration_s // self.step_s + 1
        for first in range(0, n_steps, steps_per_day):
            count = min(steps_per_day, n_steps - first)
            block = self.demand.block(first * self.step_s, count)[:, pick["demand_columns"]]
            for row in block:
                t = int(env.now)
                state = self.engine.step(row)
                # AMR meters sit on the service connections and never see a leak. They read the
                # consumption the plant asked for (demand-driven: all of it is delivered), not
                # EPANET's node demand, which at a leak node also counts the emitter's flow.
                consumption = row[pick["amr"]] * M3S_TO_LH
                observed = {
                    "pressure": state.pressure[pick["pressure"]],
                    "flow": state.flow[pick["flow"]] * M3S_TO_M3H,
                    "level": state.tank_level[pick["level"]],
                    "amr": consumption,
                }
                for kind, bank in banks.items():
                    bank.observe(t, observed[kind])
                log.times.append(t)
                log.outflow.append(state.leak_outflow * M3S_TO_M3H)
                log.converged.append(state.converged)
                if t < self.duration_s:
                    yield env.timeout(self.step_s)

    def start(self, env: simpy.Environment, sink: Sink) -> None:
        """Start the plant and its channels on ``env``, delivering readings to ``sink``.

        Pressure, flow and level banks go through one SCADA poller (channel ``"scada"``),
        AMR meters through the AMI head-end (channel ``"ami"``); each channel has its own
        seed stream. Options come from ``channel_options``. Readings measured after
        ``duration_s`` (channels sample on while late batches arrive) are not the scenario's:
        they never reach ``sink``.
        """
        inner, end = sink, self.duration_s

        def sink(readings: Readings) -> None:
            measured = readings.event_time <= end
            if measured.all():
                inner(readings)
            elif measured.any():
                inner(readings.take(measured))

        env.process(self.process(env))
        scada = [b for kind, b in self.banks.items() if kind != "amr"]
        if scada:
            options = {"seed": np.random.default_rng(self._seeds["scada"])}
            options |= self._channel_options.get("scada", {})
            env.process(scada_poller(env, scada, sink, **options))
        if "amr" in self.banks:
            options = {"seed": np.random.default_rng(self._seeds["ami"])}
            options |= self._channel_options.get("ami", {})
            env.process(ami_head_end(env, [self.banks["amr"]], sink, **options))

    def run(self, sink: Sink, *, on_step: Callable[[int], None] | None = None) -> PlantTruth:
        """Run the whole scenario as fast as possible and return the truth.

        The clock runs on past ``duration_s`` until every reading taken up to ``duration_s``
        has been delivered (the channels' latest possible arrival).

        Parameters
        ----------
        sink : callable
            Receives every delivered :class:`~twin.feeds.readings.Readings` batch.
        on_step : callable, optional
            Called with the number of hydraulic steps done, about once per simulated hour.
        """
        env = make_environment()
        self.start(env, sink)
        n_steps = self.duration_s // self.step_s + 1
        every = max(1, 3600 // self.step_s) * self.step_s
        for until in range(every, self.duration_s + every, every):
            env.run(until=min(until, self.duration_s) + 1)
            if on_step is not None:
                on_step(min(n_steps, until // self.step_s + 1))
        env.run(until=self.duration_s + self._flush_s() + 1)
        return self.truth()

    def _flush_s(self) -> int:
        """Longest time after ``duration_s`` a reading taken by then may still arrive, s."""
        scada = {"period": 300, "latency": (1, 20)} | self._channel_options.get("scada", {})
        ami = {
            "upload_period": 86_400,
            "delay": (60, 900),
            "late_rate": 0.0,
            "late_delay": (3_600, 6 * 3_600),
        } | self._channel_options.get("ami", {})
        late = ami["late_delay"][1] if ami["late_rate"] > 0 else 0
        return int(
            max(
                scada["period"] + scada["latency"][1],
                ami["upload_period"] + max(ami["delay"][1], late),
            )
        )

    def truth(self) -> PlantTruth:
        """The hidden truth of the steps run so far."""
        log, engine = self._log, self.engine
        index = pd.DatetimeIndex(
            self.origin + pd.to_timedelta(np.asarray(log.times, dtype=np.int64), unit="s"),
            name="Timestamp",
        )
        outflow = np.array(log.outflow).reshape(len(log.times), len(engine.leak_ids))
        return PlantTruth(
            leaks=tuple(engine.leaks),
            leak_nodes={lk: engine.leak_node(lk) for lk in engine.leak_ids},
            perturbation=self.perturbation,
            leak_outflow=pd.DataFrame(outflow, index=index, columns=list(engine.leak_ids)),
            converged=pd.Series(log.converged, index=index, name="converged", dtype=bool),
            origin=self.origin,
        )

    def close(self) -> None:
        """Close the plant's hydraulic engine."""
        self.engine.close()

    def __enter__(self) -> Plant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _nominal_model(
    network: str | Path | WaterNetworkModel,
) -> tuple[WaterNetworkModel, Path | None]:
    """The nominal WNTR model of ``network`` and its .inp file (None for a model object)."""
    if isinstance(network, WaterNetworkModel):
        return network, None
    from twin.network import load, resolve_network

    inp = resolve_network(network)
    return load(inp), inp


def _layout_for(layout: SensorLayout | None, inp: Path | None) -> SensorLayout:
    """The layout given, else the network's sidecar layout; raise when there is neither."""
    if layout is not None:
        return layout
    found = sidecar_layout(inp) if inp is not None else None
    if found is None:
        raise ValueError(
            f"Plant: no sensor layout given and {inp.name if inp else 'the model'} has no "
            "sidecar layout (NAME.sensors.csv); pass layout=SensorLayout(...)"
        )
    return found
