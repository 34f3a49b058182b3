"""Checking a role's rights against the action list and the form sections, and what changed.

A role's ``permissions`` and ``form_rights`` are JSON; these functions are the only
gate between what an administrator submits and what ``Role.allows`` and
``Role.section_right`` later read, so an unknown action (``"fly"``) or section is refused
with a French message instead of silently taking everyone's rights away.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Action, FormRight, RecordType, SystemAction

SYSTEM = "system"
DEFAULT_SECTION = "*"


def main_sections(record_type: str) -> list[tuple[str, str]]:
    """``(code, name)`` of the form sections a right can be set on (subform rows follow their
    parent section)."""
    from yiri.formconfig.models import FormSection  # formconfig imports this app's models

    return list(
        FormSection.objects.filter(record_type=record_type, is_subform=False, deleted=False)
        .order_by("order", "code").values_list("code", "name_fr")
    )


def clean_permissions(value: Any) -> dict[str, list[str]]:
    """``{"case": [...], "system": [...]}`` with known record types and actions only, in the
    order of the action list; raises ``ValidationError`` (every problem, in French)."""
    if not isinstance(value, dict):
        raise ValidationError(_("Les droits doivent être un tableau par type de fiche."))
    errors: list[str] = []
    record_actions, system_actions = Action.values, SystemAction.values
    cleaned: dict[str, list[str]] = {}
    for key, actions in value.items():
        if key != SYSTEM and key not in RecordType.values:
            errors.append(_("Type de fiche inconnu : « %(type)s ».") % {"type": key})
            continue
        known = system_actions if key == SYSTEM else record_actions
        if not isinstance(actions, list | tuple):
            errors.append(_("Les actions de « %(type)s » doivent être une liste.") % {"type": key})
            continue
        for action in actions:
            if action not in known:
                errors.append(_("Action inconnue pour « %(type)s » : « %(action)s ». Actions possibles : %(known)s.")
                              % {"type": key, "action": action, "known": ", ".join(known)})
        chosen = [a for a in known if a in actions]
        if chosen:
            cleaned[key] = chosen
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_form_rights(value: Any) -> dict[str, dict[str, str]]:
    """``{"case": {"*": "r", "services_section": "rw"}}`` with known record types, sections of
    that record type's form (or ``*``) and rights; a record type whose every right is "none"
    is dropped (it means the same). Raises ``ValidationError`` in French."""
    if not isinstance(value, dict):
        raise ValidationError(_("Les droits sur les sections doivent être un tableau par type de fiche."))
    errors: list[str] = []
    cleaned: dict[str, dict[str, str]] = {}
    for record_type, rights in value.items():
        if record_type not in RecordType.values:
            errors.append(_("Type de fiche inconnu : « %(type)s ».") % {"type": record_type})
            continue
        if not isinstance(rights, dict):
            errors.append(_("Les droits de « %(type)s » doivent être un tableau par section.")
                          % {"type": record_type})
            continue
        sections = {code for code, _name in main_sections(record_type)} | {DEFAULT_SECTION}
        kept: dict[str, str] = {}
        for section, right in rights.items():
            if section not in sections:
                errors.append(_("Section inconnue pour « %(type)s » : « %(section)s ».")
                              % {"type": RecordType(record_type).label, "section": section})
            elif right not in FormRight.values:
                errors.append(_("Droit inconnu « %(right)s » sur la section « %(section)s » : "
                                "choisissez aucun accès, lecture ou lecture et écriture.")
                              % {"right": right, "section": section})
            else:
                kept[section] = right
        if any(r != FormRight.NONE for r in kept.values()) or len(kept) > 1:
            cleaned[record_type] = kept
    if errors:
        raise ValidationError(errors)
    return cleaned


def restrictable_fields(record_type: str) -> list[tuple[str, str, str]]:
    """``(code, label, section name)`` of the fields a role's field rights may name: every
    plain field of the form, and a subform's row fields as ``subform.field``."""
    from yiri.formconfig.models import FieldType
    from yiri.formconfig.schema import get_schema

    schema = get_schema(record_type)
    out = []
    for section in schema.main_sections:
        for f in section.fields:
            if f.type != FieldType.SUBFORM:
                out.append((f.code, f.label, section.name))
                continue
            for sub in schema.subform_fields(f).values():
                if sub.type != FieldType.SUBFORM:
                    out.append((f"{f.code}.{sub.code}", f"{f.label} › {sub.label}", section.name))
    return out


def clean_field_rights(value: Any) -> dict[str, dict[str, str]]:
    """``{"case": {"national_id_no": "none", "address_current": "r"}}`` with known record
    types, fields of that form and the two restricting rights only (a field right never
    grants more than its section). Raises ``ValidationError`` in French."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError(_("Les droits par champ doivent être un tableau par type de fiche."))
    errors: list[str] = []
    cleaned: dict[str, dict[str, str]] = {}
    for record_type, rights in value.items():
        if record_type not in RecordType.values:
            errors.append(_("Type de fiche inconnu : « %(type)s ».") % {"type": record_type})
            continue
        if not isinstance(rights, dict):
            errors.append(_("Les droits par champ de « %(type)s » doivent être un tableau par champ.")
                          % {"type": record_type})
            continue
        known = {code for code, _label, _section in restrictable_fields(record_type)}
        kept: dict[str, str] = {}
        for code, right in rights.items():
            if code not in known:
                errors.append(_("Champ inconnu pour « %(type)s » : « %(field)s ».")
                              % {"type": RecordType(record_type).label, "field": code})
            elif right not in (FormRight.NONE, FormRight.READ):
                errors.append(_("Droit « %(right)s » sur le champ « %(field)s » : un champ peut "
                                "seulement être masqué (aucun accès) ou en lecture seule.")
                              % {"right": right, "field": code})
            else:
                kept[code] = str(right)
        if kept:
            cleaned[record_type] = dict(sorted(kept.items()))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _rights_diff(old: dict, new: dict) -> dict[str, dict[str, list]]:
    """``{record type: {section or field: [before, after]}}`` of what differs."""
    out: dict[str, dict[str, list]] = {}
    for record_type in sorted(set(old) | set(new)):
        before, after = old.get(record_type) or {}, new.get(record_type) or {}
        diff = {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after))
                if before.get(k) != after.get(k)}
        if diff:
            out[record_type] = diff
    return out


def rights_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """What changed between two states of a role, as codes only, for the audit row.

    ``old``/``new`` hold ``code``, ``name_fr``, ``name_en``, ``scope``, ``permissions``,
    ``form_rights`` and ``field_rights``; absent keys mean "nothing". Returns ``{}`` when nothing changed.
    """
    old = old or {}
    changes: dict[str, Any] = {}
    if old.get("scope") != new.get("scope"):
        changes["scope"] = [old.get("scope"), new.get("scope")]
    old_perms, new_perms = old.get("permissions") or {}, new.get("permissions") or {}
    added, removed = {}, {}
    for key in sorted(set(old_perms) | set(new_perms)):
        before, after = set(old_perms.get(key, [])), set(new_perms.get(key, []))
        if after - before:
            added[key] = sorted(after - before)
        if before - after:
            removed[key] = sorted(before - after)
    if added:
        changes["actions_added"] = added
    if removed:
        changes["actions_removed"] = removed
    for attr in ("form_rights", "field_rights"):
        diff = _rights_diff(old.get(attr) or {}, new.get(attr) or {})
        if diff:
            changes[attr] = diff
    renamed = [f for f in ("code", "name_fr", "name_en") if old.get(f) != new.get(f)]
    if renamed:
        changes["fields"] = renamed
    return changes
