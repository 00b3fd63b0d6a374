"""One placement problem: a network's leak signatures, the localizer's dictionary, the distances."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from twin.network import load, resolve_network
from twin.network.sensors import sidecar_layout
from twin.placement.cases import (
    CaseSet,
    draw_cases,
    junction_distances,
    localization_dictionary,
)
from twin.placement.incremental import IncrementalLayout
from twin.placement.scoring import LayoutScore, score_layout
from twin.placement.settings import PlacementSettings
from twin.placement.signatures import (
    DEFAULT_LEAK_DIAMETERS_M,
    DEFAULT_TIMES_OF_DAY_S,
    LeakSignatures,
    ProgressCallback,
    build_signatures,
    network_fingerprint,
)

__all__ = ["PlacementProblem", "prepare_problem"]

SIGNATURES_FILE = "signatures.npz"
"""Name of the stored leak signatures in a placement's output folder."""


@dataclass(frozen=True)
class PlacementProblem:
    """Everything a layout is scored with.

    Attributes
    ----------
    signatures : LeakSignatures
    dictionary : ndarray, shape (n_times, n_junctions, n_junctions)
        What the localizer matches readings with (:func:`localization_dictionary`).
    distances : ndarray, shape (n_junctions, n_junctions)
        Walking distances between junctions, m.
    settings : PlacementSettings
    """

    signatures: LeakSignatures
    dictionary: npt.NDArray[np.float64]
    distances: npt.NDArray[np.float64]
    settings: PlacementSettings

    @property
    def junction_ids(self) -> list[str]:
        """Junction ids; layouts are lists of positions in it."""
        return self.signatures.junction_ids.tolist()

    def positions(self, junctions: Sequence[str]) -> list[int]:
        """Positions of junction ids (KeyError naming the first unknown one)."""
        index = {j: i for i, j in enumerate(self.junction_ids)}
        missing = [j for j in junctions if j not in index]
        if missing:
            raise KeyError(f"not a junction of {self.signatures.network}: {missing[0]!r}")
        return [index[j] for j in junctions]

    def cases(
        self,
        seed: int,
        *,
        sizes: Sequence[int] | None = None,
        times: Sequence[int] | None = None,
        leaks: Sequence[int] | None = None,
        draws: int | None = None,
    ) -> CaseSet:
        """Leak cases with noise drawn from ``seed`` (:func:`draw_cases`)."""
        settings = self.settings if draws is None else replace(self.settings, draws=draws)
        return draw_cases(
            self.signatures, settings, sizes=sizes, times=times, leaks=leaks, seed=seed
        )

    def score(self, cases: CaseSet, layout: Sequence[int]) -> LayoutScore:
        """Score one layout on ``cases`` (:func:`score_layout`)."""
        return score_layout(
            cases, self.dictionary, self.distances, layout, self.signatures, self.settings
        )

    def incremental(self, cases: CaseSet, layout: Sequence[int] = ()) -> IncrementalLayout:
        """A layout to add loggers to and remove them from (:class:`IncrementalLayout`)."""
        return IncrementalLayout(cases, self.dictionary, self.distances, self.settings, layout)


def prepare_problem(
    network: str | Path,
    *,
    flow_meters: Sequence[str] | None = None,
    settings: PlacementSettings | None = None,
    diameters_m: Sequence[float] = DEFAULT_LEAK_DIAMETERS_M,
    times_s: Sequence[int] = DEFAULT_TIMES_OF_DAY_S,
    dictionary: str = "sensitivity",
    store: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> PlacementProblem:
    """Simulate (or reload) the leak signatures of a network and set up the problem.

    Parameters
    ----------
    network : str or Path
        A catalogue name or an .inp path.
    flow_meters : sequence of str, optional
        Links with a flow meter (zone supply meters). Default: those of the layout beside
        the network, else none (the sources are metered anyway).
    settings : PlacementSettings, optional
    diameters_m, times_s
        Leak sizes (m) and times of day (s after midnight) to simulate.
    dictionary : {"sensitivity", "simulated"}
        See :func:`localization_dictionary`.
    store : Path, optional
        An ``.npz`` file: signatures stored there for the same network file and settings
        are reused, and a new build is saved there.
    on_progress : callable, optional
        ``on_progress(fraction, message)`` while simulating.
    """
    inp = resolve_network(network)
    if flow_meters is None:
        beside = sidecar_layout(inp)
        flow_meters = beside.flow if beside is not None else ()
    fingerprint = network_fingerprint(inp, diameters_m, times_s, flow_meters)
    signatures = None
    if store is not None and store.is_file():
        stored = LeakSignatures.load(store)
        signatures = stored if stored.fingerprint == fingerprint else None
    if signatures is None:
        signatures = build_signatures(
            inp,
            diameters_m=diameters_m,
            times_s=times_s,
            flow_meters=flow_meters,
            on_progress=on_progress,
        )
        if store is not None:
            signatures.save(store)
    return PlacementProblem(
        signatures=signatures,
        dictionary=localization_dictionary(signatures, dictionary),
        distances=junction_distances(load(inp), signatures.junction_ids.tolist()),
        settings=settings or PlacementSettings(),
    )
