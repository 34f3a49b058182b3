"""API tokens: only a hash is kept, each sign-in gets a token of its own, each expires.

The attack this answers: tokens were stored in plaintext (a copy of the database opened
every account) and a second login returned the same token."""

from __future__ import annotations

import hashlib

from django.db import connection
from rest_framework.test import APIClient

from yiri.accounts.models import ApiToken, User

from ..conftest import PASSWORD, enrolled_device, totp_code

URL = "/api/v1/auth/token/"


def sign_in(username="worker"):
    code = totp_code(enrolled_device(User.objects.get(username=username)))
    r = APIClient().post(URL, {"username": username, "password": PASSWORD, "otp": code},
                         format="json")
    assert r.status_code == 200
    return r.json()["token"]


def with_token(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_database_holds_no_token_only_its_hash(cast):
    key = sign_in()
    stored = ApiToken.objects.get(user=cast.worker)
    assert stored.digest == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            assert not any(key in str(v) for row in cursor.fetchall() for v in row), table


def test_a_second_sign_in_gets_a_new_token_and_both_work(cast):
    first, second = sign_in(), sign_in()
    assert first != second
    assert with_token(first).get("/api/v1/cases/").status_code == 200
    assert with_token(second).get("/api/v1/cases/").status_code == 200


def test_signing_out_ends_only_the_token_used(cast):
    phone, laptop = sign_in(), sign_in()
    assert with_token(phone).delete(URL).status_code == 204
    assert with_token(phone).get("/api/v1/cases/").status_code == 401
    assert with_token(laptop).get("/api/v1/cases/").status_code == 200


def test_a_token_of_a_disabled_account_opens_nothing(cast):
    key = sign_in()
    cast.worker.is_active = False
    cast.worker.save()
    assert with_token(key).get("/api/v1/cases/").status_code == 401
