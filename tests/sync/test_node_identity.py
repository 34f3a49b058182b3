"""``manage.py node init`` gives an installation its keys in the data folder, owner-only
and never in the database; ``node show`` prints its id, kind, name, code, public keys and
a fingerprint short enough to read aloud."""

from __future__ import annotations

import json
import re
import stat

import pytest

from .nodes import Node


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    node = Node(tmp_path_factory.mktemp("identity"), "kaya", "office")
    node.install()
    yield node
    node.stop()


def test_the_keys_and_the_node_file_are_readable_by_their_owner_only(office):
    for name in ("node_keys", "node.json"):
        mode = stat.S_IMODE((office.dir / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert json.loads((office.dir / "node.json").read_text()) == {"kind": "office", "name": "kaya"}


def test_node_show_prints_the_id_kind_code_public_keys_and_a_fingerprint(office):
    shown = office.show()
    assert shown["node_id"] == office.node_id and shown["kind"] == "office"
    assert shown["name"] == "kaya" and shown["code"] == "KAY"
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", shown["fingerprint"])
    keys = office.identity()
    assert (shown["sign_key"], shown["box_key"]) == (keys.sign_key, keys.box_key)
    text = office.manage("node", "show")
    assert f"Empreinte : {shown['fingerprint']}" in text and f"Identifiant : {office.node_id}" in text


def test_the_private_keys_are_not_in_the_database(office):
    private = json.loads((office.dir / "node_keys").read_text())
    dump = office.manage("dumpdata", "--all")
    assert private["signing"] not in dump and private["box"] not in dump
    assert office.show()["sign_key"] not in dump  # nothing of the node's own keys at all


def test_a_second_init_is_refused_and_keeps_the_keys(office):
    before = (office.dir / "node_keys").read_bytes()
    assert "déjà initialisé" in office.refused("node", "init", "--kind", "office", "--name", "autre")
    assert (office.dir / "node_keys").read_bytes() == before


def test_init_refuses_a_kind_the_environment_contradicts(tmp_path):
    node = Node(tmp_path, "bobo", "office")
    assert "YIRI_NODE_KIND" in node.refused("node", "init", "--kind", "relay", "--name", "Bobo")
    assert not (node.dir / "node_keys").exists()
