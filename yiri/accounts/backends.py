"""Password login with growing waits after repeated failures (``accounts/throttle.py``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from . import throttle, two_factor


class LockoutBackend(ModelBackend):
    """Django's password check, with every attempt reserved first (``throttle.begin``): an
    attempt made while a wait runs is refused without examining the password, but with the
    same work (one password hash) and, in the views, the same message as a wrong one."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = User._default_manager.filter(username=username).first()
        attempt = throttle.begin(request, user)
        if not attempt.allowed:
            User().set_password(password)  # the hash an examined password costs: no timing tells
            return None
        authenticated = super().authenticate(request, username=username, password=password,
                                             **kwargs)
        # An account with a second factor is not signed in yet: earlier wrong codes stay
        # counted until its code is right (two_factor.verify).
        throttle.finish(attempt, authenticated is not None, request,
                        partial=authenticated is not None and two_factor.required_for(authenticated))
        return authenticated

    def get_user(self, user_id):
        """The signed-in user of a request, read with its role in the same query (every
        request asks the role what the user may do; it is read afresh at each request, so
        a lowered role takes effect at the next one)."""
        User = get_user_model()
        try:
            user = User._default_manager.select_related("role").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
