"""Metering zones cut at the flow meters, and the sidecar file that names and sizes them."""

from pathlib import Path

import pytest

from twin.network import (
    Inlet,
    NetworkError,
    SidecarError,
    derive_areas,
    load,
    network_areas,
    networks_dir,
    read_sidecar,
)
from twin.network.sensors import sidecar_layout

LTOWN_METERS = ("p227", "p235", "PUMP_1")


@pytest.fixture(scope="module")
def ltown():
    """The L-Town model, read once for the module."""
    return load("L-TOWN")


def _inp(tmp_path: Path, pipes: list[str], demands: dict[str, float] | None = None) -> Path:
    """Write a tiny LPS network: junctions J*, reservoirs R*, tanks T* found in the pipes.

    Each pipe is ``"ID START END LENGTH_M"``; junctions get a 1 L/s demand unless
    ``demands`` says otherwise.
    """
    nodes = {n for pipe in pipes for n in pipe.split()[1:3]}
    demands = demands or {}
    junctions = sorted(n for n in nodes if n.startswith("J"))
    text = "\n".join(
        [
            "[JUNCTIONS]",
            *(f" {j} 10 {demands.get(j, 1.0)}" for j in junctions),
            "[RESERVOIRS]",
            *(f" {r} 50" for r in sorted(n for n in nodes if n.startswith("R"))),
            "[TANKS]",
            *(f" {t} 30 2 0 5 10 0" for t in sorted(n for n in nodes if n.startswith("T"))),
            "[PIPES]",
            *(f" {p} 100 100 0 Open" for p in pipes),
            "[OPTIONS]",
            " Units LPS",
            "[END]",
        ]
    )
    path = tmp_path / "tiny.inp"
    path.write_text(text + "\n")
    return path


def _toml(tmp_path: Path, text: str, name: str = "tiny.toml") -> Path:
    """Write a sidecar file."""
    path = tmp_path / name
    path.write_text(text)
    return path


# A reservoir feeding J1 over metered P1; J1-J2-J3 a chain; metered P4 into a second
# zone J4-J5, whose P5 loop back to J1 is metered too.
TWO_ZONES = [
    "P1 R1 J1 100",
    "P2 J1 J2 200",
    "P3 J2 J3 300",
    "P4 J3 J4 400",
    "P6 J4 J5 600",
    "P5 J5 J1 500",
]


def test_ltown_has_two_zones_ab_and_c(ltown):
    """Area B (behind unmetered PRV-3) merges with A; C behind PUMP_1 is the second zone."""
    zones = derive_areas(ltown, LTOWN_METERS)
    assert [(a.name, len(a.junctions), a.tanks) for a in zones] == [
        ("Z1", 690, ()),
        ("Z2", 92, ("T1",)),
    ]
    assert zones.area_of("n226") is zones.area_of("n229") is zones.area_of("n300")


def test_ltown_inlets_and_signs(ltown):
    """A+B takes water over p227 and p235 and gives it to C over PUMP_1."""
    ab, c = derive_areas(ltown, LTOWN_METERS)
    assert ab.inlets == (Inlet("p227", 1), Inlet("p235", 1), Inlet("PUMP_1", -1))
    assert c.inlets == (Inlet("PUMP_1", 1),)
    assert ab.metered and c.metered


def test_ltown_mains_length_is_that_of_the_pipes_inside(ltown):
    """Mains km of the zones add up to all pipes but the two source mains p227, p235."""
    ab, c = derive_areas(ltown, LTOWN_METERS)
    all_km = sum(p.length for _, p in ltown.pipes()) / 1000
    source_km = (ltown.get_link("p227").length + ltown.get_link("p235").length) / 1000
    assert ab.mains_length_km + c.mains_length_km == pytest.approx(all_km - source_km)
    assert len(ab.pipes) + len(c.pipes) == ltown.num_pipes - 2
    assert ab.mains_length_km == pytest.approx(37.70, abs=0.01)


def test_ltown_sidecar_names_and_sizes_the_zones(ltown):
    """networks/L-TOWN.toml renames the zones and gives connections and the water price."""
    inp = networks_dir() / "L-TOWN.inp"
    zones = network_areas(inp, ltown, sidecar_layout(inp).flow)
    assert [(a.name, a.label, a.service_connections) for a in zones] == [
        ("AB", "Areas A and B", 7540),
        ("C", "Area C", 940),
    ]
    assert (zones.currency, zones.water_price_per_m3) == ("EUR", 0.80)
    assert zones.utility_name == "L-Town (BattLeDIM 2020)"
    assert zones.source == str(networks_dir() / "L-TOWN.toml")
    assert zones.area_of("T1").name == "C"


def test_net1_with_a_metered_pump_is_one_metered_zone():
    """Net1's pump from the lake is its only way in: one zone holding tank 2."""
    (zone,) = derive_areas(load("Net1"), ["9"])
    assert len(zone.junctions) == 9 and zone.tanks == ("2",)
    assert zone.inlets == (Inlet("9", 1),)
    assert zone.metered
    assert zone.mains_length_km == pytest.approx(19.4, abs=0.05)


def test_network_without_flow_meters_is_one_unmetered_zone():
    """No meter at all: one zone of every junction, fed by an unmeasured link."""
    wn = load("Net1")
    (zone,) = derive_areas(wn, [])
    assert zone.junctions == tuple(wn.junction_name_list)
    assert zone.inlets == () and zone.unmetered_links == ("9",)
    assert not zone.metered


def test_zone_with_an_unmetered_source_is_not_metered(tmp_path):
    """A metered main from one reservoir does not help when another feeds in unmetered."""
    wn = load(_inp(tmp_path, ["P1 R1 J1 100", "P2 J1 J2 100", "P3 R2 J2 100"]))
    (zone,) = derive_areas(wn, ["P1"])
    assert zone.inlets == (Inlet("P1", 1),) and zone.unmetered_links == ("P3",)
    assert not zone.metered


def test_zones_are_named_by_decreasing_size_with_signed_inlets(tmp_path):
    """Three junctions make Z1, two make Z2; P4 enters Z2, P5 leaves it."""
    zones = derive_areas(load(_inp(tmp_path, TWO_ZONES)), ["P1", "P4", "P5"])
    big, small = zones
    assert (big.name, big.junctions, small.name, small.junctions) == (
        "Z1",
        ("J1", "J2", "J3"),
        "Z2",
        ("J4", "J5"),
    )
    assert big.inlets == (Inlet("P1", 1), Inlet("P4", -1), Inlet("P5", 1))
    assert small.inlets == (Inlet("P4", 1), Inlet("P5", -1))


def test_metered_link_inside_a_zone_is_ignored(tmp_path):
    """A meter on P2, with P3-P4-P5-P6 closing the loop around it, cuts nothing."""
    (zone,) = derive_areas(load(_inp(tmp_path, TWO_ZONES)), ["P1", "P2"])
    assert zone.inlets == (Inlet("P1", 1),)
    assert "P2" in zone.pipes


def test_unmetered_parallel_pipe_keeps_the_zone_whole(tmp_path):
    """A meter on one of two parallel pipes is internal: water bypasses it."""
    pipes = ["P1 R1 J1 100", "P2 J1 J2 100", "P3 J1 J2 100"]
    (zone,) = derive_areas(load(_inp(tmp_path, pipes)), ["P1", "P2"])
    assert zone.junctions == ("J1", "J2") and zone.inlets == (Inlet("P1", 1),)


def test_mains_length_sums_the_pipes_inside_in_km(tmp_path):
    """Z1's pipes P2, P3 are 200 m and 300 m: 0.5 km; the source main P1 is outside."""
    big, small = derive_areas(load(_inp(tmp_path, TWO_ZONES)), ["P1", "P4", "P5"])
    assert big.pipes == ("P2", "P3") and big.mains_length_km == pytest.approx(0.5)
    assert small.pipes == ("P6",) and small.mains_length_km == pytest.approx(0.6)


def test_default_service_connections_count_junctions_with_demand(tmp_path):
    """Without a sidecar each junction with a positive base demand counts as one."""
    path = _inp(tmp_path, ["P1 R1 J1 100", "P2 J1 J2 100", "P3 J2 J3 100"], {"J2": 0.0})
    (zone,) = derive_areas(load(path), ["P1"])
    assert zone.service_connections == 2
    assert zone.private_pipe_km == 0.0 and zone.night_use_l_per_connection_h == 1.7


def test_flow_meter_on_unknown_link_is_named():
    """A meter on a link the network lacks is an error naming the link."""
    with pytest.raises(NetworkError, match="P-404"):
        derive_areas(load("Net1"), ["9", "P-404"])


def test_flow_meters_given_as_one_string_are_refused():
    """A bare string is not a list of link ids (it would be read letter by letter)."""
    with pytest.raises(TypeError, match="sequence of link ids"):
        derive_areas(load("Net1"), "9")


def test_area_of_a_node_in_no_zone_names_it():
    """A reservoir or a misspelt id is in no zone: KeyError naming it."""
    zones = derive_areas(load("Net1"), ["9"])
    for node in ("9", "nope"):
        with pytest.raises(KeyError, match=repr(node)):
            zones.area_of(node)


def test_network_areas_without_sidecar_is_derived(tmp_path):
    """No NAME.toml beside the .inp: default names, price and source."""
    inp = _inp(tmp_path, TWO_ZONES)
    zones = network_areas(inp, load(inp), ["P1", "P4", "P5"])
    assert [a.name for a in zones] == ["Z1", "Z2"] and len(zones) == 2
    assert (zones.source, zones.currency, zones.water_price_per_m3) == ("derived", "EUR", 0.80)
    assert zones.utility_name == "tiny"


def test_sidecar_names_some_zones_and_keeps_defaults_for_others(tmp_path):
    """A file naming only the small zone: Z1 stays Z1; zeros in the file are values."""
    inp = _inp(tmp_path, TWO_ZONES)
    _toml(
        tmp_path,
        '[utility]\nwater_price_per_m3 = 0\n[areas.East]\ncontains = "J5"\n'
        "service_connections = 0\nprivate_pipe_km = 1.5\n",
    )
    zones = network_areas(inp, load(inp), ["P1", "P4", "P5"])
    big, east = zones
    assert (big.name, east.name, east.label) == ("Z1", "East", "East")
    assert (east.service_connections, east.private_pipe_km) == (0, 1.5)
    assert east.night_use_l_per_connection_h == 1.7
    assert (zones.water_price_per_m3, zones.currency) == (0.0, "EUR")
    assert zones.source == str(tmp_path / "tiny.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[utility]\ncurency = "EUR"\n', r"utility\.curency = 'EUR': unknown key"),
        ('[areas.X]\ncontains = "J1"\nlable = "x"\n', r"areas\.X\.lable = 'x': unknown key"),
        ('[utility]\nwater_price_per_m3 = "cheap"\n', r"price_per_m3 = 'cheap': expected a"),
        ('[areas.X]\ncontains = "J1"\nservice_connections = 2.5\n', r"= 2\.5: expected an int"),
        ('[areas.X]\ncontains = "J1"\nprivate_pipe_km = -1\n', r"= -1: expected a number >= 0"),
        ('[areas.X]\nlabel = "x"\n', r"areas\.X\.contains: missing"),
        ('[areas.X]\ncontains = "J9"\n', r"areas\.X\.contains = 'J9': expected the id of a"),
        ('[areas.X]\ncontains = "R1"\n', r"areas\.X\.contains = 'R1': this node is in no zone"),
        ("[areas]\nX = 3\n", r"areas\.X = 3: expected a table"),
        ("[utility\n", r"not valid TOML"),
    ],
)
def test_bad_sidecar_names_file_key_value_and_expectation(tmp_path, text, expected):
    """Each schema violation is a SidecarError naming the file, key path and value."""
    inp = _inp(tmp_path, TWO_ZONES)
    _toml(tmp_path, text)
    with pytest.raises(SidecarError, match=expected) as caught:
        network_areas(inp, load(inp), ["P1", "P4", "P5"])
    assert str(caught.value).startswith(str(tmp_path / "tiny.toml"))
    assert isinstance(caught.value, ValueError)


def test_two_sidecar_entries_for_one_zone_are_refused(tmp_path):
    """J1 and J3 lie in the same zone: naming both is an error naming both entries."""
    wn = load(_inp(tmp_path, TWO_ZONES))
    path = _toml(tmp_path, '[areas.A]\ncontains = "J1"\n[areas.B]\ncontains = "J3"\n')
    with pytest.raises(SidecarError, match=r"areas\.B\.contains = 'J3': names the same zone as"):
        read_sidecar(path, derive_areas(wn, ["P1", "P4", "P5"]), wn)


def test_sidecar_name_clashing_with_a_default_name_is_refused(tmp_path):
    """Calling the small zone Z1 would give two zones named Z1."""
    wn = load(_inp(tmp_path, TWO_ZONES))
    path = _toml(tmp_path, '[areas.Z1]\ncontains = "J4"\n')
    with pytest.raises(SidecarError, match=r"areas\.Z1: is also the default name"):
        read_sidecar(path, derive_areas(wn, ["P1", "P4", "P5"]), wn)
