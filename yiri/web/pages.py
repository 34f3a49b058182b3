"""What the record pages show, built from a record, its schema and the reader's rights.

Views call these builders after ``access_record``; nothing here checks access again
except which sections a user may read or write, which it takes from ``cases.access``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from yiri.attachments import services as attachments
from yiri.attachments.models import Attachment
from yiri.cases import identity
from yiri.cases import notes as case_notes
from yiri.cases.access import (
    NO_LIMITS,
    FieldLimits,
    RecordRights,
    field_limits,
    readable_sections,
    rights_for,
    writable_sections,
)
from yiri.cases.models import Record
from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import FieldDef, FormSchema, SectionDef
from yiri.lib.ages import age_on
from yiri.sync.fieldclock import stamp_map
from yiri.workflow.history import record_history, record_operations

from .answers import Widget, format_value, location_codes, location_names, widgets

# URL segment <-> record type, and the sections of the registration form of each type.
RECORD_SLUGS = {"cases": "case", "incidents": "incident", "tracing": "tracing_request"}
SLUG_OF = {v: k for k, v in RECORD_SLUGS.items()}
REGISTRATION_SECTIONS = {
    "case": ["basic_identity", "consent"],
    "incident": ["incident_details", "survivor", "incident_response"],
    "tracing_request": ["request_details", "inquirer"],
}


@dataclass
class RowView:
    id: str
    widgets: list[Widget]
    editing: bool = False
    writable: bool = False
    stamps: str = "{}"


@dataclass
class SubformView:
    f: FieldDef
    rows: list[RowView]
    adding: bool = False
    new_row: list[Widget] = field(default_factory=list)
    row_errors: list[str] = field(default_factory=list)
    can_add: bool = False

    @property
    def table(self) -> tuple[list[str], list[list[str]]]:
        """Column labels and rows of displayed values, leaving out the columns empty in
        every row (the printed case file shows a subform as a table)."""
        if not self.rows:
            return [], []
        columns = [i for i, w in enumerate(self.rows[0].widgets)
                   if any(r.widgets[i].visible and r.widgets[i].display for r in self.rows)]
        head = [self.rows[0].widgets[i].label for i in columns]
        body = [[r.widgets[i].display if r.widgets[i].visible else "" for i in columns]
                for r in self.rows]
        return head, body


@dataclass
class AttachmentsView:
    """The files of one attachment field, and whether the reader may add and remove."""

    f: FieldDef
    items: list[Attachment]
    writable: bool
    accept: str
    errors: list[str] = field(default_factory=list)

    @property
    def images_only(self) -> bool:
        return "application/pdf" not in self.accept

    @property
    def max_mb(self) -> int:
        return attachments.max_bytes() // (1024 * 1024)


@dataclass
class SectionView:
    section: SectionDef
    widgets: list[Widget]
    subforms: list[SubformView]
    writable: bool
    editing: bool = False
    errors: list[str] = field(default_factory=list)
    # The stamps the form was read at (JSON), sent back so the save is a three-way merge.
    stamps: str = "{}"
    # path -> (their value as displayed, who changed it) for fields in conflict.
    conflicts: dict = field(default_factory=dict)
    attachments: list[AttachmentsView] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.section.code

    @property
    def filled(self) -> bool:
        """Whether the section holds answers (files are not answers: their additions and
        removals are audited, not part of the record's field history)."""
        return any(w.display for w in self.widgets) or any(s.rows for s in self.subforms)

    @property
    def has_files(self) -> bool:
        return any(a.items for a in self.attachments)


def registration_sections(schema: FormSchema, user) -> list[SectionDef]:
    wanted = REGISTRATION_SECTIONS.get(schema.record_type) or [schema.main_sections[0].code]
    allowed = set(writable_sections(user, schema))
    return [schema.sections[c] for c in wanted if c in schema.sections and c in allowed]


def _stamps_json(stamps: dict) -> str:
    return json.dumps(stamps, separators=(",", ":"), sort_keys=True)


def section_view(
    schema: FormSchema, section: SectionDef, answers: dict, *, writable: bool,
    places: dict[str, str], editing: bool = False, values: dict | None = None,
    errors: dict | None = None, row_edit: tuple[str, str] | None = None,
    row_values: dict | None = None, messages: list[str] | None = None,
    rights: RecordRights | None = None, clock: dict | None = None,
    stamps: dict | None = None, conflicts: dict | None = None,
    limits: FieldLimits = NO_LIMITS,
) -> SectionView:
    """``values``/``errors`` are what the user just posted when a save was refused;
    ``stamps`` the stamps to send back instead of the stored ones (after a conflict);
    ``conflicts`` the fields in conflict, with the other person's value."""
    shown = values if values is not None else answers
    clock = clock or {}  # {path: stamp as digits}
    plain = [f.code for f in section.fields if f.type != FieldType.SUBFORM]
    section_stamps = {c: clock.get(c) for c in plain}
    section_stamps.update({k: v for k, v in (stamps or {}).items() if k in section_stamps})
    sv = SectionView(
        section=section, writable=writable, editing=editing and writable,
        widgets=widgets(schema, section.fields, shown, errors=errors if editing else None,
                        places=places, id_prefix=f"{section.code}-", limits=limits),
        subforms=[], errors=list(messages or []), stamps=_stamps_json(section_stamps),
        conflicts=conflicts or {},
    )
    for f in section.fields:
        if f.type != FieldType.SUBFORM or not limits.shows(f.code):
            continue
        row_defs = list(schema.subform_fields(f).values())
        rows = []
        for row in answers.get(f.code) or []:
            if row.get("_deleted"):
                continue
            row_writable = writable or bool(
                rights and rights.may_write_row(f.code, section.code, row["_id"], False))
            editing_row = bool(row_writable and row_edit == (f.code, row["_id"]))
            posted = row_values if editing_row and row_values is not None else row
            prefix = f"{f.code}/{row['_id']}/"
            row_stamps = {prefix + c: clock.get(prefix + c) for c in [*schema.subform_fields(f), "_deleted"]}
            if editing_row:
                row_stamps.update({k: v for k, v in (stamps or {}).items() if k in row_stamps})
            rows.append(RowView(
                id=row["_id"], editing=editing_row, writable=row_writable,
                stamps=_stamps_json(row_stamps),
                widgets=widgets(schema, row_defs, posted, places=places,
                                errors=errors if editing_row else None, error_prefix=f"{f.code}.0.",
                                id_prefix=f"{f.code}-{row['_id'][:8]}-", limits=limits,
                                subform=f.code),
            ))
        can_add = writable or bool(rights and rights.may_write_row(f.code, section.code, "", True))
        adding = bool(can_add and row_edit == (f.code, "new"))
        sub = SubformView(f=f, rows=rows, adding=adding, can_add=can_add)
        if adding:
            sub.new_row = widgets(schema, row_defs, row_values or {}, places=places,
                                  errors=errors, error_prefix=f"{f.code}.0.",
                                  id_prefix=f"{f.code}-new-", limits=limits, subform=f.code)
        if row_edit and row_edit[0] == f.code and errors:
            sub.row_errors = [m for k in (f.code, f"{f.code}.0") for m in errors.get(k, [])]
        sv.subforms.append(sub)
    return sv


def record_sections(
    user, record: Record, schema: FormSchema, *, edit: str | None = None,
    row_edit: tuple[str, str] | None = None, only: str | None = None,
    attachment_errors: dict[str, list[str]] | None = None, **posted: Any,
) -> tuple[dict, list[SectionView]]:
    """The sections ``user`` may read, in form order; ``only`` limits to one section.
    ``attachment_errors``: ``{field code: [message]}`` of a file just refused."""
    answers = identity.read_answers(record, schema)
    rights = rights_for(user, record)
    limits = field_limits(user, schema.record_type)
    readable = set(readable_sections(user, schema, record))
    writable = set(writable_sections(user, schema, record))
    places = location_names(location_codes(schema, answers) | location_codes(
        schema, posted.get("values") or {}))
    row_section = _section_of(schema, row_edit)
    out = []
    for sec in schema.main_sections:
        if sec.code not in readable or not sec.visible or (only and sec.code != only):
            continue
        target = sec.code == edit or sec.code == row_section
        out.append(section_view(
            schema, sec, answers, writable=sec.code in writable, places=places,
            editing=sec.code == edit, row_edit=row_edit if target else None,
            rights=rights, clock=stamp_map(record), limits=limits, **(posted if target else {}),
        ))
    _add_attachments(user, record, schema, out, attachment_errors or {})
    return answers, out


def _add_attachments(user, record: Record, schema: FormSchema, sections: list[SectionView],
                     errors: dict[str, list[str]]) -> None:
    """Hang the files of each attachment field on its section (one query per page)."""
    shown = {sv.code: sv for sv in sections}
    fields = [f for f in attachments.attachment_fields(schema) if f.section in shown]
    if not fields:
        return
    files = attachments.attachments_for(user, record)
    writable = {f.code for f in attachments.writable_fields(user, record, schema)}
    for f in fields:
        if f.code not in files:
            continue
        shown[f.section].attachments.append(AttachmentsView(
            f=f, items=files[f.code], writable=f.code in writable,
            accept=",".join(attachments.accepted_types(f.code)), errors=errors.get(f.code, [])))


def _section_of(schema: FormSchema, row_edit: tuple[str, str] | None) -> str:
    if not row_edit or row_edit[0] not in schema.fields:
        return ""
    return schema.fields[row_edit[0]].section


@dataclass
class Change:
    at: dt.datetime | None
    author: str
    label: str
    old: str
    new: str
    path: str
    event: bool = False  # a workflow step: ``label`` tells it, ``new`` is its comment


HISTORY_LIMIT = 300


def field_history(user, record: Record, schema: FormSchema, field_code: str | None = None,
                  section: str | None = None) -> list[Change]:
    """Changes to the fields of the sections ``user`` may read and, unless one field or
    section is asked for, the workflow steps (approvals, referrals, closure…), newest
    first. What may be read is decided by ``workflow.history`` / ``cases.history``."""
    ops = record_operations(record).order_by("-hlc")[:HISTORY_LIMIT]
    picked = []
    codes: set[str] = set()
    steps = not field_code and not section
    for entry in record_history(user, record, schema, ops):
        if entry.event is not None and steps:
            picked.append((entry, entry.event))
        for change in entry.changes:
            top = change.path.split("/")[0]
            if change.is_meta or change.path.endswith("/_id") or change.field is None:
                continue
            if (field_code and top != field_code) or (section and change.section != section):
                continue
            picked.append((entry, change))
            codes.update(v for v in (change.new, change.old) if isinstance(v, str))
    places = location_names({c for c in codes if len(c) <= 40})
    out = []
    for entry, change in picked:
        author = (entry.author.get_full_name() or entry.author.username) if entry.author \
            else _("système")
        if change is entry.event:
            out.append(Change(at=entry.at, author=author, label=change.label, old="",
                              new=change.comment or "", path=f"@{change.code}", event=True))
            continue
        out.append(Change(
            at=entry.at, author=author, label=change.label,
            old=format_value(schema, change.field, change.old, places),
            new=format_value(schema, change.field, change.new, places), path=change.path,
        ))
    return out


def age_of(record) -> int | None:
    return age_on(getattr(record, "date_of_birth", None))


NOTES_SHOWN = 20


def notes_panel(user, record: Record, *, show_all: bool = False, values: dict | None = None,
                errors: dict | None = None) -> dict:
    """The notes part of a record page: the notes ``user`` may read, newest first (the
    newest ``NOTES_SHOWN`` unless ``show_all``), and the add form with what was just
    posted and refused."""
    rt = record.RECORD_TYPE
    if not case_notes.can_read_notes(user, rt, record):
        return {"notes_readable": False}
    every = case_notes.notes_for(user, record)
    errors = errors or {}
    return {
        "notes_readable": True, "notes": every if show_all else every[:NOTES_SHOWN],
        "notes_total": len(every), "notes_more": not show_all and len(every) > NOTES_SHOWN,
        "can_note": case_notes.can_write_notes(user, rt, record), "note_values": values or {},
        "note_errors": errors, "note_top_errors": errors.get("__all__", []),
    }


def flags_panel(user, record: Record, *, values: dict | None = None, errors: dict | None = None,
                removing=None, removal_errors: dict | None = None,
                removal_value: str = "") -> dict:
    """The warnings at the top of a record page, the flags lifted earlier, and the forms
    to raise one or lift one (``removing``: the flag whose lifting was just refused)."""
    flags = case_notes.flags_for(user, record, include_removed=True)
    removal_errors = removal_errors or {}
    return {
        "active_flags": [f for f in flags if not f.removed],
        "lifted_flags": [f for f in flags if f.removed],
        "can_flag": case_notes.can_write_notes(user, record.RECORD_TYPE, record),
        "flag_values": values or {}, "flag_errors": errors or {},
        "removing": removing, "removal_value": removal_value,
        "removal_errors": [m for k in ("reason", "__all__") for m in removal_errors.get(k, [])],
    }
