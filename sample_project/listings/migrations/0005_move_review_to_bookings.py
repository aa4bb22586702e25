"""Review moves to bookings, rows and all: here, listings lets go of it.

A review rates one stay, and listings must not depend on bookings (listings ← bookings ←
payments), so the model now lives in ``bookings.models``. Django has no "move model"
operation (ticket #24686). Deleting the model here and creating it in bookings, as
``makemigrations`` would write it, means ``DROP TABLE listings_review`` and a new, empty table:
every review lost. ``SeparateDatabaseAndState`` splits what Django *believes* (the migration
state, from which it builds models and autodetects changes) from what it *does* to the
database:

- database: only ``ALTER TABLE listings_review RENAME TO bookings_review``, the table name
  Django gives a ``Review`` model of the ``bookings`` app. Rows, constraints, indexes and the
  id sequence go with the table (under their old names, which is harmless: Django looks
  constraints up by introspection when it alters them);
- state: listings has no ``Review`` any more.

``bookings/migrations/0004_review.py`` (which depends on this one) adds ``Review`` to bookings'
state, with no database operation: the table is already there. Both steps reverse: going back
renames the table to ``listings_review`` and gives the model back to listings.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("listings", "0004_fill_listing_slugs"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="review", table="bookings_review"),
            ],
            state_operations=[
                migrations.DeleteModel(name="Review"),
            ],
        ),
    ]
