"""``user|network_member``: whether the menu shows the directory (``directory.access``)."""

from __future__ import annotations

from django import template

from yiri.directory import access

register = template.Library()


@register.filter
def network_member(user) -> bool:
    cached = getattr(user, "_network_member", None)
    if cached is None:
        cached = access.is_member(user)
        if getattr(user, "is_authenticated", False):
            user._network_member = cached
    return cached
