"""``manage.py block_ip``, ``unblock_ip`` and ``blocked_ips``: good input does its job and says
so; bad input is one line naming the bad value and exit status 1, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ip_tracking.models import BlockedIP
from testsupport.processes import PROJECT_DIR, test_env

pytestmark = pytest.mark.django_db


def run(*args: str, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_block_an_address_and_a_network():
    assert run("block_ip", "203.0.113.7", reason="password guessing") == \
        "Blocked 203.0.113.7/32: password guessing\n"
    assert run("block_ip", "2001:db8:bad::/48", reason="scanner") == \
        "Blocked 2001:db8:bad::/48: scanner\n"
    assert set(BlockedIP.objects.values_list("network", flat=True)) == {
        "203.0.113.7/32", "2001:db8:bad::/48"}


def test_blocking_twice_says_so_and_keeps_the_first_reason():
    run("block_ip", "203.0.113.0/24", reason="first")
    again = run("block_ip", "203.0.113.0/24", reason="second")
    assert again.startswith("203.0.113.0/24 was already blocked (since ")
    assert again.endswith(": first)\n")
    assert BlockedIP.objects.get().reason == "first"


@pytest.mark.parametrize(("value", "message"), [
    ("999.1.1.1", "'999.1.1.1' is not an IP address or a network in CIDR notation"),
    ("hello", "'hello' is not an IP address or a network in CIDR notation"),
    ("203.0.113.7/24", "'203.0.113.7/24' has host bits set: the network is 203.0.113.0/24"),
    ("0.0.0.0/0", "0.0.0.0/0 is wider than a /8"),
])
def test_block_refuses_bad_values_naming_them(value, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("block_ip", value, reason="x")
    assert not BlockedIP.objects.exists()


def test_block_needs_a_reason():
    with pytest.raises(CommandError, match="--reason"):
        run("block_ip", "203.0.113.7")
    with pytest.raises(CommandError, match="Say why"):
        run("block_ip", "203.0.113.7", reason=" ")


def test_unblock_lifts_exactly_what_was_blocked():
    run("block_ip", "203.0.113.7", reason="x")
    assert run("unblock_ip", "203.0.113.7") == "Unblocked 203.0.113.7/32\n"
    assert not BlockedIP.objects.exists()


def test_unblock_of_an_address_inside_a_blocked_network_names_the_network():
    run("block_ip", "203.0.113.0/24", reason="range")
    with pytest.raises(CommandError, match=r"^203\.0\.113\.7/32 is not blocked; it is inside "
                                           r"203\.0\.113\.0/24$"):
        run("unblock_ip", "203.0.113.7")
    with pytest.raises(CommandError, match="'nope' is not an IP address"):
        run("unblock_ip", "nope")


def test_the_list_shows_each_block_with_its_reason():
    assert run("blocked_ips") == "No address is blocked.\n"
    run("block_ip", "203.0.113.7", reason="one")
    run("block_ip", "2001:db8:bad::/48", reason="two")
    lines = run("blocked_ips").splitlines()
    assert [line.split()[0] for line in lines] == ["2001:db8:bad::/48", "203.0.113.7/32"]
    assert lines[0].endswith("  two") and lines[1].endswith("  one")


def test_from_a_shell_a_bad_value_is_one_line_and_exit_status_1():
    result = subprocess.run(
        [sys.executable, "manage.py", "block_ip", "203.0.113.300", "--reason", "typo"],
        cwd=PROJECT_DIR, env={**os.environ, **test_env()},
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == ("CommandError: '203.0.113.300' is not an IP address or a network "
                             "in CIDR notation (e.g. 203.0.113.7 or 203.0.113.0/24)\n")
    assert "Traceback" not in result.stderr
