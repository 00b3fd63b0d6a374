"""Loading networks by bundled name or by path."""

import logging
import shutil
import warnings
from pathlib import Path

import pytest

from twin.network import (
    NETWORKS_ENV,
    UnknownNetworkError,
    available_networks,
    load,
    networks_dir,
    resolve_network,
)

REPO_NETWORKS = Path(__file__).resolve().parents[1] / "networks"


def test_bundled_folder_is_the_repository_networks_folder(monkeypatch):
    """Without TWIN_NETWORKS the catalogue is the repository's networks/ folder."""
    monkeypatch.delenv(NETWORKS_ENV, raising=False)
    assert networks_dir() == REPO_NETWORKS
    assert {"Net1", "L-TOWN", "BWSN_Network_2"} <= set(available_networks())


@pytest.mark.parametrize("name", ["Net1", "net1", "NET1.INP", "Net1.inp"])
def test_name_is_case_insensitive_with_or_without_suffix(name):
    """Any spelling of a bundled name loads the same network."""
    wn = load(name)
    assert (wn.num_junctions, wn.num_pipes, wn.num_reservoirs, wn.num_tanks) == (9, 12, 1, 1)


def test_path_loads_that_file(tmp_path):
    """A path to an .inp file outside the catalogue is loaded as given."""
    copy = tmp_path / "my town.inp"
    shutil.copy(REPO_NETWORKS / "Hanoi.inp", copy)
    assert load(copy).num_junctions == 31
    assert load(str(copy)).num_pipes == 34


def test_unknown_name_lists_the_available_networks():
    """A name that is not bundled says which names are."""
    with pytest.raises(UnknownNetworkError) as caught:
        load("Atlantis")
    message = str(caught.value)
    assert "'Atlantis'" in message
    assert "L-TOWN" in message and "Net1" in message
    assert isinstance(caught.value, ValueError)


def test_missing_path_says_the_file_is_not_found(tmp_path):
    """A path to nothing raises FileNotFoundError naming the path."""
    missing = tmp_path / "nowhere" / "town.inp"
    with pytest.raises(FileNotFoundError, match="not found") as caught:
        load(missing)
    assert str(missing) in str(caught.value)


def test_env_var_points_the_catalogue_elsewhere(tmp_path, monkeypatch):
    """TWIN_NETWORKS replaces the bundled folder for names and listing."""
    shutil.copy(REPO_NETWORKS / "Net1.inp", tmp_path / "Pilot.inp")
    monkeypatch.setenv(NETWORKS_ENV, str(tmp_path))
    assert available_networks() == ["Pilot"]
    assert resolve_network("pilot") == tmp_path / "Pilot.inp"
    with pytest.raises(UnknownNetworkError, match="available: Pilot"):
        load("Net1")


def test_loading_is_quiet_about_irrelevant_wntr_warnings(caplog):
    """Unused curves and D-W roughness notes from WNTR do not reach the user."""
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        load("Balerma")  # D-W headloss: WNTR warns about roughness units
        load("Richmond_standard")  # curves no pump uses: WNTR warns and logs each
    assert [str(w.message) for w in caught] == []
    assert caplog.records == []
