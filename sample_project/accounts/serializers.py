"""How users and credentials look in the API."""

from rest_framework import serializers

from accounts.models import User


class MeSerializer(serializers.ModelSerializer):
    """The logged-in user as they see themselves: enough for a client to pick its UI."""

    class Meta:
        model = User
        fields = ["id", "username", "role"]
        read_only_fields = fields


class TokenSerializer(serializers.Serializer):
    """The answer of ``POST /api/auth/token/`` (for the API docs)."""

    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


class PasswordConfirmSerializer(serializers.Serializer):
    """Your password again, before something that can't be undone."""

    # Passwords are compared as typed: no stripping of spaces a user may have chosen.
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128,
                                     style={"input_type": "password"})
