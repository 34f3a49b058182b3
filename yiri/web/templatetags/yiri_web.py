"""Small template helpers for the record pages."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
def can(user, action: str) -> bool:
    """``user|can:"view"`` or ``user|can:"create:incident"`` (record type after a colon)."""
    action, _sep, record_type = action.partition(":")
    return bool(getattr(user, "is_authenticated", False) and user.can(action, record_type or "case"))


@register.filter
def number(value) -> str:
    """A number as a French reader writes it: "5 000", "12,5" (the active language's format).

    Applied where a number is read, not globally (USE_THOUSAND_SEPARATOR): a number put in
    an attribute, a URL or an input's value must stay "5000".
    """
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return formats.number_format(value, use_l10n=True, force_grouping=True)


@register.filter
def years(age) -> str:
    """An age in years: "moins d'un an", "1 an", "12 ans"."""
    if age is None or age == "":
        return ""
    if age == 0:
        return _("moins d'un an")
    return ngettext("%(n)s an", "%(n)s ans", age) % {"n": number(age)}

