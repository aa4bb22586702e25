"""How the tests authenticate: a real JWT in the ``Authorization`` header."""

from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User


def bearer(user: User) -> str:
    """An ``Authorization`` header value with a fresh JWT access token for ``user``."""
    return f"Bearer {AccessToken.for_user(user)}"
