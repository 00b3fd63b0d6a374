"""Read a scenario file: TOML, overrides, strict schema check, then the network check."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from twin.scenario.plan import plan_run
from twin.scenario.schema import Scenario
from twin.scenario.validate import ScenarioError, apply_overrides, build

__all__ = ["load_scenario", "scenario_from_dict", "twin_settings"]


def load_scenario(path: Path, overrides: Mapping[str, object] | None = None) -> Scenario:
    """Read, override and check a scenario file.

    Parameters
    ----------
    path : Path
        The ``.toml`` file.
    overrides : mapping of str to object, optional
        Dotted key paths (``"run.seed"``, ``"leaks.0.diameter_mm"``,
        ``"twin.detection.min_leak_m3h"``) to values, typed or as TOML text (``"0.1"``,
        ``"true"``, ``"[8, 12]"``); checked exactly like the file.

    Returns
    -------
    Scenario
        With ``run.name`` set (the file's stem unless given) and relative paths
        (``run.network``, ``sensors.layout``) made absolute against the file's folder.

    Raises
    ------
    FileNotFoundError
        No such file.
    ScenarioError
        Malformed TOML (with its line), or any key, type, id or time the schema refuses.

    Examples
    --------
    >>> from twin.scenario import scenarios_dir
    >>> s = load_scenario(scenarios_dir() / "night-burst-area-c.toml", {"run.seed": "3"})
    >>> s.run.seed, s.run.network
    (3, 'L-TOWN')
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"scenario file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{path}: not UTF-8 text ({error.reason})") from None
    if overrides:
        data = apply_overrides(data, overrides, str(path))
    scenario = scenario_from_dict(data, base=path.parent, name=path.stem, source=str(path))
    plan_run(scenario, str(path))
    twin_settings(scenario, str(path))
    return scenario


def scenario_from_dict(
    data: Mapping[str, Any], *, base: Path | None = None, name: str = "", source: str = ""
) -> Scenario:
    """The scenario of plain data (a TOML table or :meth:`Scenario.to_dict`), schema-checked.

    Relative paths are resolved against ``base`` (default: the working folder); ``name``
    fills an empty ``run.name``. The network check is :func:`~twin.scenario.plan.plan_run`'s.
    """
    scenario = build(Scenario, data, source=source)
    return _resolved(scenario, Path.cwd() if base is None else Path(base), name)


def _resolved(scenario: Scenario, base: Path, name: str) -> Scenario:
    run, sensors = scenario.run, scenario.sensors
    network = run.network
    if network.lower().endswith(".inp") or "/" in network or "\\" in network:
        network = str((base / network).resolve())
    layout = sensors.layout
    if layout not in ("bundled", "list"):
        layout = str((base / layout).resolve())
    return dataclasses.replace(
        scenario,
        run=dataclasses.replace(run, network=network, name=run.name or name),
        sensors=dataclasses.replace(sensors, layout=layout),
    )


def twin_settings(scenario: Scenario, source: str = ""):
    """The twin's :class:`DetectionSettings` and :class:`LocalizationSettings` of a scenario.

    Raises
    ------
    ScenarioError
        A localization method weight for a method the localizer does not have.
    """
    from types import MappingProxyType

    from twin.detect.detector import DetectionSettings
    from twin.localize.localizer import LocalizationSettings

    twin = scenario.twin
    known = set(LocalizationSettings().weights)
    given = dict(twin.localization.weights)
    weights = dict(LocalizationSettings().weights) | given
    unknown = sorted(set(given) - known)
    if unknown:
        where = f"{source}: " if source else ""
        raise ScenarioError(
            f"{where}twin.localization.weights.{unknown[0]}: unknown method; "
            f"allowed: {', '.join(sorted(known))}"
        )
    detection = DetectionSettings(**vars(twin.detection))
    localization = LocalizationSettings(
        **(vars(twin.localization) | {"weights": MappingProxyType(weights)})
    )
    return detection, localization
