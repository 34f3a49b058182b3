"""The client's address behind the reverse proxy that ends TLS.

Behind nginx or Caddy every request reaches the WSGI server from the proxy (127.0.0.1),
so ``REMOTE_ADDR`` would name the proxy: sign-in throttling per address would then hold
every user at once, and the audit log would name no client. With ``YIRI_TLS_PROXY=1``,
a request that comes from one of the trusted proxy addresses (``YIRI_PROXY_ADDRESSES``,
default ``127.0.0.1,::1``) takes as ``REMOTE_ADDR`` the last address of its
``X-Forwarded-For`` — the one the proxy itself appended (nginx's
``$proxy_add_x_forwarded_for``, Caddy's default); the addresses before it were written by
the client and are not trusted. A request from anywhere else keeps its own address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable


def forwarded_client(environ: dict, trusted: frozenset[str]) -> str | None:
    """The client address the trusted proxy saw, or ``None`` to keep ``REMOTE_ADDR``."""
    if environ.get("REMOTE_ADDR") not in trusted:
        return None
    hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if not hops:
        return None
    try:
        return str(ipaddress.ip_address(hops[-1]))
    except ValueError:
        return None


class ProxiedClientAddress:
    """WSGI wrapper: ``REMOTE_ADDR`` set to the client's address (see the module)."""

    def __init__(self, app: Callable, trusted: Iterable[str]) -> None:
        self.app = app
        self.trusted = frozenset(a.strip() for a in trusted if a.strip())

    def __call__(self, environ, start_response):
        client = forwarded_client(environ, self.trusted)
        if client:
            environ["REMOTE_ADDR"] = client
        return self.app(environ, start_response)
