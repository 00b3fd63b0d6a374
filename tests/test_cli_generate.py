"""`twin generate`: a scenario's sensor files in the BattLeDIM layout and its hidden truth."""

import pandas as pd
import pytest
from click.testing import CliRunner
from typer.main import get_group

import twin.cli.generate  # noqa: F401  (importing a command module registers its command)
from twin.cli.app import app
from twin.cli.generate import generate_scenario
from twin.feeds.scada_files import read_scada_folder


def _twin(*args: str):
    """Run ``twin <args>`` as a command group, whatever other commands are registered."""
    return CliRunner().invoke(get_group(app), list(args), terminal_width=200)


@pytest.fixture(scope="module")
def l_town_day(tmp_path_factory):
    """One day of L-Town with a 20 mm leak on p257 from 06:00, written by the command."""
    out = tmp_path_factory.mktemp("generate") / "scenario"
    result = _twin(
        "generate", "L-TOWN", "--days", "1", "--seed", "4", "--leak", "p257:20:6", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    return out


def test_generate_writes_every_l_town_instrument_on_the_five_minute_grid(l_town_day):
    """The four BattLeDIM files read back with 33 + 3 + 1 + 82 sensors and 288 steps each."""
    recording = read_scada_folder(l_town_day)
    assert [p.name for p in recording.files] == [
        "Demands.csv",
        "Flows.csv",
        "Levels.csv",
        "Pressures.csv",
    ]
    expected = {"Pressures.csv": 33, "Flows.csv": 3, "Levels.csv": 1, "Demands.csv": 82}
    for path, readings in recording.files.items():
        sensors = set(readings.sensor_id.tolist())
        assert len(sensors) == expected[path.name]
        assert len(set(readings.event_time.tolist())) == 288
        assert len(readings) == 288 * expected[path.name]
    assert str(recording.origin) == "2018-01-01 00:05:00"
    pressures = next(r for p, r in recording.files.items() if p.name == "Pressures.csv")
    assert 0 < pressures.value.min() and pressures.value.max() < 150  # metres of head


def test_generate_files_use_the_battledim_dialect(l_town_day):
    """Semicolons and decimal commas, as the utility's SCADA export writes them."""
    header, first = (l_town_day / "Flows.csv").read_text().splitlines()[:2]
    assert header.startswith("Timestamp;")
    assert first.startswith("2018-01-01 00:05:00;") and "," in first


def test_generate_keeps_the_leak_in_a_separate_truth_folder(l_town_day):
    """truth/leaks.csv names the leak's pipe, size and start; its outflow is positive after."""
    leaks = pd.read_csv(l_town_day / "truth" / "leaks.csv")
    assert leaks[["site", "diameter_m", "start"]].values.tolist() == [
        ["p257", 0.02, "2018-01-01 06:00:00"]
    ]
    outflow = pd.read_csv(
        l_town_day / "truth" / "leak_outflow.csv", index_col="Timestamp", parse_dates=True
    ).iloc[:, 0]
    assert (outflow[:"2018-01-01 05:55"] == 0).all()
    assert outflow["2018-01-01 06:00":].between(5, 30).all()  # m3/h, a 20 mm leak in L-Town
    factors = pd.read_csv(l_town_day / "truth" / "pipe_factors.csv", index_col="pipe")
    assert factors["roughness_factor"].between(0.9, 1.1).all()


def test_generate_refuses_a_leak_on_an_unknown_pipe(tmp_path):
    """A leak site that is not in the network is named in the error, and nothing is written."""
    with pytest.raises(ValueError, match="'p99999' is neither a pipe nor a junction"):
        generate_scenario(
            "L-TOWN", tmp_path / "out", days=1, seed=1, leaks=["p99999:20:6"], sensors=None
        )
    assert not (tmp_path / "out").exists()


def test_generate_asks_for_a_layout_when_the_network_has_none(tmp_path):
    """Networks without a sidecar layout need --sensors."""
    with pytest.raises(ValueError, match="--sensors"):
        generate_scenario("Net1", tmp_path / "out", days=1, seed=1)
