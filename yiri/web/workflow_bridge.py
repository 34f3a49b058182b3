"""The workflow services as the web pages use them.

``yiri.workflow`` is built alongside the web pages; until it is installed the home page
and the case page show their workflow parts empty instead of failing.
"""

from __future__ import annotations

import importlib
from typing import Any


def services():
    try:
        return importlib.import_module("yiri.workflow.services")
    except ImportError:
        return None


def _list(name: str, user, *args: Any) -> list:
    mod = services()
    fn = getattr(mod, name, None) if mod else None
    return list(fn(user, *args)) if fn else []


def tasks_for(user) -> list:
    return _list("tasks_for", user)[:20]


def approvals_waiting_for(user) -> list:
    return _list("approvals_waiting_for", user)[:20]


def referrals_waiting_for(user) -> list:
    return _list("referrals_waiting_for", user)[:20]


def unread_notifications(user) -> list:
    return _list("unread_notifications", user)[:20]
