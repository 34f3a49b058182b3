"""Who reaches the directory, and what each right grants.

- **Members of the network** see the directory, the map, the profiles (of people who
  consented) and the training reports: a person whose role has ``view_directory`` and who
  belongs to the network — a national scope (coordination, administrators), a relay cell,
  or an organisation that is a member of a relay cell or listed in the directory as a
  member organisation. Anyone else (a partner, an organisation outside the network, a
  visitor) sees nothing: 403, or the login page.
- ``edit_directory``: create and change entries and profiles — every entry with a
  national scope, else those of the person's relay cell or of their own organisation.
- ``record_trainings``: record training sessions, participants and commitments.
- ``run_inventories``: open inventory rounds, fill and read answers — every relay cell
  with a national scope, else the person's own relay cell.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from yiri.accounts.models import Scope
from yiri.network.models import RelayCell

VIEW, EDIT, TRAININGS, INVENTORIES = ("view_directory", "edit_directory", "record_trainings",
                                      "run_inventories")


def national(user) -> bool:
    return bool(user.is_superuser or user.scope == Scope.ALL)


def is_member(user) -> bool:
    """Whether ``user`` is a signed-in member of the network with the directory right."""
    if not getattr(user, "is_authenticated", False) or not user.can(VIEW, "system"):
        return False
    if national(user) or user.relay_cell_id:
        return True
    if not user.agency_id:
        return False
    from .models import Site, SiteKind

    return (RelayCell.objects.filter(members=user.agency_id, deleted=False).exists()
            or Site.objects.filter(agency_id=user.agency_id, kind=SiteKind.ORGANISATION,
                                   deleted=False).exists())


def require_member(user) -> None:
    if not is_member(user):
        raise PermissionDenied(_("L'annuaire est réservé aux membres du réseau."))


def may_edit(user, site=None) -> bool:
    """``edit_directory`` on ``site`` (on some entry when ``site`` is None)."""
    if not is_member(user) or not user.can(EDIT, "system"):
        return False
    if site is None or national(user):
        return True
    return bool((user.relay_cell_id and site.relay_cell_id == user.relay_cell_id)
                or (user.agency_id and site.agency_id == user.agency_id))


def may_record_trainings(user) -> bool:
    return is_member(user) and user.can(TRAININGS, "system")


def inventory_cells(user):
    """The relay cells whose inventories ``user`` runs (a queryset; empty without the right)."""
    if not is_member(user) or not user.can(INVENTORIES, "system"):
        return RelayCell.objects.none()
    cells = RelayCell.objects.filter(deleted=False)
    return cells if national(user) else cells.filter(pk=user.relay_cell_id)


def may_run_inventories(user, cell=None) -> bool:
    cells = inventory_cells(user)
    return cells.exists() if cell is None else cells.filter(pk=cell.pk).exists()
