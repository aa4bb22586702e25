"""Review moves to bookings, rows and all: here, bookings takes it over.

``listings/migrations/0005_move_review_to_bookings.py`` renamed the table to
``bookings_review`` and took the model out of listings' state. This migration adds ``Review``
to bookings' state only: the ``CreateModel`` below is what ``makemigrations`` writes for the
model, and it runs no SQL (the table exists, with its rows). Django compares this state with
``bookings.models``, so ``makemigrations --check`` stays clean.

One thing outside the table names the model's app: its row in ``django_content_type``
(``listings | review``), which its permissions and the admin's history point to. Django would
create a new ``bookings | review`` row after migrating and leave the old one stale; moving the
existing row keeps them. (Django's own ``RenameModel`` does the same for a renamed model, with
``RenameContentType``.) One SQL statement each way; on a fresh database there is no row yet,
and nothing to move.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# Move the row unless Django already created the new one (then both exist, and
# `manage.py remove_stale_contenttypes` asks what to do with the old one).
MOVE_CONTENT_TYPE = """
    UPDATE django_content_type SET app_label = %(new)s
    WHERE app_label = %(old)s AND model = 'review' AND NOT EXISTS (
        SELECT 1 FROM django_content_type WHERE app_label = %(new)s AND model = 'review')
"""


class Migration(migrations.Migration):

    dependencies = [
        ("bookings", "0003_exclusion_with_btree_gist"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("listings", "0005_move_review_to_bookings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Review',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rating', models.PositiveSmallIntegerField(help_text='1 (bad) to 5 (excellent)')),
                        ('comment', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('author', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reviews', to=settings.AUTH_USER_MODEL)),
                        ('booking', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='review', to='bookings.booking')),
                        ('listing', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reviews', to='listings.listing')),
                    ],
                    options={
                        'ordering': ['id'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('rating__gte', 1), ('rating__lte', 5)), name='review_rating_1_to_5', violation_error_message='The rating must be between 1 and 5.')],
                    },
                ),
            ],
        ),
        migrations.RunSQL(
            [(MOVE_CONTENT_TYPE, {"old": "listings", "new": "bookings"})],
            reverse_sql=[(MOVE_CONTENT_TYPE, {"old": "bookings", "new": "listings"})],
        ),
    ]
