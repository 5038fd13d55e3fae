"""Properties of the IP math every network rule relies on, for IPv4 and IPv6 alike."""
from __future__ import annotations

import ipaddress

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from homeops_lint.ipmath import (IPRange, RangeError, first_last, host_bits, intersection, network_covers,
                                 network_overlaps, parse_cidr, parse_pool_range, parse_range, range_text,
                                 split_addresses, subnet_count)

FAMILY_BITS = {4: 32, 6: 128}
families = st.sampled_from([4, 6])


def _address(version: int, value: int) -> ipaddress._BaseAddress:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


@st.composite
def ranges(draw: st.DrawFn, version: int | None = None) -> IPRange:
    v = version or draw(families)
    top = (1 << FAMILY_BITS[v]) - 1
    # keep some ranges small and near each other so that overlaps and touching ends are common
    base = draw(st.integers(0, top))
    first = draw(st.integers(max(0, base - 64), min(top, base + 64)))
    last = draw(st.integers(first, min(top, first + draw(st.sampled_from([0, 1, 3, 255, 1 << 20])))))
    return IPRange(v, first, last)


@st.composite
def cidr_texts(draw: st.DrawFn) -> tuple[int, int, int]:
    v = draw(families)
    prefix = draw(st.integers(0, FAMILY_BITS[v]))
    value = draw(st.integers(0, (1 << FAMILY_BITS[v]) - 1))
    return v, value, prefix


@given(ranges())
def test_range_ends_are_inclusive(r: IPRange) -> None:
    assert r.contains(r.start) and r.contains(r.stop)
    assert r.size == r.last - r.first + 1
    if r.last < (1 << FAMILY_BITS[r.version]) - 1:
        assert not r.contains(_address(r.version, r.last + 1))
    if r.first > 0:
        assert not r.contains(_address(r.version, r.first - 1))


@given(ranges(), st.integers(min_value=0))
def test_membership_matches_integer_bounds(r: IPRange, offset: int) -> None:
    value = offset % (1 << FAMILY_BITS[r.version])
    assert r.contains(_address(r.version, value)) == (r.first <= value <= r.last)


@given(ranges())
def test_membership_never_crosses_families(r: IPRange) -> None:
    other = 6 if r.version == 4 else 4
    assert not r.contains(_address(other, r.first % (1 << 32)))


@given(families.flatmap(lambda v: st.tuples(ranges(v), ranges(v))))
def test_overlap_is_symmetric_and_means_a_shared_address(pair: tuple[IPRange, IPRange]) -> None:
    a, b = pair
    assert a.overlaps(b) == b.overlaps(a)
    shared = intersection(a, b)
    assert (shared is not None) == a.overlaps(b)
    if shared is not None:
        assert a.contains(shared.start) and b.contains(shared.start)
        assert a.contains(shared.stop) and b.contains(shared.stop)
        assert a.covers(shared) and b.covers(shared)
    else:
        # disjoint: one ends strictly before the other starts (touching ends would share an address)
        assert a.last < b.first or b.last < a.first


@given(ranges(4), ranges(6))
def test_families_never_overlap(a: IPRange, b: IPRange) -> None:
    assert not a.overlaps(b) and not b.overlaps(a)
    assert intersection(a, b) is None


@given(cidr_texts())
def test_cidr_normalisation_masks_host_bits(case: tuple[int, int, int]) -> None:
    version, value, prefix = case
    text = f"{_address(version, value)}/{prefix}"
    parsed = parse_cidr(text)
    expected = ipaddress.ip_network(text, strict=False)
    assert parsed.network == expected
    try:
        ipaddress.ip_network(text, strict=True)
        strict_ok = True
    except ValueError:
        strict_ok = False
    assert parsed.host_bits == (not strict_ok)
    # normalising twice changes nothing, and the normal form has no host bits
    again = parse_cidr(str(parsed.network))
    assert again.network == parsed.network and not again.host_bits
    assert host_bits(parsed.network) == FAMILY_BITS[version] - prefix


@given(cidr_texts())
def test_cidr_range_is_the_network(case: tuple[int, int, int]) -> None:
    version, value, prefix = case
    parsed = parse_cidr(f"{_address(version, value)}/{prefix}")
    first, last = first_last(parsed.network)
    assert parsed.range.start == first and parsed.range.stop == last
    assert parsed.range.size == parsed.network.num_addresses
    assert parsed.range.contains(_address(version, value))  # the written address is inside its network
    assert range_text(parsed.range) == (str(parsed.network) if parsed.range.size > 1 else str(first))


@given(families.flatmap(lambda v: st.tuples(st.just(v), st.integers(0, (1 << FAMILY_BITS[v]) - 1),
                                            st.integers(0, FAMILY_BITS[v]), st.integers(0, (1 << FAMILY_BITS[v]) - 1),
                                            st.integers(0, FAMILY_BITS[v]))))
def test_network_overlap_agrees_with_ranges(case: tuple[int, int, int, int, int]) -> None:
    v, a_value, a_prefix, b_value, b_prefix = case
    a = parse_cidr(f"{_address(v, a_value)}/{a_prefix}")
    b = parse_cidr(f"{_address(v, b_value)}/{b_prefix}")
    assert network_overlaps(a.network, b.network) == a.range.overlaps(b.range)
    assert network_covers(a.network, b.network) == a.range.covers(b.range)


@given(cidr_texts(), st.integers(0, 128))
def test_subnet_count(case: tuple[int, int, int], mask: int) -> None:
    version, value, prefix = case
    network = parse_cidr(f"{_address(version, value)}/{prefix}").network
    expected = 0 if mask < prefix or mask > FAMILY_BITS[version] else 2 ** (mask - prefix)
    assert subnet_count(network, mask) == expected


@given(ranges())
def test_range_text_round_trips(r: IPRange) -> None:
    parsed, cidr = parse_range(range_text(r)) if r.size > 1 else parse_range(str(r.start))
    assert parsed == r
    if cidr is not None:
        assert not cidr.host_bits


@settings(max_examples=50)
@given(ranges())
def test_pool_range_accepts_metallb_spacing(r: IPRange) -> None:
    assert parse_pool_range(f"{r.start} - {r.stop}")[0] == r


@given(ranges(4), ranges(6))
def test_mixed_family_range_is_rejected(a: IPRange, b: IPRange) -> None:
    with pytest.raises(RangeError):
        IPRange.of(a.start, b.start)


@given(ranges())
def test_start_after_stop_is_rejected(r: IPRange) -> None:
    assume(r.first != r.last)
    with pytest.raises(RangeError):
        IPRange.of(r.stop, r.start)


def test_examples_from_the_domain() -> None:
    pods = parse_cidr("fd47:25e1:2f96:51:2000::/64")
    services = parse_cidr("fd47:25e1:2f96:51:1000::/108")
    assert pods.host_bits and str(pods.network) == "fd47:25e1:2f96:51::/64"
    assert not services.host_bits
    assert network_covers(pods.network, services.network)
    assert subnet_count(pods.network, 64) == 1
    assert parse_range("172.29.52.200-172.29.52.220")[0].size == 21
    assert split_addresses(" 10.0.0.1 ,, 10.0.0.2 ") == ["10.0.0.1", "10.0.0.2"]
    for bad in ("10.0.0.0/33", "nonsense/8", "10.0.0.1"):
        with pytest.raises(RangeError):
            parse_cidr(bad)
