"""Name normalisation and match keys (docs/matching.md, "Noms"): one example per rule,
properties over generated names, the given-name forms table and its extension by an
administrator, and what lands in the token table (blind indexes only, the same keys
whatever the database)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiri.cases import blind_index
from yiri.cases.columns import search_tokens
from yiri.cases.models import NameToken
from yiri.cases.search import search_cases
from yiri.formconfig.models import Lookup, LookupValue
from yiri.formconfig.schema import get_schema
from yiri.lib import names
from yiri.matching import names as forms
from yiri.matching.candidates import word_similarity

from ..conftest import make_case

pytestmark = pytest.mark.django_db  # the forms table reads the administrator's groups

# ----------------------------------------------------------------- one example per rule

SAME_SOUND = [
    ("AÏCHA", "aicha"),  # case and accents
    ("Kɔfi", "Kofi"),  # West African letters
    ("Ouattara", "Ouatara"), ("Barry", "Bary"),  # doubled letters
    ("Ouédraogo", "Wedraogo"), ("Ouédraogo", "Uedraogo"), ("Kouamé", "Kwame"),  # ou / w / u
    ("Yaméogo", "Iameogo"), ("Coulibaly", "Kulibali"),  # y / i, c / k
    ("Compaoré", "Kompaore"), ("Cissé", "Sissé"), ("Cheick", "Cheikh"),  # c, k, q, ck
    ("Tchalla", "Challa"), ("Tchalla", "Shala"),  # tch / ch / sh
    ("Diallo", "Djallo"), ("Diallo", "Jallo"), ("Agbodjan", "Agbojan"),  # di / dj / j
    ("Agbodjan", "Abodjan"), ("Kpodar", "Podar"),  # gb, kp
    ("Philomène", "Filomène"), ("Thiombiano", "Tiombiano"), ("Zongho", "Zongo"),  # ph th gh
    ("Hawa", "Awa"),  # initial h
    ("Traoret", "Traoré"), ("Aminatte", "Aminata"),  # silent finals
    ("محمد", "Mohamed"), ("محمد", "Mahamadou"),  # Arabic script, romanised
]


@pytest.mark.parametrize(("a", "b"), SAME_SOUND)
def test_spellings_of_one_spoken_name_share_the_sound_key(a, b):
    assert names.sound_key(a) == names.sound_key(b) != ""


@pytest.mark.parametrize(("a", "b"), [("Ouédraogo", "Sawadogo"), ("Issa", "Awa"),
                                      ("Kaboré", "Kinda"), ("Diallo", "Traoré")])
def test_different_names_keep_different_sound_keys(a, b):
    assert names.sound_key(a) != names.sound_key(b)


def test_apostrophes_and_hyphens_index_the_parts_and_the_joined_name():
    assert names.key_words("N'Diaye") == ["n", "diaye", "ndiaye"]
    assert names.key_words("Ba-Traoré") == ["ba", "traore", "batraore"]


def test_particles_weigh_nothing_unless_alone():
    assert names.significant(names.tokens("Moussa dit Madou")) == ["moussa", "madou"]
    assert names.significant(names.tokens("Ould Mohamed")) == ["mohamed"]
    assert names.significant(["de"]) == ["de"]


def test_names_in_other_scripts_are_kept_and_also_written_in_latin_letters():
    assert names.key_words("محمد") == ["محمد", "mhmd"]
    assert names.key_words("ߡߊߡߊߘߎ") == ["ߡߊߡߊߘߎ", "mamadu"]


@pytest.mark.parametrize(("typed", "name"), [
    ("sawadoko", "sawadogo"),  # a letter replaced
    ("ouedrago", "ouedraogo"),  # a letter dropped
    ("kdojo", "kodjo"),  # two letters swapped
    ("rocia", "rokia"),  # short name
    ("tccalla", "tchalla"),
])
def test_one_typo_still_matches(typed, name):
    assert word_similarity(typed, name) >= 0.65


@pytest.mark.parametrize(("typed", "name"), [
    ("zibele", "ouazzibele"),  # the middle of a name is not a typo
    ("issa", "awa"), ("kabore", "kinda"), ("ouedraogo", "sawadogo"),
])
def test_other_names_do_not_match(typed, name):
    assert word_similarity(typed, name) == 0


@pytest.mark.parametrize(("short", "long"), [
    ("madou", "mahamadou"), ("mamadou", "mahamadou"), ("fati", "fatimata"),
    ("fatoumata", "fatimata"), ("laye", "abdoulaye"), ("ablaye", "abdoulaye"),
    ("bakary", "boukary"), ("boukari", "boukary"),
])
def test_short_forms_and_other_forms_of_a_given_name_match(short, long):
    assert word_similarity(short, long) >= 0.9


def test_amadou_is_not_mahamadou():
    assert "amadou" not in forms.variants("mahamadou")
    assert word_similarity("amadou", "mahamadou") < 0.9


def test_every_shipped_group_has_two_forms_or_more_and_each_form_is_normalised():
    groups = forms.shipped_groups()
    assert len(groups) >= 40
    for group in groups:
        assert len(group) >= 2
        assert all(f == names.normalise(f).replace(" ", "") for f in group)


def test_an_administrator_adds_a_group_in_the_admin_and_search_uses_it(cast):
    case = make_case(cast.worker, name_first="Wendpanga", name_last="Zoungrana")
    forms.TABLE.forget()
    assert case.pk not in set(search_cases(cast.worker, q="Panga Zoungrana").values_list("pk", flat=True))
    lookup, _ = Lookup.objects.get_or_create(code=forms.LOOKUP_CODE,
                                             defaults={"name_fr": "Formes des prénoms"})
    LookupValue.objects.create(lookup=lookup, code="wendpanga", label_fr="Wendpanga; Panga")
    forms.TABLE.forget()
    try:
        assert "panga" in forms.variants("wendpanga")
        assert case.pk in set(search_cases(cast.worker, q="Panga Zoungrana").values_list("pk", flat=True))
    finally:
        forms.TABLE.forget()


# ----------------------------------------------------------------- properties

LETTERS = "abcdefghijklmnopqrstuvwxyzéèêëïîôöüçàâɛɔŋ'-"
words = st.text(alphabet=LETTERS, min_size=1, max_size=14).filter(lambda w: names.tokens(w))
full = st.tuples(words, words)


@given(text=st.text(max_size=40))
def test_normalising_twice_changes_nothing(text):
    once = names.normalise(text)
    assert names.normalise(once) == once
    assert names.tokens(once) == names.tokens(text)


@given(word=words)
def test_keys_ignore_letter_case_and_accents(word):
    stripped = names.normalise(word)
    for variant in (word.upper(), word.title(), stripped):
        assert names.tokens(variant) == names.tokens(word)
        assert [names.sound_key(w) for w in names.tokens(variant)] == \
            [names.sound_key(w) for w in names.tokens(word)]


@settings(max_examples=50)
@given(name=full)
def test_the_order_of_given_and_family_names_does_not_change_the_tokens(name):
    first, last = name
    ring = blind_index.KeyRing((blind_index.IndexKey("t3st", b"q" * 32),))
    key = ring.current
    one = set().union(*(blind_index.word_tokens(w, key)
                        for w in names.key_words(first) + names.key_words(last)))
    two = set().union(*(blind_index.word_tokens(w, key)
                        for w in names.key_words(last) + names.key_words(first)))
    assert one == two


# ----------------------------------------------------------------- what is stored

CANARY_FIRST, CANARY_LAST, CANARY_MOTHER = "Tchirikpa", "Ouazzibélé", "Nyabaliwè"


def test_no_clear_name_key_or_part_of_one_lands_in_the_token_table(cast):
    case = make_case(cast.worker, name_first=CANARY_FIRST, name_last=CANARY_LAST,
                     name_nickname="محمد", family_details=[
                         {"relation": "mother", "relation_name": f"{CANARY_MOTHER} Kaboré"}])
    tokens = list(NameToken.objects.filter(record_id=case.pk).values_list("token", flat=True))
    assert len(tokens) > 60
    clear = set()
    for w in names.key_words(f"{CANARY_FIRST} {CANARY_LAST} {CANARY_MOTHER} محمد"):
        clear |= {w, names.spelling(w), names.sound_key(w), *names.deletion_keys(w),
                  *names.deletion_keys(names.sound_key(w))}
    clear = {c for c in clear if len(c) >= 4}
    assert clear
    assert all(len(t) == blind_index.TOKEN_LENGTH for t in tokens)
    assert not any(c in t or c in t.lower() for c in clear for t in tokens)


def test_the_stored_tokens_are_the_pure_keys_under_the_index_key_on_any_database(cast):
    """Computed in Python by the write path, read back from whichever database runs the
    test (SQLite or PostgreSQL): the same set; and the keys themselves are fixed."""
    case = make_case(cast.worker, name_first="Mahamadou", name_last="Ouédraogo")
    stored = set(NameToken.objects.filter(record_id=case.pk).values_list("token", flat=True))
    answers = {"name_first": "Mahamadou", "name_last": "Ouédraogo", "phone": ""}
    assert stored == search_tokens(get_schema("case"), answers)
    assert [names.sound_key(w) for w in ("Mahamadou", "Ouédraogo", "Tchalla", "Sawadogo")] == \
        ["mhmd", "adrg", "xl", "sdg"]
    ring = blind_index.ring()
    assert ring.token(blind_index.SOUND, "adrg") in stored


def test_a_parents_name_ranks_the_child_but_never_finds_it_alone(cast):
    child = make_case(cast.worker, name_first="Awa", name_last="Zongo",
                      family_details=[{"relation": "mother", "relation_name": "Poko Sawadogo"}])
    other = make_case(cast.worker, name_first="Awa", name_last="Zongo")
    assert list(search_cases(cast.worker, q="Sawadogo")) == []
    assert set(search_cases(cast.worker, q="Awa Zongo")) == {child, other}
    assert list(search_cases(cast.worker, q="Awa Zongo", parent="Poko Sawadogo"))[0] == child
