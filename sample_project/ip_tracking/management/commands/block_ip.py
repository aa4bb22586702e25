"""``python manage.py block_ip 203.0.113.7 --reason "password guessing"``: block an address or
a network (``203.0.113.0/24``); every server refuses it from its next request on."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ip_tracking.services import blocked_ip_add


class Command(BaseCommand):
    help = ("Block an IP address or a network in CIDR notation: every request from it gets 403. "
            "List blocks with `blocked_ips`, lift one with `unblock_ip`.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("network",
                            help="An address (203.0.113.7) or a network (203.0.113.0/24).")
        parser.add_argument("--reason", required=True,
                            help="Why: kept with the block, for whoever lifts it. Never shown "
                                 "to the blocked client.")

    def handle(self, *args, network: str, reason: str, **options) -> None:
        try:
            blocked, created = blocked_ip_add(network=network, reason=reason)
        except ValidationError as exc:
            # One line naming the bad value, exit status 1: no traceback for a typo.
            raise CommandError("; ".join(exc.messages)) from exc
        if created:
            self.stdout.write(self.style.SUCCESS(f"Blocked {blocked.network}: {blocked.reason}"))
        else:
            since = timezone.localtime(blocked.created_at)
            self.stdout.write(f"{blocked.network} was already blocked "
                              f"(since {since:%Y-%m-%d %H:%M}: {blocked.reason})")
