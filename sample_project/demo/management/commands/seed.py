"""``python manage.py seed``: fill the database with the deterministic demo data set."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.seed import DEMO_PASSWORD, SeedRefusedError, seed_demo_data


class Command(BaseCommand):
    help = (
        "Create demo users, listings, bookings, reviews and payments (and message threads "
        "with --threads). The same --seed always gives the same data. Users: admin, "
        f"host001…, guest0001…; every password is {DEMO_PASSWORD!r}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--listings", type=int, default=200, help="How many listings (default 200)."
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="Random seed; same seed, same data (default 42)."
        )
        parser.add_argument(
            "--threads", type=int, default=0,
            help="Also write this many message threads between guests and hosts about their "
                 "stays (default 0: the course's data set has none).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete all listings, bookings, reviews, payments, messages and seeded users "
                 "first.",
        )

    def handle(self, *args, listings: int, seed: int, replace: bool, threads: int,
               **options) -> None:
        if listings < 0:
            raise CommandError("--listings must be zero or more.")
        if threads < 0:
            raise CommandError("--threads must be zero or more.")
        try:
            summary = seed_demo_data(listings=listings, seed=seed, replace=replace,
                                     threads=threads)
        except SeedRefusedError as exc:
            # A CommandError prints one line and exits 1; no traceback for a known case.
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(str(summary)))
