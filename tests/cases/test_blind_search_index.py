"""The search index holds keyed blind indexes, not names: a child typed into a case is
found by name, misspelling, prefix and phone as before, but the name is in no token,
in no column of the record outside the codec, and nowhere in the raw database file once
the codec's own columns are set aside (their encryption is the codec's business)."""

from __future__ import annotations

import io
import sqlite3
import stat
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiri.cases import blind_index
from yiri.cases.apps import BLIND_INDEX_MIGRATION, _rebuild_search_index_if_needed
from yiri.cases.columns import search_tokens
from yiri.cases.identity import read_answers
from yiri.cases.models import RECORD_MODELS, Case, NameToken
from yiri.cases.search import search_cases
from yiri.cases.services import rebuild_search_tokens
from yiri.formconfig.schema import get_schema
from yiri.lib import names
from yiri.sync.models import Operation

from ..api.conftest import client_for as api_client
from ..conftest import ensure_reference_data, make_case

CANARY_LAST = "Ouazzibélé"
CANARY_FIRST = "Tchirikpa"
CANARY_PHONE = "+226 71 98 76 54"
CANARY_FORMS = ("ouazzibele", "ouazzibélé", "Ouazzibélé", "OUAZZIBELE", "wazzibele",
                "tchirikpa", "Tchirikpa", "71987654", "71 98 76 54")


def found(user, **query) -> set:
    return set(search_cases(user, **query).values_list("pk", flat=True))


def canary_case(cast) -> Case:
    """Registered through the API, as a worker's application would."""
    r = api_client(cast.worker).post("/api/v1/cases/", {"answers": {
        "name_first": CANARY_FIRST, "name_last": CANARY_LAST, "sex": "female", "age": 11,
        "registration_date": "2026-01-15", "location_current": "BF-KAD", "phone": CANARY_PHONE,
    }}, format="json")
    assert r.status_code == 201, r.content
    return Case.objects.get(pk=r.json()["id"])


def holds_canary(text) -> bool:
    text = str(text)
    return any(form in text for form in CANARY_FORMS) or any(
        form.lower() in text.lower() for form in CANARY_FORMS)


@pytest.fixture
def keep_reference_data(django_db_blocker):
    """A transactional test empties every table when it ends; put the places, forms and
    roles back for the tests that come after."""
    yield
    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture
def key_file(settings, tmp_path):
    settings.YIRI_INDEX_KEY_FILE = tmp_path / "keys" / "search_index_key"
    return settings.YIRI_INDEX_KEY_FILE


# ----------------------------------------------------------------- nothing in clear

def test_a_typed_name_and_phone_are_in_no_token_and_no_record_column(cast):
    case = canary_case(cast)
    tokens = list(NameToken.objects.filter(record_id=case.pk).values_list("token", flat=True))
    assert len(tokens) > 20  # word, prefixes and phonetic key of each name, and the phone
    assert not any(holds_canary(t) for t in tokens)
    assert all(len(t) == blind_index.TOKEN_LENGTH for t in tokens)
    assert not any(":" in t for t in tokens)  # none of the former n:/p:/t: tokens
    assert not hasattr(case, "sort_name")
    columns = [f.column for f in Case._meta.concrete_fields if f.name != "identity_blob"]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(Case._meta.db_table)} "
                       f"WHERE {quote('id')} = %s", [Case._meta.pk.get_db_prep_value(case.pk, connection)])
        row = cursor.fetchone()
    assert row is not None and not any(holds_canary(v) for v in row)


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_the_name_is_nowhere_in_the_raw_sqlite_file_outside_the_codecs_columns(
        keep_reference_data, transactional_db, cast, tmp_path):
    canary_case(cast)
    copy = tmp_path / "copy.sqlite3"
    with connection.cursor() as cursor:  # committed: this test is transactional
        cursor.execute("VACUUM INTO %s", [str(copy)])
    raw = copy.read_bytes()
    db = sqlite3.connect(copy)
    # The codec's columns (identifying answers, sealed change-log values) are set aside:
    # encrypting them is another change's test. Everything else stays as written.
    for model in RECORD_MODELS.values():
        db.execute(f'UPDATE "{model._meta.db_table}" SET identity_blob = \'\'')
    db.execute(f'UPDATE "{Operation._meta.db_table}" SET sealed_changes = \'\'')
    db.commit()
    db.execute("VACUUM")
    db.close()
    stripped = copy.read_bytes()
    assert raw and Case.objects.filter(pk__in=NameToken.objects.values("record_id")).exists()
    for form in CANARY_FORMS:
        for variant in {form, form.lower(), form.upper()}:
            assert variant.encode("utf-8") not in stripped, variant
            assert variant.encode("utf-16-le") not in stripped, variant


# ----------------------------------------------------------------- found as before

@pytest.mark.parametrize("typed", [
    CANARY_LAST, "ouazzibele", "OUAZZIBELE",      # exact, any case and accents
    "Wazibele", "wazzibélé",                      # misspelled: same phonetic key
    "ouazz", "o", "tchir",                         # the beginning of a name word
    "Tchirikpa Ouazzibélé", "ouazzibele tchirikpa",  # several words, any order
])
def test_the_case_is_found_by_name_misspelling_and_prefix(cast, typed):
    case = canary_case(cast)
    assert case.pk in found(cast.worker, q=typed)


def test_the_case_is_found_by_phone_digits_and_not_by_other_names(cast):
    case = canary_case(cast)
    other = make_case(cast.worker)
    assert found(cast.worker, phone="71987654") == {case.pk}
    assert found(cast.worker, phone="00226 71 98 76 54") == {case.pk}
    assert found(cast.worker, phone="71987655") == set()
    # One letter more is a typo and finds the name (issue 10); three letters more do not.
    assert found(cast.worker, q="ouazzibelex") == {case.pk}
    assert found(cast.worker, q="ouazzibelexyz") == set()
    assert found(cast.worker, q="zibele") == set()  # the middle of a name is not a prefix
    assert found(cast.worker, q="awa") == {other.pk}
    assert found(cast.colleague, q=CANARY_LAST) == set()  # scope still applies


# ----------------------------------------------------------------- the key

def test_the_key_is_made_owner_only_on_first_use_where_the_setting_says(cast, key_file):
    assert not key_file.exists()
    make_case(cast.worker)
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert blind_index.ring().current.id in key_file.read_text()


def test_an_unreadable_key_file_says_what_to_do(key_file):
    key_file.parent.mkdir(parents=True)
    key_file.write_text("pas une clé")
    with pytest.raises(blind_index.IndexKeyError, match="rebuild_search_index --new-key"):
        blind_index.ring()


def test_another_key_gives_other_tokens(cast, settings, tmp_path):
    schema = get_schema("case")
    answers = {"name_first": CANARY_FIRST, "name_last": CANARY_LAST, "phone": CANARY_PHONE}
    settings.YIRI_INDEX_KEY_FILE = tmp_path / "a"
    first = search_tokens(schema, answers)
    assert search_tokens(schema, answers) == first  # same key, same tokens
    settings.YIRI_INDEX_KEY_FILE = tmp_path / "b"
    second = search_tokens(schema, answers)
    assert len(second) == len(first) and not first & second
    a, b = blind_index.IndexKey("aaaa", b"\1" * 32), blind_index.IndexKey("aaaa", b"\2" * 32)
    assert not blind_index.word_tokens("kofi", a) & blind_index.word_tokens("kofi", b)


def test_kinds_are_separated_in_the_hmac():
    key = blind_index.IndexKey("abcd", b"k" * 32)
    values = {kind: key.token(kind, "kf") for kind in
              (blind_index.WORD, blind_index.PREFIX, blind_index.PHONETIC, blind_index.PHONE)}
    assert len(set(values.values())) == 4


# ----------------------------------------------------------------- key change

QUERIES = [{"q": "ouazzibele"}, {"q": "wazibele"}, {"q": "ouaz"}, {"q": "awa"}, {"q": "ouedraogo"},
           {"q": "wedraogo issa"}, {"q": "diallo"}, {"q": "jallo"}, {"phone": "71987654"},
           {"phone": "70123456"}, {"q": "k"}]


def results(user) -> list[set]:
    return [found(user, **q) for q in QUERIES]


def test_search_results_are_the_same_after_a_key_change(cast, key_file):
    canary_case(cast)
    make_case(cast.worker, phone="+226 70 12 34 56")
    make_case(cast.worker, name_first="Issa", name_last="Diallo", sex="male")
    make_case(cast.worker, name_first="Koffi", name_last="Kaboré")
    before = results(cast.worker)
    old_tokens = set(NameToken.objects.values_list("token", flat=True))
    old_id = blind_index.ring().current.id
    out = io.StringIO()
    call_command("rebuild_search_index", "--new-key", stdout=out)
    ring = blind_index.ring()
    assert len(ring.keys) == 1 and ring.current.id != old_id
    new_tokens = set(NameToken.objects.values_list("token", flat=True))
    assert len(new_tokens) == len(old_tokens) and not new_tokens & old_tokens
    assert all(t.startswith(ring.current.id) for t in new_tokens)
    assert results(cast.worker) == before
    assert sum(bool(r) for r in before) >= 9
    text = out.getvalue()
    assert "Nouvelle clé d'index" in text and "(100 %)" in text and "Clé d'index remplacée" in text
    assert not holds_canary(text)


def test_during_a_key_change_records_under_either_key_are_found(cast, key_file):
    old_case = canary_case(cast)
    blind_index.begin_rotation()
    new_case = make_case(cast.worker, name_last="Ouazzibele")  # indexed under the new key
    assert found(cast.worker, q="ouazzibele") == {old_case.pk, new_case.pk}
    assert found(cast.worker, q="wazibele") == {old_case.pk, new_case.pk}


def test_a_record_written_under_the_old_key_during_the_change_is_indexed_again(cast, key_file,
                                                                                monkeypatch):
    """A server process that had not yet seen the new key stores tokens under the old one
    while the rebuild runs: the command finds them and rebuilds that record."""
    from yiri.cases.management.commands import rebuild_search_index as command

    case = canary_case(cast)
    old_key = blind_index.ring().current
    original = command.Command._rebuild_all

    def rebuild_then_a_late_write(self):
        original(self)
        answers = read_answers(Case.objects.get(pk=case.pk), get_schema("case"))
        late = {t for w in names.tokens(f"{CANARY_FIRST} {CANARY_LAST}")
                for t in blind_index.word_tokens(w, old_key)}
        assert answers["name_last"] == CANARY_LAST
        NameToken.objects.filter(record_id=case.pk).delete()
        NameToken.objects.bulk_create(NameToken(record_type="case", record_id=case.pk, token=t)
                                      for t in late)

    monkeypatch.setattr(command.Command, "_rebuild_all", rebuild_then_a_late_write)
    call_command("rebuild_search_index", "--new-key", stdout=open("/dev/null", "w"))
    current = blind_index.ring().current
    assert current.id != old_key.id
    assert all(t.startswith(current.id) for t in NameToken.objects.values_list("token", flat=True))
    assert found(cast.worker, q="ouazzibele") == {case.pk}
    assert found(cast.worker, phone="71987654") == {case.pk}


def test_the_index_is_rebuilt_after_the_migration_that_removed_clear_tokens(cast):
    case = canary_case(cast)
    NameToken.objects.all().delete()
    other = SimpleNamespace(app_label="cases", name="0006_field_clocks")
    _rebuild_search_index_if_needed(None, plan=[(other, False)], verbosity=0)
    assert not NameToken.objects.exists()
    ours = SimpleNamespace(app_label="cases", name=BLIND_INDEX_MIGRATION)
    _rebuild_search_index_if_needed(None, plan=[(ours, True)], verbosity=0)  # backwards
    assert not NameToken.objects.exists()
    _rebuild_search_index_if_needed(None, plan=[(ours, False)], verbosity=0)
    assert found(cast.worker, q="wazibele") == {case.pk}


def test_a_database_indexed_under_another_key_is_reindexed_at_the_next_migrate(cast, settings, tmp_path):
    """A database restored on a machine without its index key: ``migrate`` (run.sh runs
    it at every start) sees tokens of a key it does not hold and rebuilds them."""
    case = canary_case(cast)
    settings.YIRI_INDEX_KEY_FILE = tmp_path / "another_machine_key"
    assert found(cast.worker, q="ouazzibele") == set()  # the old tokens mean nothing here
    _rebuild_search_index_if_needed(None, plan=None, verbosity=0)  # a flush: nothing done
    assert found(cast.worker, q="ouazzibele") == set()
    out = io.StringIO()
    _rebuild_search_index_if_needed(None, plan=[], verbosity=1, stdout=out)
    assert "calculé sous une autre clé" in out.getvalue()
    assert found(cast.worker, q="ouazzibele") == {case.pk}
    tokens = NameToken.objects.values_list("token", flat=True)
    assert all(t.startswith(blind_index.ring().current.id) for t in tokens)
    again = io.StringIO()
    _rebuild_search_index_if_needed(None, plan=[], verbosity=1, stdout=again)
    assert again.getvalue() == ""  # under this node's key now: nothing to do


def test_rebuilding_part_of_the_index_reports_its_progress(cast):
    cases = [make_case(cast.worker) for _ in range(3)]
    seen = []
    rebuild_search_tokens("case", batch_size=2, ids=[c.pk for c in cases],
                          progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 3), (3, 3)]


# ----------------------------------------------------------------- properties

SCRIPTS = st.characters(categories=["L", "M", "Nd", "Zs", "Pd", "Po"])
unicode_names = st.text(alphabet=SCRIPTS, min_size=1, max_size=30)
latin_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèêëïîôöüçàâ' -ɛɔŋ", min_size=1, max_size=30)


@given(name=st.one_of(unicode_names, latin_names, st.sampled_from(
    ["محمد", "Мамаду", "Ɛfua Ŋɔ", "ߡߊߡߊߘߎ", "Kɔfi Amɛga", "N'Diaye-Ouédraogo", "ẸYỌ́", "阿瓦"])))
@settings(max_examples=200)
def test_query_tokens_meet_the_stored_tokens_for_any_name(name):
    key = blind_index.IndexKey("a1b2", b"s" * 32)
    ring = blind_index.KeyRing((key,))
    words = names.tokens(name)
    stored = set().union(*(blind_index.word_tokens(w, key) for w in words)) if words else set()
    again = set().union(*(blind_index.word_tokens(w, key) for w in names.tokens(name))) if words else set()
    assert stored == again  # deterministic
    for word in words:
        assert set(blind_index.query_word_tokens(word, ring)) & stored
        for n in range(1, len(word) + 1):  # every beginning of the word finds it
            assert set(blind_index.query_word_tokens(word[:n], ring)) & stored
        assert set(blind_index.query_word_tokens(names.tokens(word.upper())[0], ring)) & stored
    assert all(len(t) == blind_index.TOKEN_LENGTH and t.startswith("a1b2") for t in stored)
    assert not any(w in t for w in words if len(w) >= 6 for t in stored)


class _Undo(Exception):
    pass


named = latin_names.filter(lambda s: bool(names.tokens(s)))


@given(last=st.one_of(named, st.sampled_from(["Ouédraogo", "Wedraogo", "Kɔfi", "Sawadogo"])),
       first=named)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_case_is_found_by_each_word_of_its_names_typed_any_way(cast, last, first):
    try:
        with transaction.atomic():
            case = make_case(cast.worker, name_last=last, name_first=first)
            for word in names.tokens(f"{first} {last}"):
                for typed in (word, word.upper(), word[: max(1, len(word) // 2)]):
                    assert case.pk in found(cast.worker, q=typed), (first, last, typed)
            raise _Undo
    except _Undo:
        pass
