"""Small template helpers for the record pages."""

from __future__ import annotations

from django import template
from django.urls import reverse

from ..pages import SLUG_OF

register = template.Library()


@register.simple_tag
def record_url(record, view: str = "record", *args) -> str:
    """URL of a record page (``view``: record, history, section, row)."""
    slug = SLUG_OF[record.RECORD_TYPE]
    return reverse(f"{slug}_{view}", args=[record.pk, *args])


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def verbose_plural(record) -> str:
    return str(record._meta.verbose_name_plural).capitalize()


@register.filter
def verbose_name_of(record) -> str:
    return str(record._meta.verbose_name).capitalize()


@register.filter
def can(user, action: str) -> bool:
    """``user|can:"view"`` or ``user|can:"create:incident"`` (record type after a colon)."""
    action, _sep, record_type = action.partition(":")
    return bool(getattr(user, "is_authenticated", False) and user.can(action, record_type or "case"))
