"""The exchange file holds no name and no case id or number: not as typed, normalised,
JSON-escaped or in base64 — while the same cases are in it (their references lead back to
them on this node), so the test would see a name if the encoding leaked it."""

from __future__ import annotations

import base64
import uuid

from django.core.management import call_command

from tests.backup.test_no_child_name_in_a_backup_file import found
from tests.conftest import make_case
from yiri.cases.identity import read_identity
from yiri.lib import names
from yiri.matching import pprl, pprl_cases

FIRST, LAST = "Zyxquelinde", "Ouobrakyanga"
MOTHER = "Pélagienne Xantrobéga"


def id_forms(case) -> list[bytes]:
    pk = uuid.UUID(str(case.pk))
    return [str(pk).encode(), pk.hex.encode(), pk.hex.upper().encode(), case.short_id.encode(),
            base64.b64encode(pk.bytes)[:20], base64.urlsafe_b64encode(pk.bytes)[:20]]


def test_the_file_holds_no_name_and_no_case_id(cast, secret_file, tmp_path):
    canary = make_case(cast.worker, name_first=FIRST, name_last=LAST, name_middle="Quorbéline",
                       family_details=[{"relation": "mother", "relation_name": MOTHER}])
    others = [make_case(cast.worker, name_first=f, name_last=n)
              for f, n in (("Awa", "Ouédraogo"), ("Mariam", "Sawadogo"), ("Kodjo", "Agbeko"))]
    out = tmp_path / "echange.json"
    call_command("matching", "pprl-export", str(out), "--user", "manager", "--secret", str(secret_file))
    data = out.read_bytes()

    # Canary names: long and made up, so that base64 cannot hold them by chance (it does
    # hold "AWA" somewhere in 4 × 224 random-looking bytes).
    for word in (FIRST, LAST, "Quorbéline", *MOTHER.split()):
        for form in {word, names.normalise(word), names.normalise(word).upper()}:
            assert not found(form, data), form
    for case in (canary, *others):
        for form in id_forms(case):
            assert form not in data, form

    # The check can fail: the names are in the cases, and the file holds those cases.
    assert read_identity(canary)["fields"]["name_first"] == FIRST
    exchange = pprl.read_exchange(out, pprl.load_secret(secret_file))
    assert len(exchange.refs) == 4
    key = pprl_cases.reference_key()
    back = {pprl_cases.read_reference(ref, exchange.exchange, key) for ref in exchange.refs}
    assert back == {uuid.UUID(str(c.pk)) for c in (canary, *others)}


def test_two_exports_of_the_same_cases_share_no_reference_and_no_array(cast, secret_file, tmp_path):
    make_case(cast.worker, name_first=FIRST, name_last=LAST)
    make_case(cast.worker, name_first="Awa", name_last="Ouédraogo")
    secret = pprl.load_secret(secret_file)
    files = []
    for name in ("un.json", "deux.json"):
        call_command("matching", "pprl-export", str(tmp_path / name), "--user", "manager",
                     "--secret", str(secret_file))
        files.append(pprl.read_exchange(tmp_path / name, secret))
    first, second = files
    assert first.exchange != second.exchange
    assert not set(first.refs) & set(second.refs)
    # The field layout flips a few bits at random at each export (BLIP): equal children
    # do not give equal arrays, in one file or across files.
    rows_a = {bytes(r.tobytes()) for r in first.matrix}
    rows_b = {bytes(r.tobytes()) for r in second.matrix}
    assert not rows_a & rows_b
