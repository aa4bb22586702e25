"""The project's user model.

A custom user from the very first migration, as Django's docs recommend: adding one
later means rewriting every foreign key to ``auth.User``.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


# Module level, not nested in User, so that Meta.constraints below can refer to it
# (a nested class body cannot see names defined in the enclosing class body).
class Role(models.TextChoices):
    GUEST = "guest", "Guest"
    HOST = "host", "Host"
    ADMIN = "admin", "Admin"


class User(AbstractUser):
    """A person using Nexus Stays: a guest who books, a host who lists, or an admin."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.GUEST)
    # Unique and required: booking confirmations and receipts are sent here, and an
    # address must identify one account.
    email = models.EmailField("email address", unique=True)

    class Meta:
        constraints = [
            # choices= is only checked by forms and full_clean(); the database checks
            # every write, including bulk_create and raw SQL.
            models.CheckConstraint(
                condition=Q(role__in=Role.values),
                name="user_role_valid",
                violation_error_message="Unknown role.",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    # Properties, not fields: the role column is the single source of truth.
    @property
    def is_host(self) -> bool:
        """May publish listings."""
        return self.role == Role.HOST

    @property
    def is_admin(self) -> bool:
        """May see and change everything in the API: role admin, or Django staff."""
        return self.role == Role.ADMIN or self.is_staff
