"""The user acting in the current request, for audit rows written by model signals."""

from __future__ import annotations

import contextvars

_actor: contextvars.ContextVar = contextvars.ContextVar("yiri_actor", default=None)
_request: contextvars.ContextVar = contextvars.ContextVar("yiri_request", default=None)


def current_actor():
    actor = _actor.get()
    if actor is None:
        # API requests authenticate in the view (token), after this middleware has run;
        # DRF then sets the user on the request itself.
        user = getattr(_request.get(), "user", None)
        actor = user if user is not None and user.is_authenticated else None
    return actor


def current_request():
    return _request.get()


class ActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from yiri.cases.access import remember_scopes

        user = getattr(request, "user", None)
        remember_scopes(request)
        t1 = _actor.set(user if user is not None and user.is_authenticated else None)
        t2 = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _actor.reset(t1)
            _request.reset(t2)
