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
