"""Passwords: at least 12 characters, not a common one, not like the user's names; stored
with Argon2 (the tests use a fast hasher; these read the real settings)."""

from __future__ import annotations

import pytest
from django.conf import settings as real_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from yiri.accounts.models import User


def test_argon2_is_the_hasher_of_new_passwords():
    from yiri import settings as yiri_settings

    assert yiri_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.parametrize("password", ["court-1234", "password12345", "aminata.zoungrana"])
def test_short_common_or_similar_passwords_are_refused(db, password):
    assert real_settings.AUTH_PASSWORD_VALIDATORS
    user = User(username="aminata.zoungrana", first_name="Aminata", last_name="Zoungrana")
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_long_uncommon_password_is_accepted(db):
    user = User(username="aminata.zoungrana", first_name="Aminata", last_name="Zoungrana")
    validate_password("lune-baobab-taxi-9371", user)
