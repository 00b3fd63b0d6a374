"""Scenario files: strict schema errors with key paths, overrides, round trip, cut-short runs."""

import json
import pickle
from pathlib import Path

import pytest

from twin.scenario import ScenarioError, load_scenario, scenario_from_dict, scenarios_dir
from twin.scenario.docs import BEGIN, END, schema_table
from twin.scenario.schema import Scenario
from twin.scenario.shorten import cut_short

BURST = """
[run]
network = "L-TOWN"
start = "2018-05-07 00:00"
duration_days = 4
history_days = 7
seed = 11

[[leaks]]
pipe = "p257"
diameter_mm = 20
start = "+50h"
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scenario_with_defaults_everywhere_loads():
    """An empty file is a valid scenario: every key has a default (L-Town, BattLeDIM sensors)."""
    scenario = scenario_from_dict({})
    assert scenario == Scenario()
    assert scenario.run.network == "L-TOWN" and scenario.sensors.layout == "bundled"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[run]\nseeed = 3\n", ["run.seeed", "unknown key", "seed"]),
        ("[run]\nseed = 'three'\n", ["run.seed", "'three'", "whole number"]),
        ("[plant]\nuncertainty = 1\n", ["plant.uncertainty", "true or false"]),
        ("[[leaks]]\npipe = 'p257'\nstart = '+1h'\n", ["leaks.0.diameter_mm", "required"]),
        ("[[leaks]]\npipe='p257'\ndiameter_mm=9\nstart='soon'\n", ["leaks.0.start", "'soon'"]),
        ("[[leaks]]\npipe='p257'\ndiameter_mm=9\nkind='slow'\nstart='+1h'\n", ["'incipient'"]),
        ("[twin.detection]\nthreshhold = 5\n", ["twin.detection.threshhold", "min_leak_m3h"]),
        ("[run]\nseed = = 3\n", ["not valid TOML", "line 2"]),
    ],
)
def test_schema_errors_name_the_key_path_the_value_and_what_is_allowed(tmp_path, text, words):
    """Unknown keys, wrong types, missing keys and bad TOML are refused with the key path."""
    with pytest.raises(ScenarioError) as error:
        load_scenario(_file(tmp_path, text))
    for word in words:
        assert word in str(error.value)
    assert str(tmp_path / "case.toml") in str(error.value)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"leaks.0.pipe": "p99999"}, ["leaks.0.pipe", "p99999", "no such pipe"]),
        ({"leaks.0.start": "+30d"}, ["leaks.0.start", "outside the run", "2018-05-11"]),
        ({"leaks.0.start": "2018-04-01 00:00"}, ["leaks.0.start", "outside the run"]),
        ({"sensors.layout": "list", "sensors.pressure": ["n1", "nowhere"]}, ["nowhere"]),
        ({"sensors.pressure": ["n1"]}, ["sensors.pressure", 'layout = "list"']),
        ({"leak_draw.count": 2, "leak_draw.zones": ["D"]}, ["leak_draw.zones.0", "AB, C"]),
        ({"feeds.amr_batch_lost": ["+9d"]}, ["feeds.amr_batch_lost.0", "outside the run"]),
        ({"run.network": "Atlantis"}, ["run.network", "Atlantis"]),
        ({"twin.localization.weights.magic": 1.0}, ["weights.magic", "model_fit"]),
    ],
)
def test_network_errors_name_the_key_path(tmp_path, overrides, words):
    """Ids not in the network, times outside the run and unknown zones name their key path."""
    with pytest.raises(ScenarioError) as error:
        load_scenario(_file(tmp_path, BURST), overrides)
    for word in words:
        assert word in str(error.value)


def test_faults_must_name_a_sensor_of_the_layout(tmp_path):
    """A fault on an id no instrument carries is refused, naming the fault's key path."""
    text = BURST + "\n[[faults]]\nsensor = 'n5'\nkind = 'stuck'\nstart = '+1h'\n"
    with pytest.raises(ScenarioError, match=r"faults\.0\.sensor = 'n5': no sensor"):
        load_scenario(_file(tmp_path, text))


def test_a_drift_fault_needs_a_rate(tmp_path):
    """A drift without rate_per_day would do nothing: refused."""
    text = BURST + "\n[[faults]]\nsensor = 'n163'\nkind = 'drift'\nstart = '+1h'\n"
    with pytest.raises(ScenarioError, match=r"faults\.0\.rate_per_day"):
        load_scenario(_file(tmp_path, text))


def test_overrides_set_values_like_the_file_and_parse_text_as_toml(tmp_path):
    """Dotted paths reach every level; text values are read as TOML values."""
    scenario = load_scenario(
        _file(tmp_path, BURST),
        {
            "run.seed": "3",
            "leaks.0.diameter_mm": 12,
            "plant.uncertainty": "false",
            "sensors.noise.pressure_m": "0.1",
            "twin.detection.min_leak_m3h": "4.5",
            "twin.localization.weights.model_fit": "3",
            "leak_draw.diameters_mm": "[8, 12]",
        },
    )
    assert scenario.run.seed == 3
    assert scenario.leaks[0].diameter_mm == 12.0
    assert scenario.plant.uncertainty is False
    assert scenario.sensors.noise.pressure_m == 0.1
    assert scenario.twin.detection.min_leak_m3h == 4.5
    assert scenario.leak_draw.diameters_mm == (8.0, 12.0)


def test_override_weights_keep_the_other_methods():
    """A weight given for one localization method leaves the others at their defaults."""
    from twin.scenario import twin_settings

    scenario = scenario_from_dict({"twin": {"localization": {"weights": {"model_fit": 3}}}})
    _, localization = twin_settings(scenario)
    assert localization.weights["model_fit"] == 3.0
    assert localization.weights["sensitivity"] == 1.0


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("run.sead", ["run.sead", "unknown key path", "seed", "history_days"]),
        ("leaks.3.diameter_mm", ["leaks.3.diameter_mm", "1 entry", "0..0"]),
        ("plant.demand.noise", ["plant.demand.noise", "noise_std"]),
        ("twin.detektion.threshold", ["twin.detektion", "detection, localization"]),
    ],
)
def test_an_unknown_override_path_names_the_path_and_the_allowed_keys(tmp_path, key, words):
    """A typo in an override is refused with the keys allowed at that level."""
    with pytest.raises(ScenarioError) as error:
        load_scenario(_file(tmp_path, BURST), {key: "1"})
    for word in words:
        assert word in str(error.value)


def test_a_scenario_round_trips_through_plain_data_and_pickle():
    """to_dict -> JSON -> scenario gives the same scenario; pickling too (Dask workers)."""
    scenario = load_scenario(scenarios_dir() / "stuck-logger-amr-lost.toml")
    text = json.dumps(scenario.to_dict(), sort_keys=True)
    again = scenario_from_dict(json.loads(text))
    assert again == scenario
    assert json.dumps(again.to_dict(), sort_keys=True) == text
    assert pickle.loads(pickle.dumps(scenario)) == scenario


def test_relative_paths_are_resolved_against_the_scenario_file():
    """The Net3 layout path is read relative to the file, so a worker elsewhere finds it."""
    scenario = load_scenario(scenarios_dir() / "net3-tanks-and-pumps.toml")
    assert Path(scenario.sensors.layout).is_absolute()
    assert Path(scenario.sensors.layout).is_file()


def test_drawn_leaks_depend_on_the_seed_only():
    """The same seed draws the same leaks whatever the detection tuning; another seed others."""
    from twin.scenario.plan import plan_run

    path = scenarios_dir() / "ltown-quarter-battledim.toml"
    one = plan_run(load_scenario(path)).setup.leaks
    tuned = plan_run(load_scenario(path, {"twin.detection.threshold": 9})).setup.leaks
    other = plan_run(load_scenario(path, {"run.seed": 1})).setup.leaks
    assert one == tuned
    assert one[-2:] != other[-2:]
    assert one[:5] == other[:5]  # the placed BattLeDIM leaks stay


def test_cut_short_keeps_what_happens_in_the_shorter_run():
    """A 2-day cut keeps the stuck logger, the lost upload and the leak of day 2."""
    full = load_scenario(scenarios_dir() / "stuck-logger-amr-lost.toml")
    short = cut_short(full, 2.0)
    assert short.run.duration_days == 2.0 and short.run.history_days == 1.0
    assert [lk.start for lk in short.leaks] == ["2018-03-13 09:00:00"]
    assert short.faults[0].end == ""  # fixed on Thursday, after the cut's end
    assert short.feeds.amr_batch_lost == ("2018-03-13 12:00:00",)
    assert cut_short(full, 1.0).leaks == ()


def test_every_scenario_file_loads_and_has_a_readme_line():
    """Each file in scenarios/ passes the checks and is described in scenarios/README.md."""
    readme = (scenarios_dir() / "README.md").read_text(encoding="utf-8")
    files = sorted(scenarios_dir().glob("*.toml"))
    assert len(files) >= 6
    for path in files:
        load_scenario(path)
        assert f"`{path.name}`" in readme, path.name


def test_the_readme_documents_every_key():
    """The key table in scenarios/README.md is the schema's current one."""
    readme = (scenarios_dir() / "README.md").read_text(encoding="utf-8")
    table = readme.split(BEGIN)[1].split(END)[0].strip()
    assert table == schema_table(), "run: python -m twin.scenario.docs"
