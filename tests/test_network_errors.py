"""Files that cannot be parsed raise NetworkFileError naming the file, line and section."""

from pathlib import Path

import pytest

from twin.network import NetworkFileError, load

BAD = Path(__file__).resolve().parent / "data" / "bad_inp"
NET1 = Path(__file__).resolve().parents[1] / "networks" / "Net1.inp"


def _problem(path: Path) -> NetworkFileError:
    """The NetworkFileError raised by loading ``path``."""
    with pytest.raises(NetworkFileError) as caught:
        load(path)
    return caught.value


def test_micropolis_points_at_the_first_am_pm_clock_time_in_rules():
    """MICROPOLIS: RULE 1's `CLOCKTIME >= 6 AM` at line 3507 is what WNTR cannot read."""
    error = _problem(BAD / "MICROPOLIS_v1.inp")
    assert (error.line, error.section) == (3507, "[RULES]")
    assert error.text == "IF SYSTEM CLOCKTIME >= 6 AM"
    message = str(error)
    assert "MICROPOLIS_v1.inp" in message and "line 3507" in message and "[RULES]" in message
    assert "`6:00 AM`" in message  # what to write instead
    assert "13 more lines" in message  # 14 clock times are written that way


def test_bwsn1_points_at_the_chemical_units_in_options():
    """BWSN_Network_1: `Quality Chemical TIME` at line 509 has units WNTR rejects."""
    error = _problem(BAD / "BWSN_Network_1.inp")
    assert (error.line, error.section) == (509, "[OPTIONS]")
    message = str(error)
    assert "BWSN_Network_1.inp" in message and "line 509" in message and "[OPTIONS]" in message
    assert "mg/L" in message and "TIME" in message


def test_file_error_is_a_value_error_with_the_path():
    """Callers can catch ValueError and read where the file is."""
    error = _problem(BAD / "BWSN_Network_1.inp")
    assert isinstance(error, ValueError)
    assert error.path == BAD / "BWSN_Network_1.inp"
    assert error.__cause__ is None  # no WNTR traceback chained under ours


def test_epanet_input_error_is_located_from_the_epanet_report(tmp_path):
    """A pipe to an undefined node is reported with EPANET's error, its line and section."""
    lines = NET1.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.split()[:3] == ["11", "11", "12"])
    lines[number - 1] = lines[number - 1].replace("12", "99", 1)
    broken = tmp_path / "net1_broken.inp"
    broken.write_text("\n".join(lines) + "\n")
    error = _problem(broken)
    assert (error.line, error.section) == (number, "[PIPES]")
    assert "203" in str(error) and "undefined node 99" in str(error)


def test_unknown_section_is_located(tmp_path):
    """A misspelt section header is reported at its own line."""
    text = NET1.read_text().replace("[PATTERNS]", "[PATERNS]")
    broken = tmp_path / "typo.inp"
    broken.write_text(text)
    number = text.splitlines().index("[PATERNS]") + 1
    error = _problem(broken)
    assert error.line == number and error.section == "[PATERNS]"
