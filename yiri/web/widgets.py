"""Form widgets drawn in Python where Django's template-drawn ones cost too much.

Django draws a ``<select>`` through a template, and each of its ``<option>`` through one
more: on the case list, whose filter form has nine of them, that was a fifth of the CPU
of the whole page (profiled with cProfile on the 2,000-case demo). ``QuickSelect`` writes
the same HTML directly; ``tests/web/test_quick_select_draws_what_select_draws.py`` checks
that a browser reads the same control from both.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class QuickSelect(forms.Select):
    """``forms.Select`` (single choice, option groups allowed) written without templates."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = self.format_value(value)
        state = {"taken": False}  # one option selected, the first that matches (as Django)

        def option(v, label) -> str:
            v = "" if v is None else str(v)
            selected = not state["taken"] and v in chosen
            state["taken"] = state["taken"] or selected
            return format_html('<option value="{}"{}>{}</option>', v,
                               " selected" if selected else "", label)

        parts = [format_html("<select{}>", flatatt(final))]
        for v, label in self.choices:
            if isinstance(label, (list, tuple)):  # a group; one without a name has no tag
                parts.append(format_html('<optgroup label="{}">', v) if v else "")
                parts.extend(option(sv, sl) for sv, sl in label)
                parts.append(format_html("</{}>", "optgroup") if v else "")
            else:
                parts.append(option(v, label))
        parts.append(format_html("</{}>", "select"))
        # Every part is a SafeString from format_html (or a constant tag): joined as such.
        return format_html_join("", "{}", ((part,) for part in parts))
