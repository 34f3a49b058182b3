"""Writers of the directory: every change goes through the sync write path
(``sync.log.save_logged``: one operation of the change log per change, its author
recorded), after the right is checked here (``access``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.formconfig.models import INVENTORY_FORM
from yiri.formconfig.schema import get_schema
from yiri.formconfig.validation import validate_answers
from yiri.sync.log import save_logged

from . import access
from .models import (
    Commitment,
    InventoryResponse,
    InventoryRound,
    Participant,
    Person,
    Site,
    Training,
)

INVENTORY_FORM_FILE = Path(__file__).parent / "data" / "inventory_form.json"
# Raised by a data migration that changes the shipped questionnaire; the file holds its result.
INVENTORY_FORM_VERSION = 1


def load_inventory_form(path: Path = INVENTORY_FORM_FILE) -> dict[str, int]:
    """Seed the inventory questionnaire (``network/reference.py``): what is missing only."""
    from yiri.formconfig.services import load_form_set

    return load_form_set(path)


def _refuse(message: str):
    raise PermissionDenied(message)


@transaction.atomic
def save_site(user, site: Site) -> Site:
    if not access.may_edit(user, site):
        _refuse(_("Votre rôle ne permet pas de modifier cette structure."))
    if site.pk and not site._state.adding:
        stored = Site.objects.get(pk=site.pk)
        if not access.may_edit(user, stored):  # not moved into one's scope from outside it
            _refuse(_("Votre rôle ne permet pas de modifier cette structure."))
    save_logged(user, site, created=site._state.adding)
    return site


@transaction.atomic
def save_person(user, person: Person) -> Person:
    if not access.may_edit(user, person.site):
        _refuse(_("Votre rôle ne permet pas de modifier les profils de cette structure."))
    if person.consent and not person.consent_date:
        person.consent_date = timezone.localdate()
    if not person.consent:
        person.consent_date = None
    save_logged(user, person, created=person._state.adding)
    return person


@transaction.atomic
def save_training(user, training: Training) -> Training:
    if not access.may_record_trainings(user):
        _refuse(_("Votre rôle ne permet pas d'enregistrer des formations."))
    save_logged(user, training, created=training._state.adding)
    return training


@transaction.atomic
def add_participant(user, training: Training, *, site: Site, person: Person | None = None,
                    name: str = "", attended: bool = True) -> Participant:
    if not access.may_record_trainings(user):
        _refuse(_("Votre rôle ne permet pas d'enregistrer des formations."))
    if person is not None and person.site_id != site.pk:
        site = person.site
    participant = Participant(training=training, site=site, person=person,
                              name="" if person else name.strip(), attended=attended)
    save_logged(user, participant, created=True)
    return participant


@transaction.atomic
def set_attendance(user, participant: Participant, attended: bool) -> Participant:
    if not access.may_record_trainings(user):
        _refuse(_("Votre rôle ne permet pas d'enregistrer des formations."))
    participant.attended = attended
    save_logged(user, participant)
    return participant


@transaction.atomic
def save_commitment(user, commitment: Commitment) -> Commitment:
    if not access.may_record_trainings(user):
        _refuse(_("Votre rôle ne permet pas d'enregistrer des formations."))
    save_logged(user, commitment, created=commitment._state.adding)
    return commitment


@transaction.atomic
def open_round(user, cell, title: str, opened_on: dt.date | None = None) -> InventoryRound:
    if not access.may_run_inventories(user, cell):
        _refuse(_("Votre rôle ne permet pas de mener l'inventaire de cette cellule."))
    found = InventoryRound(relay_cell=cell, title=title.strip(),
                           opened_on=opened_on or timezone.localdate())
    save_logged(user, found, created=True)
    return found


def round_sites(inv_round: InventoryRound):
    """The structures a round covers: those of its relay cell (telecentres and members)."""
    return Site.objects.filter(deleted=False, relay_cell=inv_round.relay_cell_id).order_by("name")


def response_of(inv_round: InventoryRound, site: Site) -> InventoryResponse | None:
    return (InventoryResponse.objects.filter(round=inv_round, site=site, deleted=False)
            .order_by("-filled_on", "-id").first())


@transaction.atomic
def fill_inventory(user, inv_round: InventoryRound, site: Site, submitted: dict) -> InventoryResponse:
    """Record ``site``'s answers to the round's questionnaire (the form engine validates
    them: ``AnswersInvalid`` names each field to correct, nothing is saved)."""
    if not access.may_run_inventories(user, inv_round.relay_cell):
        _refuse(_("Votre rôle ne permet pas de mener l'inventaire de cette cellule."))
    if site.relay_cell_id != inv_round.relay_cell_id:
        _refuse(_("Cette structure n'est pas suivie par la cellule de ce tour d'inventaire."))
    schema = get_schema(INVENTORY_FORM)
    current = response_of(inv_round, site)
    cleaned = validate_answers(schema, submitted, current=current.answers if current else None,
                               check_required_sections={s.code for s in schema.main_sections})
    if current is None:
        current = InventoryResponse(round=inv_round, site=site, answers={})
    current.answers = {**current.answers, **cleaned}
    current.filled_on = timezone.localdate()
    current.form_version = schema.version
    save_logged(user, current, created=current._state.adding)
    return current


def previous_round(inv_round: InventoryRound) -> InventoryRound | None:
    return (InventoryRound.objects.filter(relay_cell=inv_round.relay_cell_id, deleted=False)
            .filter(opened_on__lt=inv_round.opened_on).order_by("-opened_on").first())


def other_answers(inv_round: InventoryRound, site: Site, shown: InventoryResponse | None) -> list[dict]:
    """Answers to the same round for the same structure other than the one ``shown``: two
    nodes filled it before they synced. They are kept and shown beside it, with what they
    say differently (``[(field code, theirs, shown)]``), never hidden behind the newest."""
    if shown is None:
        return []
    out = []
    for other in (InventoryResponse.objects.filter(round=inv_round, site=site, deleted=False)
                  .exclude(pk=shown.pk).order_by("-filled_on", "-id")):
        differs = [(code, other.answers.get(code), shown.answers.get(code))
                   for code in sorted(set(other.answers) | set(shown.answers))
                   if other.answers.get(code) != shown.answers.get(code)]
        out.append({"response": other, "differs": differs})
    return out


def round_overview(inv_round: InventoryRound) -> list[dict]:
    """For each structure of the round: its answers, what changed since the previous
    round (``[(field code, before, now)]``; ``previous`` None when it had no answer then),
    and any other answer to this round made on another node (``others``)."""
    before_round = previous_round(inv_round)
    rows = []
    for site in round_sites(inv_round):
        now = response_of(inv_round, site)
        before = response_of(before_round, site) if before_round else None
        changes = []
        if now and before:
            for code in sorted(set(now.answers) | set(before.answers)):
                old, new = before.answers.get(code), now.answers.get(code)
                if old != new:
                    changes.append((code, old, new))
        rows.append({"site": site, "response": now, "previous": before, "changes": changes,
                     "others": other_answers(inv_round, site, now)})
    return rows
