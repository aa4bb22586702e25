"""Lesson 13 — the capstone: wishlists with price-drop emails.

Each check runs the learner's code against the notebook's own database. 13.1 and 13.2 work inside
a transaction that is rolled back, so a check leaves no rows behind; 13.3 needs committed rows (a
real Celery worker reads them from its own connection, as in lesson 06's checks) and deletes what
it made. Mail goes over SMTP to the course's sink and is read back from it.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_13.py):

13.1 save_to_wishlist — a plain insert (the second save breaks the unique constraint);
     update_or_create (the first price moves); inactive listings saved; the item written before
     the inactive listing is refused (a row left behind); created always True; a ValueError
     instead of Django's ValidationError.
13.2 guests_to_notify — notified_price ignored; an equal price treated as a drop; a list built in
     Python; inactive listings; a price rise taken for a drop; prices compared in Python and the
     ids handed to a queryset (a query while building the answer).
13.3 notify_price_drop — notified_price never recorded (replays send again); recorded but not
     used; a missing item failing; notified_price recorded when the email failed (SMTP down),
     or the failure swallowed; no row lock, so two deliveries at once both send (run in two
     threads against a slowed-down SMTP send: bounded, and deterministic at that pace).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from nexus.exercises.checks.support import (
    as_function,
    at_once,
    describe,
    mail_to,
    new_guest,
    purge_queue,
    queries_during,
    racing_inserts,
    rolled_back,
    short,
    smtp_down,
    task_for_check,
    wait,
    worker,
)
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("13", "Capstone: Project Nexus")
LOOK_MODEL = 'lesson 13, "2. Services and selectors"'
LOOK_WHO = 'lesson 13, "Who hears about a price drop?"'
LOOK_TASK = 'lesson 13, "5. The price-drop email, from a real worker"'


def _listing(price: str, *, active: bool = True):
    """A new listing of a seeded host, at ``price`` ETB a night."""
    from accounts.models import User
    from listings.services import listing_create

    host = User.objects.filter(listings__isnull=False).order_by("id").first()
    return listing_create(host=host, title=f"Check stay {uuid.uuid4().hex[:6]}",
                          city="gondar", address="Piassa, Gondar",
                          price_per_night=Decimal(price), max_guests=2, is_active=active)


# --- 13.1 -----------------------------------------------------------------------------------------
@exercise("13.1", "save_to_wishlist: an idempotent add service")
def check_save_to_wishlist(save_to_wishlist) -> None:
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError

    from wishlists.models import WishlistItem

    with rolled_back():
        guest, listing = new_guest("save"), _listing("1500.00")
        result = save_to_wishlist(guest, listing)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise Fail(expected="(item, created), like get_or_create returns",
                       got=f"{type(result).__name__}: {result!r}"[:200],
                       hint="return the item and whether it was added now.", look=LOOK_MODEL)
        item, created = result
        if not isinstance(item, WishlistItem) or item.pk is None or created is not True:
            raise Fail(expected="a saved WishlistItem and created=True the first time",
                       got=f"{item!r}, created={created!r}"[:200],
                       hint="the first save inserts a row and says so.", look=LOOK_MODEL)
        if item.saved_price != Decimal("1500.00"):
            raise Fail(expected="saved_price 1500.00, the listing's price when saved",
                       got=f"saved_price {item.saved_price}",
                       hint="copy the price from the listing (price_per_night), never from "
                            "anywhere else.", look=LOOK_MODEL)

        listing.price_per_night = Decimal("2000.00")  # the host raised it meanwhile
        try:
            again, created_again = save_to_wishlist(guest, listing)
        except IntegrityError:
            raise Fail(expected="saving the same listing again returns the existing item",
                       got="IntegrityError from the unique constraint (user, listing)",
                       hint="a listing that is already saved must not be inserted again: look "
                            "it up first — get_or_create does both, with defaults= for the fields "
                            "that are not part of the lookup.", look=LOOK_MODEL) from None
        rows = list(WishlistItem.objects.filter(user=guest))
        if len(rows) != 1 or rows[0].saved_price != Decimal("1500.00"):
            raise Fail(expected="one row, still saved at 1500.00",
                       got=", ".join(f"saved at {row.saved_price}" for row in rows),
                       hint="saving again must not touch saved_price: it is the price the guest "
                            "first saw, the reference for every later drop — put it in "
                            "defaults=, don't update it.", look=LOOK_MODEL)
        if again.pk != item.pk or created_again is not False:
            raise Fail(expected="the same item and created=False the second time",
                       got=f"created={created_again!r}",
                       hint="return True only when the row was inserted now.", look=LOOK_MODEL)

        hidden = _listing("1500.00", active=False)
        try:
            save_to_wishlist(guest, hidden)
        except ValidationError:
            pass
        except Exception as exc:  # the wrong kind of refusal is this case's answer
            raise Fail(expected="ValidationError for an inactive listing",
                       got=describe(exc),
                       hint="refuse with django.core.exceptions.ValidationError: the API turns "
                            "it into a 400 with the message, any other exception into a 500.",
                       look=LOOK_MODEL) from None
        else:
            raise Fail(expected="ValidationError for an inactive listing",
                       got="it was saved",
                       hint="an inactive listing can't be booked, so it can't be saved either: "
                            "check listing.is_active and raise ValidationError.",
                       look=LOOK_MODEL)
        if WishlistItem.objects.filter(user=guest, listing=hidden).exists():
            raise Fail(expected="no wishlist row for the refused listing",
                       got="a row was written, then the ValidationError raised",
                       hint="the item was saved before the listing was refused: a caller that "
                            "catches the error still has the row. Check first, write after.",
                       look=LOOK_MODEL)
    _two_saves_at_once(save_to_wishlist)


def _two_saves_at_once(save_to_wishlist) -> None:
    """The same guest taps the heart on two devices at once: both calls must answer."""
    from django.db import IntegrityError

    from wishlists.models import WishlistItem

    # Committed (other connections must see them), so removed at the end.
    guest, listing = new_guest("race"), _listing("1500.00")
    try:
        outcomes = racing_inserts(WishlistItem._meta.db_table,
                                  [lambda: save_to_wishlist(guest, listing)] * 2)
        raised = [value for kind, value in outcomes if kind == "raised"]
        if any(isinstance(exc, IntegrityError) for exc in raised):
            raise Fail(expected="two saves at the same moment both answer: one created=True, "
                                "one created=False",
                       got="one of them raised IntegrityError",
                       hint="both calls looked, found nothing, and inserted; the unique "
                            "constraint refused the second. Looking first is not enough when "
                            "two requests race: get_or_create catches that IntegrityError and "
                            "fetches the row the other request inserted.", look=LOOK_MODEL)
        if raised or any(kind == "hung" for kind, _ in outcomes):
            raise Fail(expected="two saves at the same moment both answer",
                       got=", ".join(f"{kind}: {short(value, 120)}" for kind, value in outcomes),
                       hint="a save must neither fail nor wait forever when another request "
                            "saves the same listing at the same moment.", look=LOOK_MODEL)
        flags = sorted(bool(value[1]) for _, value in outcomes)
        rows = WishlistItem.objects.filter(user=guest, listing=listing).count()
        if flags != [False, True] or rows != 1:
            raise Fail(expected="one row; created=True for one call, False for the other",
                       got=f"{rows} row(s); created={flags}",
                       hint="return True only when the row was inserted now.", look=LOOK_MODEL)
    finally:
        listing.delete()
        guest.delete()


# --- 13.2 -----------------------------------------------------------------------------------------
@exercise("13.2", "guests_to_notify: who hears about a price drop")
def check_guests_to_notify(guests_to_notify) -> None:
    from django.db import connection
    from django.db.models import QuerySet
    from django.test.utils import CaptureQueriesContext

    from listings.models import Listing
    from wishlists.models import WishlistItem

    with rolled_back():
        listing, elsewhere = _listing("1000.00"), _listing("1000.00")
        cases = {  # name: (saved_price, notified_price, should be told)
            "saved-above": ("1200.00", None, True),
            "saved-same": ("1000.00", None, False),
            "saved-below": ("900.00", None, False),
            "told-same": ("1500.00", "1000.00", False),
            "told-above": ("1500.00", "1100.00", True),
        }
        items = {}
        for name, (saved, notified, _) in cases.items():
            items[name] = WishlistItem.objects.create(
                user=new_guest(name), listing=listing, saved_price=Decimal(saved),
                notified_price=Decimal(notified) if notified else None)
        WishlistItem.objects.create(user=new_guest("other"), listing=elsewhere,
                                    saved_price=Decimal("5000.00"))

        result, building = queries_during(lambda: guests_to_notify(listing))
        if not isinstance(result, QuerySet):
            raise Fail(expected="a QuerySet of WishlistItem",
                       got=f"a {type(result).__name__}",
                       hint="return a queryset, not a list built in Python: the caller takes "
                            "values_list('pk') from it, and the database does the comparing in "
                            "one query.", look=LOOK_WHO)
        if building:
            raise Fail(expected="no query while the queryset is built: the caller runs one",
                       got=f"{len(building)} queries inside guests_to_notify",
                       hint="your function queried the database while building its answer "
                            "(the prices compared in Python?): compare them in the queryset "
                            "itself, so the only query is the one the caller runs.",
                       look=LOOK_WHO)
        with CaptureQueriesContext(connection) as captured:
            found = {item.pk for item in result}
        wanted = {items[name].pk for name, (*_, told) in cases.items() if told}
        names = {pk: name for name, item in items.items() for pk in [item.pk]}
        extra = sorted(names.get(pk, "another listing's guest") for pk in found - wanted)
        missing = sorted(names[pk] for pk in wanted - found)
        if extra or missing:
            if "another listing's guest" in extra:
                hint = "filter on the listing: only the guests who saved this listing."
            elif "saved-same" in extra:
                hint = ("a price equal to the one the guest knows is no news: the reference "
                        "must be strictly greater than the listing's price (__gt).")
            elif "told-same" in extra:
                hint = ("that guest was already told about this price: compare with "
                        "notified_price when there is one, else saved_price "
                        "(Coalesce('notified_price', 'saved_price')).")
            elif "saved-below" in extra:
                hint = ("a guest whose saved price is below the listing's saw the price go up, "
                        "not down: the reference must be greater than the current price.")
            elif "told-above" in missing:
                hint = ("a guest told about 1100 still wants to hear about 1000: the reference "
                        "is notified_price when there is one, else saved_price.")
            else:
                hint = ("compare each item's reference price with the listing's current "
                        "price in SQL: F('listing__price_per_night').")
            raise Fail(expected=f"the guests {sorted(names[pk] for pk in wanted)}",
                       got=f"extra {extra}, missing {missing}", hint=hint, look=LOOK_WHO)
        if len(captured) != 1:
            raise Fail(expected="one SQL query", got=f"{len(captured)} queries",
                       hint="let the database compare the prices: one filtered queryset, no "
                            "per-item lookups.", look=LOOK_WHO)

        Listing.objects.filter(pk=listing.pk).update(is_active=False)
        listing.refresh_from_db()
        if list(guests_to_notify(listing)):
            raise Fail(expected="nobody while the listing is inactive",
                       got=f"{len(list(guests_to_notify(listing)))} guests",
                       hint="an inactive listing can't be booked: filter on "
                            "listing__is_active=True.", look=LOOK_WHO)


# --- 13.3 -----------------------------------------------------------------------------------------
@exercise("13.3", "notify_price_drop: an idempotent notification task")
def check_notify_price_drop(notify_price_drop) -> None:
    from celery.exceptions import TimeoutError as ResultTimeout

    from listings.models import Listing
    from wishlists.models import WishlistItem

    function = as_function(notify_price_drop)
    queue = f"check-13-3-{uuid.uuid4().hex[:8]}"
    task = task_for_check(notify_price_drop, f"exercises.{queue}")
    guest, listing = new_guest("drop"), _listing("1500.00")
    item = WishlistItem.objects.create(user=guest, listing=listing, saved_price=Decimal("1500.00"))

    def run(item_id: int):
        result = task.apply_async((item_id,), queue=queue)
        try:
            result.get(timeout=15, propagate=False)
        except ResultTimeout:
            raise Fail(expected="the task finishes within seconds", got="no result after 15 s",
                       hint="does your task wait for something? lock, decide, send, record.",
                       look=LOOK_TASK) from None
        if result.failed():
            if isinstance(result.result, NotImplementedError):
                raise NotImplementedError()  # the stub, run by the worker
            if item_id != item.pk:
                raise Fail(expected="False for an item that doesn't exist",
                           got=f"the worker raised {type(result.result).__name__}",
                           hint="a missing item is a guest who removed the listing after the "
                                "drop was queued: return False instead of failing (.first(), "
                                "not .get()).", look=LOOK_TASK)
            raise Fail(expected="the task runs with the item's id",
                       got=f"the worker raised {type(result.result).__name__}: "
                           f"{result.result}"[:200],
                       hint="fetch the item by id inside transaction.atomic() "
                            "(select_for_update needs a transaction), with its listing and user.",
                       look=LOOK_TASK)
        return result.result

    def reprice(price: str) -> None:
        Listing.objects.filter(pk=listing.pk).update(price_per_night=Decimal(price))

    def emails() -> int:
        return mail_to(guest.email)

    try:
        with worker([queue]):
            reprice("1400.00")
            _mail_server_down(task, queue, item, emails)
            sent = run(item.pk)
            if not wait(lambda: emails() == 1, 5) or sent is not True:
                raise Fail(expected="a drop from 1500 to 1400: one email, and True",
                           got=f"{emails()} emails, returned {sent!r}",
                           hint="when the listing's price is below the reference, send "
                                "price_drop_message(item=...) and return True.", look=LOOK_TASK)
            replays = [run(item.pk) for _ in range(2)]
            if emails() != 1:
                item.refresh_from_db()
                hint = ("record what you told the guest — notified_price = the price, in the "
                        "same transaction as the send — so a redelivered message finds it."
                        if item.notified_price is None else
                        "notified_price is recorded but not used: compare the price with "
                        "notified_price when there is one (item.reference_price), not only "
                        "saved_price.")
                raise Fail(expected="still one email after the same message is delivered twice "
                                    "more", got=f"{emails()} emails", hint=hint, look=LOOK_TASK)
            if replays != [False, False]:
                raise Fail(expected="False for a replayed drop (nothing sent)",
                           got=f"{replays}", hint="return False when nothing was sent.",
                           look=LOOK_TASK)
            reprice("1300.00")
            if run(item.pk) is not True or not wait(lambda: emails() == 2, 5):
                raise Fail(expected="a second, deeper drop (1300): a second email",
                           got=f"{emails()} emails",
                           hint="the reference is the last price told, so 1300 < 1400 is news "
                                "again.", look=LOOK_TASK)
            reprice("1200.00")
            _two_deliveries_at_once(function, item, emails)
            reprice("1600.00")
            if run(item.pk) is not False or emails() != 3:
                raise Fail(expected="no email when the price went back up before the task ran",
                           got=f"{emails()} emails",
                           hint="decide on the price stored now, not on what the price was "
                                "when the message was queued.", look=LOOK_TASK)
            missing = run(item.pk + 10_000_000)
            if missing is not False:
                raise Fail(expected="False for an item that doesn't exist",
                           got=repr(missing), hint="return False for a missing item.",
                           look=LOOK_TASK)
    finally:
        purge_queue(queue)
        Listing.objects.filter(pk=listing.pk).delete()  # cascades to the item
        guest.delete()


def _mail_server_down(task, queue: str, item, emails) -> None:
    """A drop while SMTP is down: the task must fail, and record nothing it didn't send."""
    with smtp_down():
        result = task.apply_async((item.pk,), queue=queue)
        result.get(timeout=15, propagate=False)
    if isinstance(result.result, NotImplementedError):
        raise NotImplementedError()  # the stub, run by the worker
    item.refresh_from_db()
    if not result.failed():
        raise Fail(expected="the task fails while the mail server is down (so it is retried)",
                   got=f"it returned {result.result!r}, {emails()} emails",
                   hint="the email failed and your task carried on as if it had gone: let the "
                        "send's error propagate, so the message is retried and nothing is "
                        "recorded.", look=LOOK_TASK)
    if item.notified_price is not None:
        raise Fail(expected="nothing recorded while the mail server is down",
                   got=f"notified_price = {item.notified_price}, and no email sent",
                   hint="notified_price was recorded though the email failed: the guest will "
                        "never hear of this drop. Record it in the same transaction as the "
                        "send, so a failed send rolls the record back.", look=LOOK_TASK)


def _two_deliveries_at_once(function, item, emails) -> None:
    """The same message delivered twice at the same moment: one email, thanks to the row lock.

    Each delivery runs the function in a thread of its own (its own database connection); the
    SMTP send is slowed to 0.3 s, so the second delivery reads the item while the first is still
    sending — without a lock both see "not told yet" and both send.
    """
    from django.core.mail.backends.smtp import EmailBackend

    before = emails()
    original = EmailBackend.send_messages

    def slow(self, messages):
        import time

        time.sleep(0.3)
        return original(self, messages)

    EmailBackend.send_messages = slow
    try:
        outcomes = at_once([lambda: function(item.pk), lambda: function(item.pk)])
    finally:
        EmailBackend.send_messages = original
    for how, value in outcomes:
        if how == "raised" and isinstance(value, NotImplementedError):
            raise value
        if how != "returned":
            raise Fail(expected="two deliveries at once: both finish",
                       got=f"one {how}" + (f": {describe(value)}" if how == "raised" else ""),
                       hint="run it twice at the same time yourself: read the error.",
                       look=LOOK_TASK)
    wait(lambda: emails() >= before + 1, 5)
    if emails() - before != 1 or sorted(value for _, value in outcomes) != [False, True]:
        raise Fail(expected="two simultaneous deliveries of one drop: one email, True and False",
                   got=f"{emails() - before} emails, returned {[v for _, v in outcomes]}",
                   hint="both deliveries read the item before either recorded the send, and "
                        "both sent: lock the item's row (select_for_update, in the "
                        "transaction) so the second waits and then sees what the first "
                        "recorded.", look=LOOK_TASK)
