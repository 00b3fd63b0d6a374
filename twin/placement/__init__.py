"""What-if sensor placement: score pressure-logger layouts on simulated leaks, and optimise them."""

from twin.placement.cases import CaseSet, draw_cases, junction_distances, localization_dictionary
from twin.placement.greedy import GreedyResult, ScreeningSettings, greedy_placement
from twin.placement.incremental import IncrementalLayout
from twin.placement.problem import PlacementProblem, prepare_problem
from twin.placement.run import run_placement
from twin.placement.scoring import LayoutScore, score_layout
from twin.placement.search import SwapResult, swap_search
from twin.placement.settings import PlacementSettings
from twin.placement.signatures import LeakSignatures, build_signatures, linear_error

__all__ = [
    "CaseSet",
    "GreedyResult",
    "IncrementalLayout",
    "LayoutScore",
    "LeakSignatures",
    "PlacementProblem",
    "PlacementSettings",
    "ScreeningSettings",
    "SwapResult",
    "build_signatures",
    "draw_cases",
    "greedy_placement",
    "junction_distances",
    "linear_error",
    "localization_dictionary",
    "prepare_problem",
    "run_placement",
    "score_layout",
    "swap_search",
]
