"""``nexus.diagrams.er_diagram``: the schema picture is built from the models, deterministically."""

from __future__ import annotations

import pytest

from bookings.models import Booking
from listings.models import Listing
from nexus.diagrams import ERDiagram, er_diagram

APPS = ("accounts", "listings", "bookings", "payments")


def test_relations_carry_their_cardinality():
    lines = str(er_diagram(*APPS)).splitlines()
    assert lines[0] == "erDiagram"
    # A foreign key: one parent, any number of children.
    assert '    Listing ||--o{ Booking : "listing"' in lines
    assert '    User ||--o{ Listing : "host"' in lines
    # A one-to-one: at most one review per booking.
    assert '    Booking ||--o| Review : "booking"' in lines


def test_every_column_is_listed_with_its_keys():
    source = str(er_diagram("listings"))
    block = source.split("    Listing {\n", 1)[1].split("    }", 1)[0]
    columns = [line.split()[1] for line in block.splitlines()]
    assert columns == [f.column for f in Listing._meta.concrete_fields]
    assert "        bigint id PK\n" in source
    assert "        bigint host_id FK\n" in source
    assert '        varchar slug UK "nullable"\n' in source
    assert "        numeric price_per_night\n" in source  # one word: Mermaid rejects "(10, 2)"
    # Review's one-to-one to Booking: a foreign key and unique.
    assert "        bigint booking_id FK, UK\n" in str(er_diagram("bookings"))


def test_relations_leave_the_chosen_apps_out():
    source = str(er_diagram("bookings"))
    assert "Listing" not in source and "User" not in source
    assert [f.column for f in Booking._meta.concrete_fields][:3] == ["id", "listing_id", "guest_id"]


def test_many_to_many_and_boxes_only():
    source = str(er_diagram("accounts", "auth", columns=False))
    assert '    Group }o--o{ User : "groups"' in source
    assert "{\n" not in source  # no column blocks
    assert source.splitlines()[-3:] == ["    User", "    Permission", "    Group"]


def test_same_models_same_text_and_markdown_for_jupyter():
    first, second = er_diagram(*APPS), er_diagram(*APPS)
    assert isinstance(first, ERDiagram) and first == second
    assert first._repr_markdown_() == f"```mermaid\n{first.source}\n```"
    assert repr(first) == first.source


def test_no_apps_is_a_clear_error():
    with pytest.raises(ValueError, match="name the apps"):
        er_diagram()
