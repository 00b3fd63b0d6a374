"""The catalogue of bundled networks agrees with WNTR and stays quick."""

import time

import pytest

from twin.network import catalogue, load, scan_inp
from twin.network.bundled import network_file, networks_dir

SMALL = ["Net1", "Anytown", "Hanoi", "Net3", "C-Town_BWCN", "Balerma", "L-TOWN"]


@pytest.fixture(scope="module")
def table():
    """The catalogue, computed once for the module."""
    return catalogue()


def test_catalogue_has_one_row_per_bundled_network_sorted_by_size(table):
    """Columns as documented, every .inp listed once, smallest network first."""
    assert list(table.columns) == ["name", "junctions", "pipes", "mains_km", "source"]
    assert len(table) == len(list(networks_dir().glob("*.inp")))
    assert table["junctions"].is_monotonic_increasing
    assert table["name"].iloc[0] == "Net1" and table["name"].iloc[-1] == "BWSN_Network_2"


def test_l_town_source_names_battledim(table):
    """Rows carry a short origin a planner recognises."""
    by_name = table.set_index("name")
    assert by_name.loc["L-TOWN", "source"] == "BattLeDIM 2020 (KIOS)"
    assert (by_name["source"] != "").all()


@pytest.mark.parametrize("name", SMALL)
def test_catalogue_figures_agree_with_wntr(table, name):
    """Junction and pipe counts match WNTR exactly, mains length within 0.1 %."""
    row = table.set_index("name").loc[name]
    wn = load(name, validate=False)
    wntr_km = sum(pipe.length for _, pipe in wn.pipes()) / 1000.0
    assert (row["junctions"], row["pipes"]) == (wn.num_junctions, wn.num_pipes)
    assert row["mains_km"] == pytest.approx(wntr_km, rel=1e-3)


def test_us_units_lengths_are_converted_from_feet():
    """Net1 (GPM) stores feet: 63,530 ft of pipe is 19.36 km."""
    summary = scan_inp(network_file(networks_dir(), "Net1"))
    assert summary.flow_units == "GPM"
    assert summary.mains_km == pytest.approx(63530 * 0.3048 / 1000)


def test_catalogue_is_quick(table):
    """Scanning all bundled files (12,500 junctions the largest) takes well under a second."""
    start = time.perf_counter()
    catalogue()
    assert time.perf_counter() - start < 1.0
