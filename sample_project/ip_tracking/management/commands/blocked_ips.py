"""``python manage.py blocked_ips``: every blocked address and network, newest first."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from ip_tracking.selectors import blocked_ip_list


class Command(BaseCommand):
    help = "List the blocked IP addresses and networks, newest first, with their reasons."

    def handle(self, *args, **options) -> None:
        blocks = list(blocked_ip_list())
        if not blocks:
            self.stdout.write("No address is blocked.")
            return
        width = max(len(block.network) for block in blocks)
        for block in blocks:
            since = timezone.localtime(block.created_at)  # TIME_ZONE, like the admin shows it
            self.stdout.write(f"{block.network:<{width}}  {since:%Y-%m-%d %H:%M}  {block.reason}")
