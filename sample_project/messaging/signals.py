"""Messaging's receivers: edit history, notifications, the unread cache, a deleted account.

**Connected in ``MessagingConfig.ready()``**, which imports this module: a ``@receiver``
decorator connects its function when the module is executed, and not before.

- Never imported, never connected — and nothing says so: a receivers module that only a view
  imports is silent in a Celery worker or a shell that never loads that view. ``ready()`` runs
  in every process that sets Django up, once every model is loaded.
- Imported twice, connected twice — unless it has a ``dispatch_uid``. ``Signal.connect()``
  recognises a receiver it already holds by a key: ``(dispatch_uid, sender)`` when one is
  given, else ``(id(function), id(sender))``. The same source executed twice — the module
  imported under a second name (``sample_project.messaging.signals`` with the repository root
  on ``sys.path``), a receiver defined inside a function that runs again — makes a second
  function object with another ``id``, and every edit would write two history rows. With a
  ``dispatch_uid`` the second ``connect()`` finds the key and adds nothing
  (``django/dispatch/dispatcher.py``; ``tests/models/test_message_signals.py`` shows both).

**What the receivers do, and why here.** A receiver runs for every ``save()``/``delete()`` of
its model, whoever makes it: a service, the admin, a shell, a future import job. That is what
an edit history and a "you have a new message" need, so those two are receivers. What a signal
costs: the effect is invisible where ``save()`` is called, and it runs inside that ``save()``,
in the caller's transaction. So the receivers stay small — the history is a lookup and an
insert, the notification a call to ``notification_create`` — the rules (who may write, edit,
read) stay in ``messaging/services.py``, and the services open the transaction the receivers
run in.

**What no receiver sees.** ``QuerySet.update()``, ``bulk_create()``, ``bulk_update()`` and raw
SQL call no ``save()`` and send no ``pre_save``/``post_save``: an ``update()`` of a message's
content keeps no history, and the seed command's ``bulk_create()`` notifies nobody. A
fixture load (``loaddata``) does send them, with ``raw=True``: these receivers skip it — the
rows are stored exactly as the fixture has them, and the database may be half loaded.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.models import User
from messaging.cache import bump_unread_on_commit, forget_user_on_commit
from messaging.models import Message, MessageHistory
from messaging.services import notification_create


@receiver(pre_save, sender=Message, dispatch_uid="messaging-edit-history")
def keep_edit_history(sender, instance: Message, raw: bool, update_fields, **kwargs) -> None:
    """Before a message's content changes, store the old content and mark the message edited.

    ``pre_save`` is the last moment the old content can still be read from the database. It
    costs one query per save of an existing message (skipped when ``update_fields`` leaves
    ``content`` out). ``edited`` is set on the instance, so it is written only if this save
    writes it: a save with ``update_fields`` must name ``"edited"`` too (``message_edit``
    does). Not atomic by itself: ``save()`` sends ``pre_save`` before it opens any
    transaction, so the history row and the new content commit together only inside the
    caller's ``atomic()`` (``message_edit`` holds one).
    """
    if raw or instance._state.adding:
        return
    if update_fields is not None and "content" not in update_fields:
        return
    old = Message.objects.filter(pk=instance.pk).values_list("content", flat=True).first()
    if old is None or old == instance.content:
        return
    MessageHistory.objects.create(message_id=instance.pk, old_content=old)
    instance.edited = True


@receiver(post_save, sender=Message, dispatch_uid="messaging-notify-receiver")
def notify_receiver(sender, instance: Message, created: bool, raw: bool, **kwargs) -> None:
    """A new message notifies its receiver: a Notification row, an email after the commit."""
    if created and not raw:
        notification_create(message=instance)


@receiver([post_save, post_delete], sender=Message, dispatch_uid="messaging-unread-cache")
def unread_count_changed(sender, instance: Message, **kwargs) -> None:
    """A message stored, changed or deleted: its receiver's unread badge is stale on commit.

    ``post_delete`` is sent for every message a cascade deletes too (a deleted account, listing
    or booking). Django deletes rows without fetching them only for a model no receiver listens
    to and no foreign key points to (bar ``DO_NOTHING`` ones); Message has both, so a cascade
    loads its messages and sends one signal each (``Collector.can_fast_delete``). The other
    participant's badge is corrected that way.
    """
    bump_unread_on_commit(instance.receiver_id)


@receiver(post_delete, sender=User, dispatch_uid="messaging-user-deleted")
def user_deleted(sender, instance: User, **kwargs) -> None:
    """A deleted account: clean up only what the database's CASCADE can't reach.

    By the time ``post_delete`` is sent for the user, the same DELETE has already removed —
    because the foreign keys say so (``on_delete=CASCADE``), in its transaction — every
    message the user sent or received, through them those messages' histories and
    notifications, and the user's own notifications. Deleting them here as well would be a
    second, redundant query for rows that are gone: for rows with a foreign key to the user,
    the foreign key is the rule, and a receiver is the wrong tool.

    What CASCADE can't reach is data that names the user without a foreign key: here, the
    unread badge's version counter in Redis (``messaging/cache.py``), which has no expiry and
    would stay forever. It is deleted once the deletion commits.
    """
    forget_user_on_commit(instance.pk)
