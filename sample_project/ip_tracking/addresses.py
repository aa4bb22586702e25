"""IP addresses and networks as the app reads, stores and groups them: parsed with ``ipaddress``.

Everything that comes from outside — a header, a command's argument, an admin form — goes
through :func:`parse_address` or :func:`parse_network`, which either return a normalised
``ipaddress`` object or raise ``ValueError`` with a message that names the bad value. Nothing
else in the app handles addresses as free text.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The widest network ``block_ip`` accepts, per IP version: a /8 is 16 million IPv4 addresses,
#: a /32 an IPv6 provider's whole allocation. Wider is almost surely a typo (``0.0.0.0/0``
#: would answer 403 to the whole internet, health checks included).
WIDEST_BLOCK = {4: 8, 6: 32}

#: How much of an address a truncated request log keeps: the /24 of IPv4 (the last octet
#: zeroed) and the /48 of IPv6 (a site's prefix), as analytics tools anonymise them.
TRUNCATE_PREFIX = {4: 24, 6: 48}

#: How rate limiting groups IPv6 clients: one /64 is the smallest network an ISP hands a home
#: or a phone, and every address in it is the same client, who could otherwise take a fresh
#: address (and a fresh budget) for every request.
IPV6_CLIENT_PREFIX = 64

#: Addresses that never reach a geolocation database: loopback, RFC 1918 private, link-local,
#: unique-local IPv6 and the unspecified address. (Not ``ip.is_private``: Python counts the
#: documentation ranges as private too, and the demo geolocation table maps exactly those.)
LOCAL_NETWORKS = tuple(ipaddress.ip_network(network) for network in (
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
    "0.0.0.0/32", "::1/128", "::/128", "fc00::/7", "fe80::/10",
))


def parse_address(value: str) -> IPAddress:
    """``value`` as an address; an IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) as IPv4.

    A dual-stack socket reports IPv4 clients in that mapped form: unmapped, one client has one
    address whichever way it connected. Raises ``ValueError`` naming ``value``.
    """
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_network(value: str) -> IPNetwork:
    """``value`` — an address (``203.0.113.7``) or a network in CIDR notation (``203.0.113.0/24``).

    An address is the network of just itself (/32 or /128). A network with host bits set
    (``203.0.113.7/24``) is refused rather than silently widened: the message names the network
    that was probably meant. Raises ``ValueError``.
    """
    text = value.strip()
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or a network in CIDR notation "
                             "(e.g. 203.0.113.7 or 203.0.113.0/24)") from None
        raise ValueError(f"{value!r} has host bits set: the network is {loose}") from None


def is_local(address: IPAddress) -> bool:
    """True for loopback, private (RFC 1918), link-local and unique-local addresses."""
    return any(address in network for network in LOCAL_NETWORKS
               if network.version == address.version)


def truncated(address: IPAddress) -> IPAddress:
    """The first address of ``address``'s /24 (IPv4) or /48 (IPv6): 203.0.113.7 → 203.0.113.0."""
    prefix = TRUNCATE_PREFIX[address.version]
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address


def client_key(address: IPAddress) -> str:
    """What one client is, for counting: the address (IPv4) or its /64 (IPv6)."""
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(address)
