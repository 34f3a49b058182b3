"""Properties of the encoding: for one secret it is deterministic, the Dice coefficient
and the field score are symmetric, identical children score 1 (record layout) and
highest (field layout: "probable" when every field is known), and names written in
swapped order agree as fully as in order."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from yiri.matching import pprl

name = st.text(alphabet="abcdefghijklmnoprstuwyzéèïÉOUKDJ' -", min_size=0, max_size=14)
children = st.builds(
    pprl.Child,
    given=st.lists(name, max_size=2).map(tuple),
    family=st.lists(name, max_size=1).map(tuple),
    sex=st.sampled_from(["", "f", "m"]),
    birth_year=st.one_of(st.none(), st.integers(1990, 2026)),
    places=st.lists(st.sampled_from(["Kaya", "Sanmatenga", "Lomé", "Golfe", "Boromo"]), max_size=2).map(tuple),
    parents=st.lists(name, max_size=2).map(tuple),
)
secrets_ = st.binary(min_size=32, max_size=32).map(pprl.SharedSecret)
layouts = st.sampled_from(list(pprl.LAYOUTS.values()))
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(children, secrets_, layouts)
def test_one_secret_encodes_a_child_the_same_way_every_time(child, secret, params):
    assert pprl.Encoder(secret, params).encode(child) == pprl.Encoder(secret, params).encode(child)


@FAST
@given(children, children, secrets_, layouts)
def test_scores_are_symmetric(a, b, secret, params):
    enc = pprl.Encoder(secret, params)
    A, B = enc.encode_many([a]), enc.encode_many([b])
    zero = np.zeros(1, dtype=np.int64)
    assert pprl.dice(A[0].tobytes(), B[0].tobytes()) == pprl.dice(B[0].tobytes(), A[0].tobytes())
    assert math.isclose(pprl.score_pairs(A, B, zero, zero, params)[0],
                        pprl.score_pairs(B, A, zero, zero, params)[0], rel_tol=1e-12, abs_tol=1e-15)


@FAST
@given(children, secrets_)
def test_identical_children_score_one(child, secret):
    params = pprl.RECORD_LAYOUT
    encoded = pprl.Encoder(secret, params).encode(child)
    if any(encoded):
        assert pprl.dice(encoded, encoded) == 1.0


@FAST
@given(children, children, secrets_)
def test_in_the_field_layout_a_child_scores_highest_against_itself(child, other, secret):
    params = pprl.FIELD_LAYOUT
    enc = pprl.Encoder(secret, params)
    A, B = enc.encode_many([child]), enc.encode_many([other])
    zero = np.zeros(1, dtype=np.int64)
    cols, present, _swap = pprl.field_features(A, A, zero, zero, params)
    assert (cols[present] == 1.0).all()  # every field known agrees fully
    itself = pprl.score_pairs(A, A, zero, zero, params)[0]
    assert pprl.score_pairs(A, B, zero, zero, params)[0] <= itself + 1e-12
    if present.all():  # every field known: a probable match of itself
        assert itself >= pprl.THRESHOLDS["field"][0]


@FAST
@given(children, secrets_)
# Found by hypothesis: a family name that is also a known given name (its group of
# variants) once compared at 0.84 against itself written as a given name.
@example(pprl.Child(given=(), family=("KOfi",)), pprl.SharedSecret(bytes(32)))
def test_swapped_names_compare_as_in_order(child, secret):
    params = pprl.FIELD_LAYOUT
    swapped = pprl.Child(given=child.family, family=child.given, sex=child.sex,
                         birth_year=child.birth_year, places=child.places, parents=child.parents)
    enc = pprl.Encoder(secret, params)
    A, B = enc.encode_many([child]), enc.encode_many([swapped])
    zero = np.zeros(1, dtype=np.int64)
    straight, p_straight, _ = pprl.field_features(A, A, zero, zero, params)
    crossed, p_crossed, swap = pprl.field_features(A, B, zero, zero, params)
    # The names agree as fully as in order (read swapped when that reads better)...
    assert sorted(crossed[0, :2]) == sorted(straight[0, :2])
    assert sorted(p_crossed[0, :2]) == sorted(p_straight[0, :2])
    # ...and the other fields are untouched.
    assert (crossed[0, 2:] == straight[0, 2:]).all()
