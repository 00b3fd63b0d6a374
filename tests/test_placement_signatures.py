"""Leak signatures: simulated once per junction, size and time, stored and reloaded."""

import numpy as np
import pytest

from twin.placement.signatures import LeakSignatures, build_signatures, linear_error


@pytest.fixture(scope="module")
def hanoi():
    return build_signatures("Hanoi", diameters_m=[0.01, 0.02], times_s=[0, 7200])


def test_every_junction_leaks_at_every_size_and_time(hanoi):
    """Hanoi: 2 sizes x 2 times x 31 leak junctions x 31 places a logger could go."""
    assert hanoi.pressure_change.shape == (2, 2, 31, 31)
    assert hanoi.converged.all()
    assert (hanoi.leak_flow > 0).all()


def test_a_leak_lowers_pressures_and_larger_leaks_lower_them_more(hanoi):
    """No junction's pressure rises with a leak, and a 20 mm leak drops them more than 10 mm."""
    assert (hanoi.pressure_change <= 1e-6).all()
    small, large = np.abs(hanoi.pressure_change[0]), np.abs(hanoi.pressure_change[1])
    assert (large.sum(axis=-1) > small.sum(axis=-1)).all()


def test_the_supply_meters_see_exactly_the_leak_outflow():
    """Net1 (a tank in the zone): the zone's supply rises by the leak's outflow, within 1 %."""
    sig = build_signatures("Net1", diameters_m=[0.015], times_s=[3600, 10800])
    ratio = sig.supply_change.sum(axis=-1) / sig.leak_flow
    np.testing.assert_allclose(ratio, 1.0, atol=0.01)


def test_linear_sensitivities_point_the_same_way_as_the_simulated_leaks(hanoi):
    """The analytic sensitivity columns are within 1 degree of the simulated changes."""
    error = linear_error(hanoi)
    assert error["10 mm cosine"] > 0.9998 and error["20 mm cosine"] > 0.9998
    assert error["10 mm"] < error["20 mm"] < 0.05


def test_signatures_reload_unchanged_from_their_npz_file(hanoi, tmp_path):
    """What is saved is what is loaded: arrays, ids and the build's fingerprint."""
    path = hanoi.save(tmp_path / "signatures.npz")
    again = LeakSignatures.load(path)
    assert again.network == "Hanoi" and again.fingerprint == hanoi.fingerprint
    np.testing.assert_array_equal(again.pressure_change, hanoi.pressure_change)
    assert again.junction_ids.tolist() == hanoi.junction_ids.tolist()


def test_times_of_day_must_increase():
    """Times out of order are refused with the values given."""
    with pytest.raises(ValueError, match="increasing"):
        build_signatures("Net1", times_s=[7200, 3600])
