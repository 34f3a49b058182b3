"""Who may export encodings, of which cases, and who finds which case behind a reference:
the role's export right and scope (as for the CSV export), names readable; a reference
leads to a case only on the node that made it, only for its own exchange and only for a
user who may see that case. Exports and lookups are audited, with no id of a child."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import make_case
from yiri.audit.models import AuditAction, AuditEvent
from yiri.matching import pprl, pprl_cases


def export(secret_file, path, username) -> pprl.Exchange:
    call_command("matching", "pprl-export", str(path), "--user", username, "--secret", str(secret_file))
    return pprl.read_exchange(path, pprl.load_secret(secret_file))


@pytest.mark.parametrize("username", ["worker", "partner", "provider"])
def test_a_role_without_the_export_right_is_refused_and_nothing_is_written(cast, secret_file, tmp_path,
                                                                             username):
    make_case(cast.worker)
    path = tmp_path / "echange.json"
    with pytest.raises(CommandError, match="ne permet pas d'exporter"):
        call_command("matching", "pprl-export", str(path), "--user", username, "--secret", str(secret_file))
    assert not path.exists()


def test_an_unknown_user_is_named(cast, secret_file, tmp_path):
    with pytest.raises(CommandError, match="Utilisateur inconnu ou désactivé : personne"):
        call_command("matching", "pprl-export", str(tmp_path / "e.json"), "--user", "personne",
                     "--secret", str(secret_file))


def test_an_export_holds_the_cases_of_the_users_scope_only(cast, secret_file, tmp_path):
    ours = [make_case(cast.worker, name_first=n) for n in ("Awa", "Mariam")]
    make_case(cast.outsider, name_first="Afi", location_current="TG")  # another organisation's
    exchange = export(secret_file, tmp_path / "e.json", "manager")
    key = pprl_cases.reference_key()
    assert {pprl_cases.read_reference(r, exchange.exchange, key) for r in exchange.refs} == {
        c.pk for c in ours}
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT, user=cast.manager).latest("seq")
    assert event.details == {"kind": "pprl", "count": 2, "exchange": exchange.exchange}
    assert event.record_id is None
    # The national coordinator sees every organisation's cases.
    assert len(export(secret_file, tmp_path / "n.json", "coordinator").refs) == 3


def test_a_reference_leads_to_a_case_only_for_a_user_who_may_see_it(cast, secret_file, tmp_path):
    case = make_case(cast.worker, name_first="Awa")
    path = tmp_path / "e.json"
    (ref,) = export(secret_file, path, "manager").refs
    call_command("matching", "pprl-lookup", str(path), ref, "--user", "manager", "--secret", str(secret_file))
    found = pprl_cases.lookup(cast.manager, path, pprl.load_secret(secret_file), [ref])
    assert [(f.case_id, f.number) for f in found] == [(case.pk, case.short_id)]
    # Someone of another organisation holding our file and our secret learns nothing.
    (outsider,) = pprl_cases.lookup(cast.outsider, path, pprl.load_secret(secret_file), [ref])
    assert outsider.case_id is None and outsider.number == ""
    lookups = AuditEvent.objects.filter(action=AuditAction.SEARCH, details__kind="pprl_lookup")
    assert lookups.count() == 3 and all(e.record_id is None for e in lookups)


def test_a_made_up_moved_or_altered_reference_leads_nowhere(cast, secret_file, tmp_path):
    make_case(cast.worker, name_first="Awa")
    first, second = tmp_path / "un.json", tmp_path / "deux.json"
    (ref,) = export(secret_file, first, "manager").refs
    export(secret_file, second, "manager")
    secret = pprl.load_secret(secret_file)
    altered = ref[:-2] + ("AA" if ref[-2:] != "AA" else "BB")
    for reference, path in ((ref, second), (altered, first), ("r" + "A" * 38, first), ("x", first)):
        (f,) = pprl_cases.lookup(cast.manager, path, secret, [reference])
        assert f.case_id is None, reference
    # Another node (another reference key) cannot read it either.
    doc = json.loads(first.read_text())
    assert pprl_cases.read_reference(ref, doc["exchange"], b"\x00" * 32) is None
