"""What relay cells are for: an office's backup is encrypted to its parent's key too, so the
relay cell restores an office whose computer died, with its own key, into a new
installation that takes the office's identity; and the office's backup report travels up
with the sync, so the relay's status page shows the age of its last verified backup."""

from __future__ import annotations

import pytest

from tests.sync.nodes import SETUP_NETWORK, link

from .conftest import header_of, new_node, run

MAKE_KEYS = ("from yiri.sync import identity\n"
             "result = (identity.load() if identity.has_keys() else identity.create()).box_key")

CREATE = """
from yiri.accounts.models import User
from yiri.cases.services import create_record
w = User.objects.get(username="worker")
for first in ("Awa", "Fatimata", "Issouf"):
    create_record(w, "case", {"name_first": first, "name_last": "Ouédraogo", "sex": "female",
                              "age": 12, "registration_date": "2026-11-01"})
"""

# The page as the relay's server renders it (static files named as they are: the node's
# data folder has no collected copy).
STATUS_PAGE = """
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from yiri.accounts.models import User
storages = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
pages = {}
with override_settings(STORAGES=storages):
    for name in ("relay", "outsider"):
        c = Client(HTTP_HOST="localhost")
        user = User.objects.get(username=name)
        c.force_login(user)
        # Signed in with both factors (yiri/accounts/two_factor.py), as tests/conftest.py does.
        device = TOTPDevice.objects.get_or_create(user=user, defaults={"confirmed": True})[0]
        session = c.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        r = c.get("/sync/status/")
        pages[name] = [r.status_code, r.content.decode()]
result = pages
"""


@pytest.fixture(scope="module")
def cell(tmp_path_factory):
    root = tmp_path_factory.mktemp("relay-cell")
    national = new_node(root, "national", "national")
    relay, office = new_node(root, "relay", "relay"), new_node(root, "kaya")
    try:
        for node in (national, relay, office):
            node.install()
            node.box_key = node.script(MAKE_KEYS)
        national.script(SETUP_NETWORK)
        national.serve()
        relay.serve()
        link(national, relay, "ACE,BTA")  # a relay cell enrols offices once it has joined
        relay.sync()
        link(relay, office, "ACE")  # the office records its relay's keys
        office.sync()
        office.script(CREATE)
        folder = root / "office-backups"
        office.manage("backup", "--out", str(folder))
        path = next(folder.glob("*.ybk"))
        digest = office.digest()
        office.sync()  # the cases and the backup report go up
        yield relay, office, path, digest
    finally:
        for node in (national, relay, office):
            node.stop()


def test_an_office_backup_is_sealed_to_the_office_and_to_its_relay_cell(cell):
    relay, office, path, _ = cell
    recipients = {r["role"]: r for r in header_of(path)["recipients"]}
    assert recipients["self"]["box_key"] == office.box_key
    assert recipients["parent"]["box_key"] == relay.box_key
    assert recipients["parent"]["node_id"] == relay.node_id


def test_the_relay_cell_restores_a_dead_offices_backup_with_its_own_key(cell, nodes):
    relay, office, path, digest = cell
    new = nodes("kaya-new")
    new.env.pop("YIRI_NODE_ID")  # a new machine: its own generated node id, its own keys
    new.script(MAKE_KEYS)
    refused = run(new, "restore", str(path))
    assert refused.returncode == 1
    assert "pas chiffrée pour ces clés" in refused.stderr
    done = run(new, "restore", str(path), "--key-file", str(relay.dir / "node_keys"))
    assert done.returncode == 0, done.stderr
    assert f"prend l'identité du nœud {office.node_id}" in done.stdout
    assert "nouvel enrôlement" in done.stdout  # its keys are not the office's
    assert (new.dir / "node_id").read_text().strip() == office.node_id
    assert new.digest() == digest
    assert new.script("from django.conf import settings\nresult = settings.YIRI_NODE_ID") == office.node_id


def test_the_relay_cell_verifies_an_offices_backup_with_its_own_key(cell):
    relay, office, path, _ = cell
    out = relay.manage("backup", "verify", str(path), "--key-file", str(relay.dir / "node_keys"))
    assert f"Sauvegarde vérifiée : OK — nœud {office.node_id}" in out


def test_the_relay_status_page_shows_the_offices_last_verified_backup(cell):
    relay, office, path, _ = cell
    backup_id = header_of(path)["backup_id"]
    assert relay.script("from yiri.backup.models import BackupReport\n"
                        f"r = BackupReport.objects.get(backup_id={backup_id!r})\n"
                        "result = [r.node_id, r.ok]") == [office.node_id, True]
    pages = relay.script(STATUS_PAGE)
    assert pages["outsider"][0] == 403
    status, html = pages["relay"]
    assert status == 200
    assert "kaya</strong> — dernière sauvegarde vérifiée : <span>aujourd&#x27;hui</span>" in html
    assert "Ce nœud</strong> — dernière sauvegarde vérifiée : <span class=\"field-error\">aucune" in html


HELD = """
import json
from pathlib import Path
from django.conf import settings
folder = Path(settings.DATA_DIR) / "child_backups" / %(node)r
result = sorted([p.name, json.loads(p.read_text())["ok"]] for p in folder.glob("*.check.json"))
"""


def test_an_office_sends_its_backup_to_its_relay_which_verifies_and_keeps_it(cell):
    relay, office, path, _digest = cell
    out = office.manage("backup", "send", str(path))
    assert "vérifiée et la garde" in out
    held = relay.script(HELD % {"node": office.node_id})
    assert held == [[path.name + ".check.json", True]]
    kept = relay.dir / "child_backups" / office.node_id
    assert (kept / path.name).read_bytes() == path.read_bytes()
    assert (kept / "keys.ykeys").read_bytes() == (path.parent / "keys.ykeys").read_bytes()
    assert oct((kept / path.name).stat().st_mode & 0o777) == "0o600"
    page = relay.script(STATUS_PAGE)
    assert "copie gardée ici" in page["relay"][1]


def test_a_backup_carried_on_a_stick_is_received_by_the_relay(cell, tmp_path):
    relay, office, path, _digest = cell
    stick = tmp_path / path.name
    stick.write_bytes(path.read_bytes())
    out = relay.manage("backup", "receive", str(stick))
    assert "vérifiée et gardée" in out


def test_a_damaged_backup_or_one_from_a_stranger_is_refused_and_nothing_is_kept(cell, tmp_path):
    relay, office, path, _digest = cell
    before = relay.script(HELD % {"node": office.node_id})
    damaged = tmp_path / path.name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    refused = relay.refused("backup", "receive", str(damaged))
    assert "abîm" in refused or "modifi" in refused or "NON conforme" in refused, refused
    # The relay's own backup is not that of a child of the relay.
    own = tmp_path / "own"
    relay.manage("backup", "--out", str(own), "--no-verify")
    stranger = next(own.glob("*.ybk"))
    refused = relay.refused("backup", "receive", str(stranger))
    assert "nœud enfant" in refused
    assert relay.script(HELD % {"node": relay.node_id}) == []
    assert relay.script(HELD % {"node": office.node_id}) == before


def test_an_unsigned_upload_is_refused(cell):
    import urllib.error
    import urllib.request

    relay, _office, path, _digest = cell
    request = urllib.request.Request(relay.url + "/sync/v1/backup", data=path.read_bytes(),
                                     method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403
