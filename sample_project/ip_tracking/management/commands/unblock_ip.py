"""``python manage.py unblock_ip 203.0.113.7``: lift the block of an address or network."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ip_tracking.addresses import parse_network
from ip_tracking.selectors import blocked_ip_networks
from ip_tracking.services import blocked_ip_remove


class Command(BaseCommand):
    help = "Lift the block of an IP address or network, exactly as it was blocked."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("network",
                            help="An address (203.0.113.7) or a network (203.0.113.0/24).")

    def handle(self, *args, network: str, **options) -> None:
        try:
            removed = blocked_ip_remove(network=network)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        canonical = parse_network(network)
        if not removed:
            # Not blocked by itself: maybe inside a blocked network, which is what to lift.
            inside = [str(blocked) for blocked in blocked_ip_networks()
                      if blocked.version == canonical.version
                      and canonical.subnet_of(blocked)]
            hint = f"; it is inside {', '.join(inside)}" if inside else ""
            raise CommandError(f"{canonical} is not blocked{hint}")
        self.stdout.write(self.style.SUCCESS(f"Unblocked {canonical}"))
