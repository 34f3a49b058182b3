"""Properties of the case search over generated names and owners (hypothesis).

For every member of the cast: a case it may see is found by its exact last name, typed in
any letter case; a case it may not see is found by no search at all.
"""

from __future__ import annotations

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiri.cases.models import Case
from yiri.cases.search import names_readable, search_cases

from ..conftest import make_case
from .conftest import client_for

LETTERS = "abcdefghijklmnopqrstuvwxyzéèêëïîôöüçàâ"
name_part = st.text(alphabet=LETTERS, min_size=2, max_size=12)
last_names = st.one_of(
    st.sampled_from(["Ouédraogo", "Wedraogo", "Diallo", "Jallo", "Ouattara", "Compaoré",
                     "Kompaore", "N'Diaye", "Ba-Traoré", "Sawadogo", "Kaboré", "Zongo"]),
    st.builds(lambda a, b, sep: f"{a}{sep}{b}", name_part, name_part, st.sampled_from(["", "-", "'", " "])),
    name_part,
)
case_specs = st.lists(
    st.tuples(st.sampled_from(["worker", "colleague", "outsider", "manager"]), last_names,
              st.sampled_from(["BF-KAD", "BF-BAL", "TG-M-GOL"])),
    min_size=1, max_size=4,
)
letter_case = st.sampled_from([str, str.lower, str.upper, str.title])


class _Undo(Exception):
    pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=case_specs, typed=letter_case, via_api=st.sampled_from(list(range(9))))
def test_search_finds_what_you_may_see_and_only_that(cast, specs, typed, via_api):
    try:
        with transaction.atomic():
            cases = [make_case(getattr(cast, owner), name_last=last, location_current=place,
                               phone=f"+226 70 {i:02d} 00 {i:02d}")
                     for i, (owner, last, place) in enumerate(specs)]
            for n, (who, user) in enumerate(cast.everyone.items()):
                visible = set(Case.objects.visible_to(user).values_list("pk", flat=True))
                for i, (case, (_owner, last, _place)) in enumerate(zip(cases, specs, strict=True)):
                    by_name = set(search_cases(user, q=typed(last)).values_list("pk", flat=True))
                    by_phone = set(search_cases(user, phone=f"70{i:02d}00{i:02d}")
                                   .values_list("pk", flat=True))
                    if case.pk in visible and names_readable(user, "case"):
                        assert case.pk in by_name, (who, last)
                        assert by_phone == {case.pk}, who
                    if case.pk not in visible:
                        by_id = search_cases(user, short_id=case.short_id)
                        assert case.pk not in by_name | by_phone, (who, last)
                        assert not by_id.exists(), who
                    assert by_name <= visible and by_phone <= visible
                if n == via_api:  # and once per example through HTTP, for one of the cast
                    r = client_for(user).post("/api/v1/cases/search/", {"q": typed(specs[0][1])},
                                              format="json")
                    ids = {row["id"] for row in r.json()["results"]}
                    assert ids <= {str(pk) for pk in visible}
                    if cases[0].pk in visible and names_readable(user, "case"):
                        assert str(cases[0].pk) in ids
            raise _Undo
    except _Undo:
        pass
