"""``ip_tracking.client_ip``: the client's address, never the one a client wrote for itself.

``X-Forwarded-For`` is a list that every proxy appends to; only the entries written by the
proxies we run (``TRUSTED_PROXY_COUNT``, counted from the right) can be believed.
"""

from __future__ import annotations

import ipaddress

import pytest
from django.test import RequestFactory, override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from ip_tracking.client_ip import client_ip

PROXY, CLIENT = "10.0.0.2", "203.0.113.7"


def request(remote_addr: str = PROXY, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def address(text: str):
    return ipaddress.ip_address(text)


def test_without_proxies_the_socket_address_wins_and_the_header_is_ignored():
    assert client_ip(request(CLIENT, forwarded="198.51.100.66")) == address(CLIENT)


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_right_most_entry_is_the_client():
    assert client_ip(request(forwarded=CLIENT)) == address(CLIENT)
    # The client sent an X-Forwarded-For of its own; our proxy appended the real address.
    assert client_ip(request(forwarded=f"198.51.100.66, {CLIENT}")) == address(CLIENT)


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client():
    forged = f"1.2.3.4, 198.51.100.66, {CLIENT}, 10.0.0.1"
    assert client_ip(request(forwarded=forged)) == address(CLIENT)


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_a_request_that_skipped_a_proxy_is_judged_by_its_socket_address():
    # One entry where two proxies would have written two: it did not come through them both,
    # so its one entry may be the client's own invention.
    assert client_ip(request(CLIENT, forwarded="198.51.100.66")) == address(CLIENT)


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_an_unreadable_entry_falls_back_to_the_socket_address():
    assert client_ip(request(forwarded="not-an-address")) == address(PROXY)
    assert client_ip(request(forwarded="")) == address(PROXY)


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_ports_and_brackets_some_proxies_add_are_dropped():
    assert client_ip(request(forwarded=f"{CLIENT}:443")) == address(CLIENT)
    assert client_ip(request(forwarded="[2001:db8::1]:443")) == address("2001:db8::1")
    assert client_ip(request(forwarded="2001:db8::1")) == address("2001:db8::1")


def test_an_ipv4_mapped_ipv6_address_is_the_ipv4_client():
    assert client_ip(request("::ffff:203.0.113.7")) == address(CLIENT)


def test_no_usable_address_is_none():
    assert client_ip(request("")) is None  # e.g. gunicorn on a Unix socket


@settings(max_examples=200, deadline=None)
@given(forged=st.lists(st.ip_addresses().map(str), max_size=5),
       proxies=st.integers(min_value=1, max_value=3), data=st.data())
def test_whatever_the_client_prepends_the_address_our_first_proxy_wrote_wins(
        forged, proxies, data):
    # Our first proxy appends the client's address, each further one the previous proxy's.
    real = data.draw(st.ip_addresses().map(str), label="real client")
    hops = [real] + [f"10.0.0.{hop}" for hop in range(1, proxies)]
    header = ", ".join([*forged, *hops])
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        found = client_ip(request(f"10.0.0.{proxies}", forwarded=header))
    expected = ipaddress.ip_address(real)
    if expected.version == 6 and expected.ipv4_mapped is not None:
        expected = expected.ipv4_mapped
    assert found == expected


@pytest.mark.parametrize(("proxies", "header"), [
    (0, f"198.51.100.66, {CLIENT}"),
    (1, f"198.51.100.66, {CLIENT}"),
    (2, f"198.51.100.66, {CLIENT}, 10.0.0.1"),
])
def test_drf_throttles_agree_when_the_request_came_through_every_proxy(
        monkeypatch, proxies, header):
    # One number (DJANGO_NUM_PROXIES) for both: DRF's throttles and ip_tracking must count
    # the same client, or a client would hold two budgets.
    monkeypatch.setattr(api_settings, "NUM_PROXIES", proxies)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        ours = client_ip(request(forwarded=header))
        drf = AnonRateThrottle().get_ident(request(forwarded=header))
    assert str(ours) == drf


def test_the_setting_and_drfs_num_proxies_come_from_one_variable():
    from django.conf import settings as django_settings

    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == django_settings.TRUSTED_PROXY_COUNT
