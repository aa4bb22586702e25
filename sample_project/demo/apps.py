from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set (``seed.py``) and ``python manage.py seed``, which writes it.

    An app of its own because it writes rows of every other app (users, listings, bookings,
    reviews, payments): here it may import them all, and none of them imports it.
    """

    name = "demo"
    verbose_name = "Demo data"
