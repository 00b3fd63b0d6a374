"""`twin networks`: the catalogue as a table, and clean one-paragraph errors."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from typer.main import get_group

import twin.cli.networks  # noqa: F401  (importing a command module registers its command)
from twin.cli.app import app

BAD = Path(__file__).resolve().parent / "data" / "bad_inp"


def _twin(*args: str):
    """Run ``twin <args>`` as a command group, whatever other commands are registered."""
    return CliRunner().invoke(get_group(app), list(args), terminal_width=200)


def test_networks_prints_every_bundled_network_with_its_size():
    """The table lists names, junction counts and sources."""
    result = _twin("networks")
    assert result.exit_code == 0, result.output
    for expected in ["Net1", "L-TOWN", "BWSN_Network_2", "12,523", "BattLeDIM 2020 (KIOS)"]:
        assert expected in result.stdout
    assert result.stdout.index("Net1") < result.stdout.index("BWSN_Network_2")


def test_networks_with_a_name_reads_and_checks_it():
    """Naming a network reads it with WNTR and reports its components."""
    result = _twin("networks", "hanoi")
    assert result.exit_code == 0, result.output
    assert "31" in result.stdout and "every junction is connected" in result.stdout


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        (str(BAD / "MICROPOLIS_v1.inp"), "line 3507 in [RULES]"),
        (str(BAD / "BWSN_Network_1.inp"), "line 509 in [OPTIONS]"),
        ("Atlantis", "available: "),
        ("./no/such/town.inp", "not found"),
    ],
)
def test_network_errors_are_one_clean_paragraph(argument, expected):
    """Unreadable, unknown or missing networks exit 2 with an error line, no traceback."""
    result = _twin("networks", argument)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert expected in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
