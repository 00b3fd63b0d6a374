"""Scenario: planner scenario files (TOML schema, strict checks, overrides) and their runner."""

from pathlib import Path

from twin.scenario.load import load_scenario, scenario_from_dict, twin_settings
from twin.scenario.runner import run_scenario
from twin.scenario.schema import Scenario
from twin.scenario.shorten import cut_short
from twin.scenario.validate import ScenarioError

__all__ = [
    "Scenario",
    "ScenarioError",
    "cut_short",
    "load_scenario",
    "run_scenario",
    "scenario_from_dict",
    "scenarios_dir",
    "twin_settings",
]


def scenarios_dir() -> Path:
    """The repository's folder of planner scenario files (``scenarios/``)."""
    return Path(__file__).resolve().parents[2] / "scenarios"
