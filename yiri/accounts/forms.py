"""The role form of the admin: rights as tables of checkboxes and selects, never raw JSON.

Each table is one form field whose widget reads every submitted box of its name (known or
not), so a forged or stale action or section reaches ``accounts/rights.py`` and is
refused with a French message rather than silently dropped.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Action, FormRight, RecordType, Role, SystemAction
from .rights import (
    DEFAULT_SECTION,
    SYSTEM,
    clean_field_rights,
    clean_form_rights,
    clean_permissions,
    main_sections,
    restrictable_fields,
)

_SEP = "__"


def _box(name: str, checked: bool, label: str) -> str:
    return format_html(
        '<input type="checkbox" name="{}" id="{}" value="1"{} aria-label="{}">',
        name, name, " checked" if checked else "", label,
    )


class _TableWidget(forms.Widget):
    use_fieldset = True  # many controls: the admin names them with a legend, not a label

    def id_for_label(self, id_):
        return ""

    def value_omitted_from_data(self, data, files, name) -> bool:
        return False  # no box ticked is a real answer: no right at all


class PermissionTableWidget(_TableWidget):
    """Actions × record types as checkboxes, then the administration actions."""

    def value_from_datadict(self, data, files, name) -> dict[str, list[str]]:
        prefix = name + _SEP
        chosen: dict[str, list[str]] = {}
        for key in data:
            if key.startswith(prefix) and data.get(key):
                record_type, _sep, action = key[len(prefix):].partition(_SEP)
                chosen.setdefault(record_type, []).append(action)
        return chosen

    def render(self, name, value, attrs=None, renderer=None) -> str:
        value = value if isinstance(value, dict) else {}
        types = list(RecordType)
        header = format_html_join("", '<th scope="col">{}</th>', ((t.label,) for t in types))
        rows = format_html_join("", '<tr><th scope="row">{}</th>{}</tr>', (
            (action.label, format_html_join("", "<td>{}</td>", (
                (_box(f"{name}{_SEP}{t.value}{_SEP}{action.value}", action.value in value.get(t.value, []),
                      f"{action.label} — {t.label}"),) for t in types)))
            for action in Action
        ))
        system = format_html_join("", "<li>{} <label for=\"{}\">{}</label></li>", (
            (_box(f"{name}{_SEP}{SYSTEM}{_SEP}{s.value}", s.value in value.get(SYSTEM, []), s.label),
             f"{name}{_SEP}{SYSTEM}{_SEP}{s.value}", s.label) for s in SystemAction
        ))
        return format_html(
            '<table class="yiri-rights"><caption>{}</caption><thead><tr><td></td>{}</tr></thead>'
            "<tbody>{}</tbody></table>"
            '<fieldset class="yiri-rights"><legend>{}</legend><ul>{}</ul></fieldset>',
            _("Actions permises par type de fiche"), header, rows, _("Administration"), system,
        )


class FormRightsWidget(_TableWidget):
    """Per record type, a select per form section: as the default, none, read or read-write."""

    def value_from_datadict(self, data, files, name) -> dict[str, dict[str, str]]:
        prefix = name + _SEP
        rights: dict[str, dict[str, str]] = {}
        for key in data:
            if key.startswith(prefix) and data.get(key):
                record_type, _sep, section = key[len(prefix):].partition(_SEP)
                rights.setdefault(record_type, {})[section] = data.get(key)
        return rights

    def _select(self, name: str, current: str | None, label: str, *, default_choice: bool) -> str:
        choices = [("", _("Comme par défaut"))] if default_choice else []
        choices += [(r.value, r.label) for r in FormRight]
        current = current if current is not None else ("" if default_choice else FormRight.NONE)
        options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (v, " selected" if v == current else "", text) for v, text in choices))
        return format_html('<select name="{}" id="{}" aria-label="{}">{}</select>', name, name, label, options)

    def render(self, name, value, attrs=None, renderer=None) -> str:
        value = value if isinstance(value, dict) else {}
        tables = []
        for t in RecordType:
            stored = value.get(t.value) or {}
            sections = main_sections(t.value)
            known = {code for code, _n in sections}
            # Sections the role names but the form no longer has are shown, to be removed.
            sections += [(code, _("section inconnue")) for code in stored if code not in known | {DEFAULT_SECTION}]
            rows = [(
                _("Sections non nommées ci-dessous (par défaut)"),
                self._select(f"{name}{_SEP}{t.value}{_SEP}{DEFAULT_SECTION}", stored.get(DEFAULT_SECTION),
                             f"{t.label} — {_('par défaut')}", default_choice=False),
            )]
            rows += [(
                format_html("{} <small>({})</small>", section_name, code),
                self._select(f"{name}{_SEP}{t.value}{_SEP}{code}", stored.get(code),
                             f"{t.label} — {section_name}", default_choice=True),
            ) for code, section_name in sections]
            tables.append(format_html(
                '<table class="yiri-rights"><caption>{}</caption><tbody>{}</tbody></table>', t.label,
                format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows)))
        return format_html_join("", "{}", ((t,) for t in tables))


class FieldRightsWidget(_TableWidget):
    """Per record type, a select per field: as its section, read only, or hidden. Only
    restrictions: a field never gets more than its section. Folded by record type."""

    def value_from_datadict(self, data, files, name) -> dict[str, dict[str, str]]:
        prefix = name + _SEP
        rights: dict[str, dict[str, str]] = {}
        for key in data:
            if key.startswith(prefix) and data.get(key):
                record_type, _sep, code = key[len(prefix):].partition(_SEP)
                rights.setdefault(record_type, {})[code] = data.get(key)
        return rights

    def render(self, name, value, attrs=None, renderer=None) -> str:
        value = value if isinstance(value, dict) else {}
        choices = [("", _("Comme sa section")), (FormRight.READ, _("Lecture seule")),
                   (FormRight.NONE, _("Masqué (aucun accès)"))]
        blocks = []
        for t in RecordType:
            stored = value.get(t.value) or {}
            fields = restrictable_fields(t.value)
            known = {code for code, _l, _s in fields}
            fields += [(code, _("champ inconnu"), "—") for code in stored if code not in known]
            rows = []
            for code, label, section in fields:
                select_name = f"{name}{_SEP}{t.value}{_SEP}{code}"
                current = stored.get(code, "")
                options = format_html_join("", '<option value="{}"{}>{}</option>', (
                    (v, " selected" if v == current else "", text) for v, text in choices))
                rows.append((format_html("{} <small>({} — {})</small>", label, section, code),
                             format_html('<select name="{}" id="{}" aria-label="{}">{}</select>',
                                         select_name, select_name, f"{t.label} — {label}", options)))
            restricted = sum(1 for r in stored.values() if r)
            blocks.append(format_html(
                '<details{}><summary>{} ({})</summary><table class="yiri-rights"><tbody>{}</tbody>'
                "</table></details>", " open" if restricted else "", t.label,
                _("%(n)s champ(s) restreint(s)") % {"n": restricted},
                format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows)))
        return format_html_join("", "{}", ((b,) for b in blocks))


class _RightsField(forms.Field):
    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def clean(self, value: Any) -> Any:
        return self.check(value or {})

    def has_changed(self, initial, data) -> bool:
        try:
            return self.check(initial or {}) != self.check(data or {})
        except forms.ValidationError:
            return True


class PermissionsField(_RightsField):
    widget = PermissionTableWidget

    def check(self, value: Any) -> dict[str, list[str]]:
        return clean_permissions(value)


class FormRightsField(_RightsField):
    widget = FormRightsWidget

    def check(self, value: Any) -> dict[str, dict[str, str]]:
        return clean_form_rights(value)


class FieldRightsField(_RightsField):
    widget = FieldRightsWidget

    def check(self, value: Any) -> dict[str, dict[str, str]]:
        return clean_field_rights(value)


class RoleForm(forms.ModelForm):
    permissions = PermissionsField(label=gettext_lazy("Actions permises"), required=False)
    form_rights = FormRightsField(
        label=gettext_lazy("Droits par section de formulaire"), required=False,
        help_text=gettext_lazy("« Comme par défaut » applique le droit de la première ligne."),
    )
    field_rights = FieldRightsField(
        label=gettext_lazy("Champs restreints"), required=False,
        help_text=gettext_lazy("Un champ peut être masqué ou mis en lecture seule dans une section "
                               "que le rôle lit ou écrit (numéro d'identité, adresse, téléphone, "
                               "récit…) ; jamais plus que sa section."),
    )

    class Meta:
        model = Role
        fields = ["code", "name_fr", "name_en", "scope", "permissions", "form_rights", "field_rights"]
