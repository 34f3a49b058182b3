"""For every seeded role: which cases it can list, open, edit and export."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiri.cases.access import access_record
from yiri.cases.models import Case, RecordShare, ShareKind, raw_writes
from yiri.cases.services import assign_record, delete_record

from ..conftest import make_case

# role -> cases it sees among (worker's, colleague's, outsider's)
VISIBLE = {
    "admin": {"worker", "colleague", "outsider"},
    "manager": {"worker"},  # team A only
    "worker": {"worker"},
    "colleague": {"colleague"},
    "provider": set(),
    "relay": {"worker", "colleague"},  # the Centre relay cell: ACE and the Centre region
    "coordinator": {"worker", "colleague", "outsider"},
    "partner": set(),  # aggregates only
    "outsider": {"outsider"},
}
CAN_EDIT = {"admin", "manager", "worker", "colleague", "outsider", "provider"}
CAN_EXPORT = {"admin", "manager", "relay", "coordinator"}


@pytest.fixture
def cases(cast):
    return {
        "worker": make_case(cast.worker),
        "colleague": make_case(cast.colleague, name_first="Salif", sex="male"),
        "outsider": make_case(cast.outsider, name_first="Kossi", location_current="TG-M-GOL"),
    }


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_each_role_lists_exactly_the_cases_in_its_scope(cast, cases, role):
    user = cast.everyone[role]
    listed = set(Case.objects.visible_to(user).values_list("pk", flat=True))
    assert listed == {cases[name].pk for name in VISIBLE[role]}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_each_role_opens_only_what_it_lists_and_gets_404_otherwise(cast, cases, role):
    user = cast.everyone[role]
    for owner, case in cases.items():
        if owner in VISIBLE[role]:
            assert access_record(user, Case, case.pk).pk == case.pk
        else:
            with pytest.raises(Http404):
                access_record(user, Case, case.pk)


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_each_role_may_edit_only_with_the_edit_right(cast, cases, role):
    user = cast.everyone[role]
    for owner in VISIBLE[role]:
        if role in CAN_EDIT:
            assert access_record(user, Case, cases[owner].pk, "edit")
        else:
            with pytest.raises(PermissionDenied):
                access_record(user, Case, cases[owner].pk, "edit")


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_export_is_a_right_of_supervisors_relays_coordination_and_admins(cast, role):
    assert cast.everyone[role].can("export") is (role in CAN_EXPORT)


def test_an_outsider_gets_nothing_even_by_id(cast, cases):
    with pytest.raises(Http404):
        access_record(cast.outsider, Case, cases["worker"].pk)
    with pytest.raises(Http404):
        access_record(cast.outsider, Case, "not-a-uuid")


def test_an_assigned_user_sees_the_case(cast, cases):
    assign_record(cast.manager, cases["worker"], cast.colleague)
    assert Case.objects.visible_to(cast.colleague).filter(pk=cases["worker"].pk).exists()


def test_a_tombstoned_case_disappears_for_everyone(cast, cases):
    delete_record(cast.admin, cases["worker"])
    for user in cast.everyone.values():
        assert not Case.objects.visible_to(user).filter(pk=cases["worker"].pk).exists()


def test_an_inactive_user_sees_nothing(cast, cases):
    cast.worker.is_active = False
    cast.worker.save()
    assert not Case.objects.visible_to(cast.worker).exists()


def _expected(cast, user, case, shares) -> bool:
    """A plain-Python statement of the scoping rules, to check the query against."""
    if case.deleted or not user.is_active:
        return False
    scope = user.scope
    own = case.owner_id == user.pk or any(
        s[0] == case.pk and s[1] == user.pk for s in shares)
    if scope == "all":
        return True
    if scope == "own":
        return own
    if scope == "group":
        team = {u.pk for g in user.user_groups.all() for u in g.members.all()}
        return own or case.owner_id in team or any(s[0] == case.pk and s[1] in team for s in shares)
    if scope == "cell":
        members = set(cast.cell.members.values_list("pk", flat=True))
        paths = [r.path for r in cast.cell.regions.all()]
        return own or case.owning_agency_id in members or any(
            case.location_path.startswith(p) for p in paths)
    return False


OWNERS = ["worker", "colleague", "outsider", "manager", "admin"]
PLACES = ["BF-KAD", "BF-HOU", "TG-M-GOL", "BF-03"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=st.lists(st.tuples(st.sampled_from(OWNERS), st.sampled_from(PLACES)), min_size=1, max_size=5),
    share_to=st.lists(st.tuples(st.integers(0, 4), st.sampled_from(OWNERS)), max_size=3),
)
def test_the_scope_query_agrees_with_the_rules_for_any_cases_and_shares(cast, specs, share_to):
    with raw_writes():
        Case.objects.all().delete()
        RecordShare.objects.all().delete()
    made = [make_case(cast.everyone[o], location_current=p) for o, p in specs]
    shares = []
    for index, name in share_to:
        case = made[index % len(made)]
        user = cast.everyone[name]
        RecordShare.objects.create(record_type="case", record_id=case.pk, kind=ShareKind.ASSIGNED, user=user)
        shares.append((case.pk, user.pk))
    for user in cast.everyone.values():
        got = set(Case.objects.visible_to(user).values_list("pk", flat=True))
        want = {c.pk for c in made if _expected(cast, user, c, shares)}
        assert got == want, user.username
