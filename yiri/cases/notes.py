"""Notes and flags on a record: the only writers of ``Note`` and ``Flag``.

Who may do what:

* Writing (a note, a flag, removing a flag) needs what editing the record needs: the
  user sees the record and their role may ``edit`` its type (``access_record(..., "edit")``:
  404 for whoever does not see it, 403 for a read-only role), and the user must be able
  to read what they write (see below).
* Reading notes, and the reasons of flags, needs seeing the record and reading the
  sections that hold the names (``names_readable``: the child's identity on a case).
  Notes are narrative about the child and the family and routinely name people, so
  they are exactly as sensitive as the identity section: a role trusted with the names
  reads them (a service provider does, and needs to: "ne pas appeler le père" is the
  kind of thing a note tells them), a role kept away from the names does not.
* Flags themselves are shown to everyone who sees the record: a warning such as "ne pas
  contacter la famille" must reach whoever handles the child. Only its reason follows
  the notes rule (``Flag.reason_readable`` is set by ``flags_for``).

Every write runs in one transaction, appends to the change log through ``save_logged``
(entities ``note`` and ``flag``; the text is sealed, never in the plain ``changes``) and
writes one audit row with ids only, never the text.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.formconfig.validation import AnswersInvalid
from yiri.sync.log import save_logged

from .access import access_record, rights_for, vetted
from .models import RECORD_MODELS, Flag, Note, Record, sealed_text
from .search import names_readable

SUBJECT_MAX = 200
BODY_MAX = 5000
REASON_MAX = 500


class NoteInvalid(AnswersInvalid):
    """Refused input, ``errors`` as ``{field: [messages]}`` in the same shape as refused
    form answers, so pages and the API show both the same way."""


def can_read_notes(user, record_type: str, record: Record | None = None) -> bool:
    """Whether ``user``'s role reads notes and flag reasons of ``record_type`` (see the
    module docstring for why this is the names rule); with ``record``, whether the user
    reaches it fully (a referral's recipient does not read the case's notes)."""
    if not (user.can("view", record_type) and names_readable(user, record_type)):
        return False
    return record is None or rights_for(user, record).notes


def can_write_notes(user, record_type: str, record: Record | None = None) -> bool:
    if record is not None and not rights_for(user, record).can("edit"):
        return False
    return bool(user.can("edit", record_type)) and can_read_notes(user, record_type, record)


def _for_write(user, record: Record) -> Record:
    record = access_record(user, type(record), record.pk, "edit")
    if not can_read_notes(user, record.RECORD_TYPE, record):
        raise PermissionDenied(_("Votre rôle ne permet pas d'écrire des notes sur ce dossier."))
    return record


def _check(**fields: tuple) -> dict[str, str]:
    """Clean each ``name=(value, limit, empty message or None when optional)``; raise
    every error at once."""
    cleaned, errors = {}, {}
    for name, (value, limit, empty) in fields.items():
        if value is not None and not isinstance(value, str):
            errors[name] = [_("Saisissez un texte.")]
            continue
        text = (value or "").strip()
        if not text and empty:
            errors[name] = [empty]
        elif len(text) > limit:
            errors[name] = [_("%(n)d caractères au plus (vous en avez saisi %(got)d).")
                            % {"n": limit, "got": len(text)}]
        cleaned[name] = text
    if errors:
        raise NoteInvalid(errors)
    return cleaned


# --------------------------------------------------------------------------- notes


def add_note(user, record: Record, *, subject: str = "", body: str, request=None) -> Note:
    """Write a dated note on ``record``. The subject is optional; the body is required
    (at most ``BODY_MAX`` characters)."""
    record = _for_write(user, record)
    text = _check(
        subject=(subject, SUBJECT_MAX, None),
        body=(body, BODY_MAX, _("Écrivez le texte de la note.")),
    )
    return _write_note(user, record, text, request)


def add_reopen_note(user, record: Record, reason: str, *, request=None) -> Note:
    """Keep the reason a closed case was reopened as a note on it. Called by
    ``workflow.services.reopen_case`` once it has checked the ``reopen`` right."""
    text = _check(reason=(reason, BODY_MAX, _("Indiquez pourquoi le dossier est rouvert.")))
    return _write_note(user, record, {"subject": str(_("Réouverture du dossier")),
                                      "body": text["reason"]}, request)


def _write_note(user, record: Record, text: dict, request) -> Note:
    with transaction.atomic():
        note = Note(
            id=uuid.uuid4(), record_type=record.RECORD_TYPE, record_id=record.pk, author=user,
            created_at=timezone.now(), subject_blob=sealed_text(text["subject"]),
            body_blob=sealed_text(text["body"]),
        )
        save_logged(user, note, created=True)
        record_event(AuditAction.UPDATE, user=user, request=request,
                     record_type=record.RECORD_TYPE, record_id=record.pk,
                     note=True, note_id=str(note.pk))
    return note


def notes_for(user, record: Record) -> list[Note]:
    """The notes of ``record``, newest first: 404 if ``user`` does not see the record,
    403 if their role may not read notes."""
    record = vetted(user, record)
    if not can_read_notes(user, record.RECORD_TYPE, record):
        raise PermissionDenied(_("Votre rôle ne permet pas de lire les notes de ce dossier."))
    return list(Note.objects.of(record).select_related("author").order_by("-created_at", "-pk"))


# --------------------------------------------------------------------------- flags


def add_flag(user, record: Record, *, reason: str, request=None) -> Flag:
    """Raise a warning on ``record``; the reason is required (at most ``REASON_MAX``)."""
    record = _for_write(user, record)
    text = _check(reason=(reason, REASON_MAX, _("Indiquez le motif du signalement.")))
    with transaction.atomic():
        flag = Flag(
            id=uuid.uuid4(), record_type=record.RECORD_TYPE, record_id=record.pk,
            flagged_by=user, flagged_at=timezone.now(), reason_blob=sealed_text(text["reason"]),
        )
        save_logged(user, flag, created=True)
        record_event(AuditAction.UPDATE, user=user, request=request,
                     record_type=record.RECORD_TYPE, record_id=record.pk,
                     flag="added", flag_id=str(flag.pk))
    return flag


def flag_not_found() -> Http404:
    """The one 404 of a flag: whether it does not exist, sits on a record the user may not
    see or on another record than the one named, nothing tells them apart."""
    return Http404(_("Signalement introuvable."))


def access_flag(user, flag_or_id, action: str = "view", *, on=None) -> Flag:
    """The flag if ``user`` sees its record (and may ``action`` it) — and, with ``on``,
    if it is a flag of that record; 404 / 403 otherwise."""
    pk = flag_or_id.pk if isinstance(flag_or_id, Flag) else flag_or_id
    try:
        flag = Flag.objects.get(pk=pk, deleted=False)
    except (Flag.DoesNotExist, ValidationError, ValueError, TypeError):
        raise flag_not_found() from None
    model = RECORD_MODELS.get(flag.record_type)
    if model is None or (on is not None and (flag.record_type, flag.record_id)
                         != (on.RECORD_TYPE, on.pk)):
        raise flag_not_found()
    try:
        flag.record = access_record(user, model, flag.record_id, action)
    except Http404:
        raise flag_not_found() from None
    return flag


def remove_flag(user, flag_or_id, *, reason: str, request=None) -> Flag:
    """Lift a flag, saying why. The row stays (with who lifted it, when and why)."""
    flag = access_flag(user, flag_or_id, "edit")
    if not can_read_notes(user, flag.record_type, flag.record):
        raise PermissionDenied(_("Votre rôle ne permet pas de lever ce signalement."))
    text = _check(reason=(reason, REASON_MAX, _("Indiquez pourquoi le signalement est levé.")))
    with transaction.atomic():
        flag = Flag.objects.select_for_update().get(pk=flag.pk)
        if flag.removed:
            raise NoteInvalid({"__all__": [_("Ce signalement a déjà été levé.")]})
        flag.removed = True
        flag.removed_by = user
        flag.removed_at = timezone.now()
        flag.removal_reason_blob = sealed_text(text["reason"])
        save_logged(user, flag)
        record_event(AuditAction.UPDATE, user=user, request=request,
                     record_type=flag.record_type, record_id=flag.record_id,
                     flag="removed", flag_id=str(flag.pk))
    return flag


def flags_for(user, record: Record, include_removed: bool = False) -> list[Flag]:
    """The flags of ``record`` (active ones only unless ``include_removed``), newest
    first, for anyone who sees the record (404 otherwise). Each carries
    ``reason_readable``: whether the user may read its reasons."""
    record = vetted(user, record)
    qs = Flag.objects.of(record).select_related("flagged_by", "removed_by")
    if not include_removed:
        qs = qs.filter(removed=False)
    readable = can_read_notes(user, record.RECORD_TYPE, record)
    flags = list(qs.order_by("removed", "-flagged_at", "-pk"))
    for flag in flags:
        flag.reason_readable = readable
    return flags


def flagged_ids(record_type: str, ids) -> set:
    """Which of the records ``ids`` carry an active flag: one query for a whole page
    (callers pass records the user already sees)."""
    ids = list(ids)
    if not ids:
        return set()
    return set(Flag.objects.filter(record_type=record_type, record_id__in=ids, removed=False,
                                   deleted=False).values_list("record_id", flat=True).distinct())


# ----------------------------------------------------------- merging two records


def copy_to(user, row: Note | Flag, record: Record) -> Note | Flag:
    """A copy of a note or flag of another record on ``record``, with its author, date,
    text and state (a lifted flag stays lifted): when two records of one child are merged
    (``matching.merge``, which checks the user's right). Logged like any new row."""
    fields = {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields
              if f.attname not in ("id", "origin_node", "field_clock", "record_type",
                                   "record_id", "deleted")}
    for name in type(row).SYNC_SEALED:
        fields[name] = getattr(row, name)  # the plain text: sealed again under ``record``
    copy = type(row)(id=uuid.uuid4(), record_type=record.RECORD_TYPE, record_id=record.pk,
                     **fields)
    save_logged(user, copy, created=True)
    return copy
