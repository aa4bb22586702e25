"""Every write to ``BlockedIP`` makes each process re-read the blocklist (``blocklist.py``).

Signals cover ``save()`` and ``delete()`` — the admin's form and its "delete selected" action
(a queryset delete sends ``post_delete`` for each row while a receiver listens). Writes that
send no signal (``update()``, ``bulk_create``) must call ``blocklist.invalidate_on_commit()``
themselves, as the services do.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ip_tracking import blocklist
from ip_tracking.models import BlockedIP


@receiver(post_save, sender=BlockedIP, dispatch_uid="ip_tracking.blocklist_saved")
@receiver(post_delete, sender=BlockedIP, dispatch_uid="ip_tracking.blocklist_deleted")
def blocklist_changed(sender, **kwargs) -> None:
    blocklist.invalidate_on_commit()
