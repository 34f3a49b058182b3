"""API clients for the cast: each signs in with its own token."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from yiri.accounts import tokens


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(user)}")
    return client


@pytest.fixture
def api():
    """``api(user)``: a client that acts as ``user``."""
    return client_for
