"""Properties of the search score (docs/matching.md, "Recherche"), over generated names,
places and years: what the worker typed besides the names moves a record the right way,
and the name score does not depend on the order the names were typed in."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiri.lib import names
from yiri.matching.candidates import QueryWord, name_similarity, word_similarity
from yiri.matching.candidates import _place_bonus as place_bonus
from yiri.matching.candidates import _year_bonus as year_bonus

pytestmark = pytest.mark.django_db  # the forms table reads the administrator's groups

LETTERS = "abcdefghijklmnopqrstuvwxyzéèïôç"
word = st.text(alphabet=LETTERS, min_size=2, max_size=12).filter(lambda w: names.tokens(w))
code = st.sampled_from(["BF", "TG", "X1", "X2"])
path = st.lists(code, min_size=1, max_size=5).map(lambda parts: "".join(p + "/" for p in parts))
quick = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow,
                                                         HealthCheck.function_scoped_fixture])


@quick
@given(a=path, b=path)
def test_the_place_score_is_the_same_both_ways_and_highest_for_the_same_place(a, b):
    assert place_bonus(a, b) == place_bonus(b, a)
    assert place_bonus(a, a) >= place_bonus(a, b)


@quick
@given(a=path, b=path, extra=code)
def test_a_place_one_step_further_down_the_tree_never_scores_higher(a, b, extra):
    assert place_bonus(a + extra + "/", b) <= place_bonus(a, b) or a.startswith(b) or b.startswith(a)


@quick
@given(year=st.integers(1990, 2026), low=st.integers(1990, 2026), width=st.integers(0, 3),
       step=st.integers(1, 5))
def test_a_birth_year_further_from_the_typed_years_never_scores_higher(year, low, width, step):
    years = (low, low + width)
    near = dt.date(year, 6, 1)
    farther = dt.date(year + step if year > low + width else year - step, 6, 1)
    if low <= year <= low + width:
        farther = dt.date(low + width + step, 6, 1)
    assert year_bonus(farther, years) <= year_bonus(near, years)


@quick
@given(typed=word)
def test_a_word_is_most_similar_to_itself(typed):
    w = names.tokens(typed)[0]
    assert word_similarity(w, w) == 1.0
    assert all(0.0 <= word_similarity(w, other) <= 1.0 for other in ("awa", "ouedraogo", w + "a"))


@quick
@given(first=word, last=word, weights=st.tuples(st.floats(0.05, 1), st.floats(0.05, 1)))
def test_given_and_family_names_typed_in_either_order_score_the_same(first, last, weights):
    a, b = names.tokens(first)[0], names.tokens(last)[0]
    record = [a, b]
    one = [QueryWord(a, weight=weights[0]), QueryWord(b, weight=weights[1])]
    two = list(reversed(one))
    assert name_similarity(one, record) == pytest.approx(name_similarity(two, record))
