"""How the project's Celery tasks are delivered: policy shared by every app, so it lives here.

An app's ``tasks.py`` says *what* a task does (fetch by id, call a service); the options below
say *how* a worker runs it when things go wrong. Bookings, payments, wishlists and messaging each
send one email per task, so they share :data:`EMAIL_TASK_OPTIONS` instead of importing it from
each other.
"""

import smtplib

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

# Worth another try later: the mail server is down, dropped us, or is too slow. smtplib's
# errors include permanent ones (a refused address), but they are rare and the retries end.
TRANSIENT_EMAIL_ERRORS = (
    ConnectionError,
    TimeoutError,
    smtplib.SMTPException,
    SoftTimeLimitExceeded,
)


#: How every task that sends one email is delivered (bookings, payments, wishlists, messaging).
EMAIL_TASK_OPTIONS = {
    # Acknowledge after running: if the worker dies mid-send, the broker hands the message
    # to another worker. Safe only because each email service is idempotent (it records the
    # send: confirmation_sent_at, receipt_sent_at, notified_price, emailed_at).
    "acks_late": True,
    # A mail server that is down is a reason to wait, not to give up: retry after 1, 2, 4,
    # 8 … seconds (capped at 10 minutes), at most 8 times (about 4 minutes in all).
    "autoretry_for": TRANSIENT_EMAIL_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": settings.EMAIL_TASK_RETRY_JITTER,
    "max_retries": 8,
    # An SMTP conversation takes milliseconds. At 30 s the task is interrupted (and
    # retried); at 45 s the worker kills the process running it.
    "soft_time_limit": 30,
    "time_limit": 45,
}
