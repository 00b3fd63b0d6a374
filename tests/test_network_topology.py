"""Validation on load: every junction must be able to get water from a reservoir or tank."""

from pathlib import Path

import pytest

from twin.network import NetworkTopologyError, load, unsupplied_junctions


def _inp(tmp_path: Path, junctions: list[str], reservoirs: list[str], pipes: list[str]) -> Path:
    """Write a tiny SI network: junctions at 10 m, reservoirs at 50 m head, 100 m pipes."""
    text = "\n".join(
        [
            "[JUNCTIONS]",
            *(f" {j} 10 1" for j in junctions),
            "[RESERVOIRS]",
            *(f" {r} 50" for r in reservoirs),
            "[PIPES]",
            *(f" {p}" for p in pipes),
            "[OPTIONS]",
            " Units LPS",
            "[END]",
        ]
    )
    path = tmp_path / "tiny.inp"
    path.write_text(text + "\n")
    return path


def test_network_without_reservoir_or_tank_is_rejected(tmp_path):
    """No water source at all: every junction is listed."""
    path = _inp(tmp_path, ["J1", "J2"], [], ["P1 J1 J2 100 100 100 0 Open"])
    with pytest.raises(NetworkTopologyError, match="no water source") as caught:
        load(path)
    assert caught.value.node_ids == ["J1", "J2"]
    assert isinstance(caught.value, ValueError)


def test_junctions_cut_off_from_every_source_are_listed(tmp_path):
    """An island of junctions with no link to the reservoir is named in the error."""
    pipes = ["P1 R1 J1 100 100 100 0 Open", "P2 J2 J3 100 100 100 0 Open"]
    path = _inp(tmp_path, ["J1", "J2", "J3"], ["R1"], pipes)
    with pytest.raises(NetworkTopologyError) as caught:
        load(path)
    assert caught.value.node_ids == ["J2", "J3"]
    assert "2 junctions cut off" in str(caught.value) and "J2, J3" in str(caught.value)


def test_closed_link_still_connects(tmp_path):
    """A junction behind a closed pipe can be supplied once it opens: not an error."""
    pipes = ["P1 R1 J1 100 100 100 0 Open", "P2 J1 J2 100 100 100 0 Closed"]
    wn = load(_inp(tmp_path, ["J1", "J2"], ["R1"], pipes))
    assert unsupplied_junctions(wn) == []


def test_long_lists_show_twenty_ids_and_the_count(tmp_path):
    """With many isolated junctions the message names 20 and counts the rest."""
    islands = [f"J{i}" for i in range(1, 26)]
    path = _inp(tmp_path, ["J0", *islands], ["R1"], ["P1 R1 J0 100 100 100 0 Open"])
    with pytest.raises(NetworkTopologyError) as caught:
        load(path)
    message = str(caught.value)
    assert len(caught.value.node_ids) == 25
    assert "25 junctions" in message and "J20 and 5 more" in message
    assert "J21" not in message


def test_validate_false_loads_an_unsupplied_network(tmp_path):
    """validate=False skips the check, for networks still being drawn."""
    path = _inp(tmp_path, ["J1", "J2"], [], ["P1 J1 J2 100 100 100 0 Open"])
    wn = load(path, validate=False)
    assert unsupplied_junctions(wn) == ["J1", "J2"]


def test_bundled_networks_pass_validation():
    """Every junction of the bundled mid-size networks is connected to a source."""
    for name in ["Net3", "C-Town_BWCN", "L-TOWN", "Richmond_standard"]:
        assert unsupplied_junctions(load(name, validate=False)) == [], name
