"""Data migration: give every existing listing a slug, "<title made URL-safe>-<id>".

0003 added the column (empty for existing rows); this fills it. The reverse empties it again,
so `migrate listings 0003` undoes this step exactly and the schema migration before it can be
undone too.

A migration is a snapshot of history: it uses the *historical* model that ``apps`` gives it
(the fields as they were at this point), never ``from listings.models import Listing``, and it
spells out its slug rule here rather than importing it, so a later change to the app's code
cannot change what this migration did.
"""

from django.db import migrations
from django.utils.text import slugify

BATCH_SIZE = 500
TITLE_PART = 120  # slug max_length is 140: room for "-" and the id


def slug_for(title: str, pk: int) -> str:
    return f"{slugify(title)[:TITLE_PART].strip('-')}-{pk}"


def fill_slugs(apps, schema_editor):
    Listing = apps.get_model("listings", "Listing")
    batch = []
    for listing in Listing.objects.filter(slug__isnull=True).only("pk", "title").iterator(
        chunk_size=BATCH_SIZE
    ):
        listing.slug = slug_for(listing.title, listing.pk)
        batch.append(listing)
        if len(batch) == BATCH_SIZE:
            Listing.objects.bulk_update(batch, ["slug"])
            batch = []
    Listing.objects.bulk_update(batch, ["slug"])


def clear_slugs(apps, schema_editor):
    Listing = apps.get_model("listings", "Listing")
    Listing.objects.update(slug=None)


class Migration(migrations.Migration):

    dependencies = [
        ("listings", "0003_listing_slug"),
    ]

    operations = [
        migrations.RunPython(fill_slugs, clear_slugs),
    ]
