"""The small public helpers notebooks use: child environments, JWT headers, SQL capture."""

from __future__ import annotations

import pytest
from rest_framework_simplejwt.tokens import AccessToken

import nexus
from nexus.managed import child_environment
from nexus.paths import SETTINGS_MODULE


def test_a_child_environment_drops_the_notebook_switch_and_names_the_settings(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.setenv("NEXUS_HELPER_PROBE", "inherited")
    env = child_environment({"EXTRA": "1"})
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in env
    assert env["DJANGO_SETTINGS_MODULE"] == SETTINGS_MODULE
    assert env["NEXUS_HELPER_PROBE"] == "inherited" and env["EXTRA"] == "1"


def test_a_child_environment_keeps_a_chosen_settings_module_and_env_wins(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.test")
    assert child_environment()["DJANGO_SETTINGS_MODULE"] == "config.settings.test"
    forced = child_environment(settings="config.settings.production")
    assert forced["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert child_environment({"DJANGO_SETTINGS_MODULE": "x"}, settings="y")[
        "DJANGO_SETTINGS_MODULE"] == "x"


@pytest.mark.django_db
def test_auth_headers_carry_an_access_token_for_the_user_or_username(django_user_model):
    user = django_user_model.objects.create_user(username="helper-jwt", password="unused-pw-1")
    for who in (user, "helper-jwt"):
        scheme, token = nexus.auth_headers(who)["Authorization"].split(" ")
        assert scheme == "Bearer"
        assert AccessToken(token)["user_id"] == str(user.pk)


@pytest.mark.django_db
def test_captured_sql_lists_the_statements_of_the_block(django_user_model):
    with nexus.captured_sql() as sql:
        django_user_model.objects.filter(username="nobody").exists()
        django_user_model.objects.count()
    assert len(sql) == 2 and all("accounts_user" in statement for statement in sql)
    value, counted = nexus.count_queries(lambda: django_user_model.objects.count())
    assert value == django_user_model.objects.count() and len(counted) == 1
