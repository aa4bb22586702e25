"""GraphQL types for people: the public face of a user (strawberry-graphql-django).

Only what the REST API shows of other people — an id and a username. Emails, roles and
password hashes stay out of the schema entirely: a field that isn't declared can't be
queried, however the query is written.
"""

import strawberry_django
from strawberry import auto

from accounts.models import User


@strawberry_django.type(User, name="User")
class UserType:
    """A host or a guest, as other people see them."""

    id: auto
    username: auto
