"""IP addresses, ranges and CIDRs as values. All math goes through the standard ``ipaddress`` module.

A range is inclusive at both ends and never mixes families. A CIDR with host bits set parses to
the network it will actually become (``strict=False``) and remembers that it had them.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional, Union

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class RangeError(ValueError):
    """A range or CIDR that cannot be used; the message says why in user terms."""


@dataclass(frozen=True, order=True)
class IPRange:
    """An inclusive address range of one family."""

    version: int
    first: int
    last: int

    @classmethod
    def of(cls, start: IPAddress, stop: IPAddress) -> "IPRange":
        if start.version != stop.version:
            raise RangeError(f"{start} and {stop} are of different address families")
        if int(start) > int(stop):
            raise RangeError(f"start {start} is after stop {stop}")
        return cls(start.version, int(start), int(stop))

    @classmethod
    def from_network(cls, network: IPNetwork) -> "IPRange":
        return cls(network.version, int(network.network_address), int(network.broadcast_address))

    @property
    def start(self) -> IPAddress:
        return address_of(self.version, self.first)

    @property
    def stop(self) -> IPAddress:
        return address_of(self.version, self.last)

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def contains(self, address: IPAddress) -> bool:
        return address.version == self.version and self.first <= int(address) <= self.last

    def overlaps(self, other: "IPRange") -> bool:
        return self.version == other.version and self.first <= other.last and other.first <= self.last

    def covers(self, other: "IPRange") -> bool:
        return self.version == other.version and self.first <= other.first and other.last <= self.last

    def __str__(self) -> str:
        if self.first == self.last:
            return str(self.start)
        return f"{self.start}-{self.stop}"


@dataclass(frozen=True)
class ParsedCIDR:
    text: str
    network: IPNetwork  # masked: what the value actually means
    host_bits: bool  # the text had host bits set

    @property
    def range(self) -> IPRange:
        return IPRange.from_network(self.network)


def parse_address(text: str) -> Optional[IPAddress]:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def parse_cidr(text: str) -> ParsedCIDR:
    """Parse ``a.b.c.d/n`` or ``x::/n``; raise RangeError for anything else."""
    raw = str(text).strip()
    if "/" not in raw:
        raise RangeError(f"'{raw}' is not a CIDR (expected address/prefix)")
    try:
        network = ipaddress.ip_network(raw, strict=False)
    except ValueError as exc:
        detail = str(exc).replace(f"'{raw}' ", "").replace(raw, "it")
        raise RangeError(f"'{raw}' is not a valid CIDR: {detail}") from None
    address = ipaddress.ip_interface(raw).ip
    return ParsedCIDR(raw, network, address != network.network_address)


def parse_range(text: str) -> tuple[IPRange, Optional[ParsedCIDR]]:
    """Parse a policy range: ``a-b`` (inclusive), a CIDR, or a single address."""
    raw = str(text).strip()
    if "/" in raw:
        cidr = parse_cidr(raw)
        return cidr.range, cidr
    if "-" in raw and not raw.startswith("-"):
        start_text, _, stop_text = raw.partition("-")
        start, stop = parse_address(start_text), parse_address(stop_text)
        if start is None or stop is None:
            raise RangeError(f"'{raw}' is not a valid address range (expected start-stop)")
        return IPRange.of(start, stop), None
    address = parse_address(raw)
    if address is None:
        raise RangeError(f"'{raw}' is not an address, a range or a CIDR")
    return IPRange.of(address, address), None


def describe_ranges(ranges: list[IPRange]) -> str:
    return ", ".join(str(r) for r in ranges)


# --- helpers for the network rules (lb-, bgp-, cidr-) ----------------------------------------

def address_of(version: int, value: int) -> IPAddress:
    """The address with integer ``value`` in family ``version``."""
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


def intersection(a: IPRange, b: IPRange) -> Optional[IPRange]:
    """The addresses two ranges share, or None when they are disjoint (or of different families)."""
    if not a.overlaps(b):
        return None
    return IPRange(a.version, max(a.first, b.first), min(a.last, b.last))


def network_overlaps(a: IPNetwork, b: IPNetwork) -> bool:
    """True when two networks of the same family share an address (one then contains the other)."""
    return a.version == b.version and a.overlaps(b)  # type: ignore[arg-type]


def network_covers(outer: IPNetwork, inner: IPNetwork) -> bool:
    """True when every address of ``inner`` is in ``outer``."""
    return outer.version == inner.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def host_bits(network: IPNetwork) -> int:
    """How many host bits a (masked) network has: 32 - prefix for IPv4, 128 - prefix for IPv6."""
    return network.max_prefixlen - network.prefixlen


def subnet_count(network: IPNetwork, mask: int) -> int:
    """How many /``mask`` subnets fit in ``network`` (0 when the mask is shorter than the prefix)."""
    if mask < network.prefixlen or mask > network.max_prefixlen:
        return 0
    return 1 << (mask - network.prefixlen)


def first_last(network: IPNetwork) -> tuple[IPAddress, IPAddress]:
    """The first (network) and last (broadcast / all-ones) address of a block."""
    return network.network_address, network.broadcast_address


def parse_pool_range(text: str) -> tuple[IPRange, Optional[ParsedCIDR]]:
    """A MetalLB ``addresses`` entry: a CIDR or ``start-stop`` (spaces around the dash allowed)."""
    return parse_range(str(text).replace(" ", ""))


def split_addresses(text: str) -> list[str]:
    """A comma-separated address list as Cilium and MetalLB read it: trimmed, empties dropped."""
    return [part.strip() for part in str(text).split(",") if part.strip()]


def family_name(version: int) -> str:
    return "IPv4" if version == 4 else "IPv6"


def range_text(address_range: IPRange) -> str:
    """A range as a CIDR when it is exactly one, else ``start-stop``."""
    networks = list(ipaddress.summarize_address_range(address_range.start, address_range.stop))  # type: ignore[type-var]
    return str(networks[0]) if len(networks) == 1 and address_range.size > 1 else str(address_range)
