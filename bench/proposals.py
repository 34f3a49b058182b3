"""Changes the benchmark can try before they are made in the application.

``--variant proposed`` swaps ``cases.access.scope_q`` for ``proposed_scope_q`` in the
benchmark process only. Same records, same rules, other SQL: the small sets a scope
depends on (the user's active shares, the team's members, the cell's member
organisations) are read first, so the case filter becomes ``owner_id = ANY(…) OR id =
ANY(…)``, which both databases answer from indexes, instead of ``EXISTS`` sub-queries
correlated with every case row, which force a scan of the cases table (a sequential scan
on PostgreSQL, a sub-query per row on SQLite) as soon as a filter is selective.

Delete this file once ``scope_q`` has been changed (see bench/README.md).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from yiri.accounts.models import Scope
from yiri.cases.models import Record, RecordShare


def _shared_ids(record_type: str, q: Q) -> list:
    return list(RecordShare.objects.filter(q, record_type=record_type, active=True, deleted=False)
                .values_list("record_id", flat=True))


def proposed_scope_q(user, model: type[Record]) -> Q:
    alive = Q(deleted=False)
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    rt = model.RECORD_TYPE
    if not user.can("view", rt):
        return Q(pk__in=[])
    scope = user.scope
    if scope == Scope.ALL:
        return alive
    mine = Q(user=user)
    if user.agency_id:
        mine |= Q(user__isnull=True, agency_id=user.agency_id)
    if scope == Scope.GROUP:
        team = list(get_user_model().objects.filter(user_groups__in=user.user_groups.all())
                    .values_list("pk", flat=True).distinct())
        owners = {user.pk, *team}
        ids = _shared_ids(rt, mine | Q(user__in=team))
        return alive & (Q(owner_id__in=owners) | Q(pk__in=ids))
    own = Q(owner_id=user.pk) | Q(pk__in=_shared_ids(rt, mine))
    if scope == Scope.OWN:
        return alive & own
    if scope == Scope.AGENCY and user.agency_id:
        ids = _shared_ids(rt, Q(agency_id=user.agency_id))
        return alive & (own | Q(owning_agency_id=user.agency_id) | Q(pk__in=ids))
    if scope == Scope.CELL and user.relay_cell_id:
        cell = user.relay_cell
        by_place = Q(pk__in=[])
        for path in cell.regions.values_list("path", flat=True):
            by_place |= Q(location_path__startswith=path)
        members = list(cell.members.values_list("pk", flat=True))
        return alive & (own | Q(owning_agency_id__in=members) | by_place)
    if scope in (Scope.AGENCY, Scope.CELL):
        return alive & own
    return Q(pk__in=[])


def install(variant: str) -> None:
    if variant == "proposed":
        from yiri.cases import access

        access.scope_q = proposed_scope_q
