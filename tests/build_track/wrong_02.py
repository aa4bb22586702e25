"""Lesson 02's wrong projects (see ``wrong_projects.py``).

A mistake in a model is made in its migration too, as ``makemigrations`` would have written it,
so the project stays consistent (``makemigrations --check`` clean) and only the rule is wrong.
"""

from __future__ import annotations

from nexus.paths import SAMPLE_PROJECT

from .wrong_projects import Wrong

SETTINGS = "config/settings/base.py"
USER = "accounts/models.py"
USER_0001 = "accounts/migrations/0001_initial.py"
USER_ADMIN = "accounts/admin.py"
LISTINGS = "listings/models.py"
#: Review was created in listings (0002: the table and its rules) and moved to bookings (0004:
#: the same CreateModel, state only). A mistake in the model is in both, as if made from the start.
REVIEW_0002 = "listings/migrations/0002_review.py"
REVIEW_0004 = "bookings/migrations/0004_review.py"
FILL_0004 = "listings/migrations/0004_fill_listing_slugs.py"
BOOKINGS = "bookings/models.py"
BOOKING_0001 = "bookings/migrations/0001_initial.py"
BOOKING_0003 = "bookings/migrations/0003_exclusion_with_btree_gist.py"
SEED = "demo/seed.py"
SEED_COMMAND = "demo/management/commands/seed.py"


def _sample(name: str) -> str:
    return (SAMPLE_PROJECT / name).read_text(encoding="utf-8")


def _between(name: str, start: str, end: str) -> str:
    """The sample file's text from ``start`` up to (not including) the next ``end``."""
    text = _sample(name)
    first = text.index(start)
    return text[first:text.index(end, first)]


#: The user created in accounts' second migration: the learner's accounts app had an (empty)
#: initial migration before the custom user was added.
_USER_LATER = {
    "accounts/migrations/0001_initial.py":
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        "    initial = True\n\n    dependencies = []\n\n    operations = []\n",
    "accounts/migrations/0002_user.py": _sample(USER_0001).replace(
        "    initial = True\n\n", "").replace(
        "        ('auth', '0012_alter_user_first_name_max_length'),\n",
        "        ('accounts', '0001_initial'),\n"
        "        ('auth', '0012_alter_user_first_name_max_length'),\n"),
}
#: The overlap rule, in the model and in the migration that adds it.
_EXCLUSION_IN_MODEL = _between(BOOKINGS, "            # No double booking", "        ]\n")
_EXCLUSION_IN_0003 = _between(BOOKING_0003, "        migrations.AddConstraint(", "    ]\n")
#: The seed's two guards against running on a database that has data.
_SEED_GUARDS = (_between(SEED, "        if (existing or seeded_users) and not replace:",
                         "        if replace:"),
                _between(SEED, "        taken = User.objects.filter(", "\n        hosts, guests"))

WRONG: list[Wrong] = [
    # --- 02.b1 the custom user ------------------------------------------------------------------
    Wrong("02.b1", "AUTH_USER_MODEL forgotten (accounts.User next to auth.User)",
          {SETTINGS: [('AUTH_USER_MODEL = "accounts.User"\n', "")]},
          hint="not a related_name"),
    Wrong("02.b1", "role as free text, no choices",
          {USER: [("role = models.CharField(max_length=16, choices=Role.choices, "
                   "default=Role.GUEST)",
                   "role = models.CharField(max_length=16, default=Role.GUEST)")],
           USER_0001: [("('role', models.CharField(choices=[('guest', 'Guest'), ('host', "
                        "'Host'), ('admin', 'Admin')], default='guest', max_length=16)),",
                        "('role', models.CharField(default='guest', max_length=16)),")]},
          hint="the values are what the database stores"),
    Wrong("02.b1", "new users are hosts by default",
          {USER: [("default=Role.GUEST)", "default=Role.HOST)")],
           USER_0001: [("default='guest', max_length=16)", "default='host', max_length=16)")]},
          hint="default=Role.GUEST"),
    Wrong("02.b1", "roles checked by choices only (no CheckConstraint)",
          {USER: [(_between(USER, "    class Meta:\n", "    def __str__"), "")],
           # Without a Meta of its own, User inherits AbstractUser's verbose names.
           USER_0001: [(_between(USER_0001, "            options={\n", "            managers="),
                        "            options={'verbose_name': 'user', "
                        "'verbose_name_plural': 'users'},\n")]},
          hint="choices= is only checked by full_clean()"),
    Wrong("02.b1", "the custom user came in accounts' second migration",
          delete=(USER_0001,), create=_USER_LATER,
          hint="first migration of its app"),
    # --- 02.b2 the rules the database enforces --------------------------------------------------
    Wrong("02.b2", "check-out on the check-in day allowed (gte)",
          {BOOKINGS: [('condition=Q(check_out__gt=F("check_in"))',
                       'condition=Q(check_out__gte=F("check_in"))')],
           BOOKING_0001: [("('check_out__gt', models.F('check_in'))",
                           "('check_out__gte', models.F('check_in'))")]},
          hint="a stay of zero nights is no stay"),
    Wrong("02.b2", "check-out rule in clean() only",
          {BOOKINGS: [(_between(BOOKINGS, "            models.CheckConstraint(\n"
                                          "                condition=Q(check_out__gt",
                                "            models.CheckConstraint(\n"
                                "                condition=Q(guests__gte"), ""),
                      ("    @property\n    def nights",
                       "    def clean(self):\n"
                       "        if self.check_out <= self.check_in:\n"
                       "            from django.core.exceptions import ValidationError\n\n"
                       "            raise ValidationError(\"Check-out must be after \"\n"
                       "                                  \"check-in.\")\n\n"
                       "    @property\n    def nights")],
           BOOKING_0001: [("models.CheckConstraint(condition=models.Q(('check_out__gt', "
                           "models.F('check_in'))), name='booking_check_out_after_check_in', "
                           "violation_error_message='Check-out must be after check-in.'), ", "")]},
          hint="A clean() method only runs in forms"),
    Wrong("02.b2", "rating checked from one side (>= 1 only)",
          {BOOKINGS: [("condition=Q(rating__gte=1, rating__lte=5)", "condition=Q(rating__gte=1)")],
           **{migration: [("models.Q(('rating__gte', 1), ('rating__lte', 5))",
                           "models.Q(('rating__gte', 1))")]
              for migration in (REVIEW_0002, REVIEW_0004)}},
          hint="a CheckConstraint with both ends"),
    Wrong("02.b2", "rating 5 refused (lt instead of lte)",
          {BOOKINGS: [("condition=Q(rating__gte=1, rating__lte=5)",
                       "condition=Q(rating__gte=1, rating__lt=5)")],
           **{migration: [("('rating__lte', 5)", "('rating__lt', 5)")]
              for migration in (REVIEW_0002, REVIEW_0004)}},
          hint="gte / lte, not gt / lt"),
    Wrong("02.b2", "free listings allowed (price >= 0)",
          {LISTINGS: [('condition=Q(price_per_night__gt=Decimal("0"))',
                       'condition=Q(price_per_night__gte=Decimal("0"))')],
           "listings/migrations/0001_initial.py": [("('price_per_night__gt', Decimal('0'))",
                                                    "('price_per_night__gte', Decimal('0'))")]},
          hint="a DecimalField has no sign rule"),
    Wrong("02.b2", "one review per booking and author (ForeignKey + unique pair)",
          {BOOKINGS: [("booking = models.OneToOneField(Booking,",
                       "booking = models.ForeignKey(Booking,"),
                      ('                name="review_rating_1_to_5",\n'
                       '                violation_error_message="The rating must be between 1 '
                       'and 5.",\n            ),\n',
                       '                name="review_rating_1_to_5",\n'
                       '                violation_error_message="The rating must be between 1 '
                       'and 5.",\n            ),\n'
                       '            models.UniqueConstraint(fields=["booking", "author"], '
                       'name="review_one_per_author"),\n')],
           **{migration: [("('booking', models.OneToOneField(", "('booking', models.ForeignKey("),
                          ("violation_error_message='The rating must be between 1 and 5.')]",
                           "violation_error_message='The rating must be between 1 and 5.'), "
                           "models.UniqueConstraint(fields=('booking', 'author'), "
                           "name='review_one_per_author')]")]
              for migration in (REVIEW_0002, REVIEW_0004)}},
          hint="not per (booking, author)"),
    Wrong("02.b2", "overlap rule also blocks cancelled bookings (no condition)",
          {BOOKINGS: [("                condition=Q(status__in=ACTIVE_STATUSES),\n", "")],
           BOOKING_0003: [("                condition=models.Q(('status__in', ['pending', "
                           "'confirmed'])),\n", "")]},
          hint="a cancelled booking holds no nights"),
    Wrong("02.b2", "inclusive date ranges: back-to-back stays refused",
          {BOOKINGS: [('                            F("check_out"),\n',
                       '                            F("check_out"),\n'
                       '                            Value("[]"),\n'),
                      ("from django.db.models import F, Func, Q\n",
                       "from django.db.models import F, Func, Q, Value\n")],
           BOOKING_0003: [("models.F('check_out'), function='daterange'",
                           "models.F('check_out'), models.Value('[]'), function='daterange'")]},
          hint="half-open"),
    Wrong("02.b2", "no overlap rule in the database (checked in Python only)",
          {BOOKINGS: [(_EXCLUSION_IN_MODEL, "")],
           BOOKING_0003: [(_EXCLUSION_IN_0003, "")]},
          hint="a check-then-insert in Python races"),
    Wrong("02.b2", "exclusion constraint without the btree_gist extension",
          {BOOKING_0003: [("        BtreeGistExtension(),\n", "")]},
          hint="put BtreeGistExtension()"),
    # --- 02.b3 the data migration and the admin -------------------------------------------------
    Wrong("02.b3", "data migration without a reverse function",
          {FILL_0004: [("migrations.RunPython(fill_slugs, clear_slugs)",
                        "migrations.RunPython(fill_slugs)")]},
          hint="IrreversibleError"),
    Wrong("02.b3", "data migration imports today's model",
          {FILL_0004: [('def fill_slugs(apps, schema_editor):\n'
                        '    Listing = apps.get_model("listings", "Listing")\n',
                        'def fill_slugs(apps, schema_editor):\n'
                        '    from listings.models import Listing\n')]},
          hint="the model as it was at that point of the history"),
    Wrong("02.b3", "reverse sets the unique slug to '' in every row",
          {FILL_0004: [("Listing.objects.update(slug=None)", 'Listing.objects.update(slug="")')]},
          hint="a unique column cannot be set to one value"),
    Wrong("02.b3", "no data migration (slugs filled by hand)",
          {"bookings/migrations/0003_exclusion_with_btree_gist.py":
               [("('listings', '0004_fill_listing_slugs')", "('listings', '0003_listing_slug')")],
           "wishlists/migrations/0001_initial.py":
               [("('listings', '0004_fill_listing_slugs')", "('listings', '0003_listing_slug')")],
           "listings/migrations/0005_move_review_to_bookings.py":
               [('("listings", "0004_fill_listing_slugs")', '("listings", "0003_listing_slug")')]},
          delete=(FILL_0004,), hint="makemigrations listings --empty"),
    Wrong("02.b3", "Booking not registered in the admin",
          {"bookings/admin.py": [("@admin.register(Booking)\n", ""),
                                 ('autocomplete_fields = ("booking", "listing", "author")',
                                  'autocomplete_fields = ("listing", "author")')],
           "payments/admin.py": [('autocomplete_fields = ("booking",)', "")]},
          hint="bookings/admin.py registers Booking"),
    Wrong("02.b3", "the user registered with a plain ModelAdmin",
          {USER_ADMIN: [("class UserAdmin(DjangoUserAdmin):",
                         "class UserAdmin(admin.ModelAdmin):\n"
                         "    search_fields = (\"username\", \"email\")\n")]},
          hint="saves whatever is typed there unhashed"),
    Wrong("02.b3", "role missing from the user admin's form",
          {USER_ADMIN: [('    fieldsets = (*DjangoUserAdmin.fieldsets, ("Nexus", {"fields": '
                         '("role",)}))\n', "")]},
          hint="fieldsets list the fields its form shows"),
    # --- 02.b4 a deterministic seed -------------------------------------------------------------
    Wrong("02.b4", "an unseeded random generator",
          {SEED: [("rng = random.Random(seed)", "rng = random.Random()")]},
          hint="one random.Random(seed)"),
    Wrong("02.b4", "listings stamped with timezone.now()",
          {SEED: [("created_at=LISTINGS_CREATED_FROM + timedelta(hours=index),",
                   "created_at=timezone.now(),"),
                  ("from django.db.models import F\n",
                   "from django.db.models import F\nfrom django.utils import timezone\n")]},
          hint="a timestamp came from the clock"),
    Wrong("02.b4", "stays dated from today",
          {SEED: [("PAST_STAYS_FROM = date(2025, 1, 5)",
                   "PAST_STAYS_FROM = date.today() - timedelta(days=340)"),
                  ("PAST_STAYS_UNTIL = date(2025, 12, 20)",
                   "PAST_STAYS_UNTIL = date.today() - timedelta(days=5)"),
                  ("UPCOMING_STAYS_FROM = date(2027, 1, 5)",
                   "UPCOMING_STAYS_FROM = date.today() + timedelta(days=30)"),
                  ("UPCOMING_STAYS_UNTIL = date(2027, 12, 20)",
                   "UPCOMING_STAYS_UNTIL = date.today() + timedelta(days=375)")]},
          hint="a date came from today"),
    Wrong("02.b4", "--listings ignored (a hard-coded count)",
          {SEED_COMMAND: [("seed_demo_data(listings=listings, seed=seed, replace=replace,",
                           "seed_demo_data(listings=20, seed=seed, replace=replace,")]},
          hint="use the --listings option's value"),
    Wrong("02.b4", "no guard: a second run crashes on the seeded usernames",
          {SEED: [(_SEED_GUARDS[0], ""), (_SEED_GUARDS[1], "")]},
          hint="raise django.core.management.base.CommandError"),
]
