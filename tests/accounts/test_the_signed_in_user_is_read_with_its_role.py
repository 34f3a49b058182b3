"""Each request reads the signed-in user and its role in one query (the role decides
every right), still afresh at each request; a disabled user is no one."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiri.accounts.backends import LockoutBackend


def test_the_role_comes_with_the_user(cast):
    with CaptureQueriesContext(connection) as seen:
        user = LockoutBackend().get_user(cast.worker.pk)
        assert user.role.code == "case_worker" and user.can("edit", "case")
    assert len(seen) == 1


def test_a_disabled_user_is_no_one(cast):
    cast.worker.is_active = False
    cast.worker.save()
    assert LockoutBackend().get_user(cast.worker.pk) is None
    assert LockoutBackend().get_user(999_999_999) is None
