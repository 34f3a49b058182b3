"""Places, member organisations and users: checked row by row (bad rows listed, nothing
written), written through the synchronised write path, and skipped when their code (user
name) is already there, so a re-import creates nothing."""

from __future__ import annotations

from yiri.accounts.models import User
from yiri.imports.services import check_batch, create_batch, run_import, set_mapping
from yiri.network.models import Agency, Location
from yiri.sync.models import Operation

from .data import csv_bytes


def run(user, kind, headers, rows, mapping):
    batch = create_batch(user, kind, "liste.csv", csv_bytes(rows, headers))
    set_mapping(user, batch, mapping)
    check_batch(batch)
    return run_import(batch)


PLACES = (["Code", "Nom", "Niveau", "Parent"],
          {"Code": "code", "Nom": "name", "Niveau": "level", "Parent": "parent"})


def test_places_are_imported_parent_first_and_once(cast):
    headers, mapping = PLACES
    rows = [["BF-03-XA", "Commune test", "Commune", "BF-03"],
            ["BF-03-XA-1", "Village test", "village", "BF-03-XA"]]
    batch = run(cast.admin, "location", headers, rows, mapping)
    assert batch.created_count == 2
    village = Location.objects.get(code="BF-03-XA-1")
    assert village.path.endswith("BF-03/BF-03-XA/BF-03-XA-1/")
    assert Operation.objects.filter(entity_id=village.pk).exists()
    again = run(cast.admin, "location", headers, rows, mapping)
    assert again.created_count == 0 and again.skipped_rows == 2


def test_bad_places_are_listed_and_none_written(cast):
    headers, mapping = PLACES
    before = Location.objects.count()
    rows = [["BF-03-XB", "Bonne", "commune", "BF-03"],
            ["BF-03-XC", "Sans parent", "commune", "NULLE-PART"],
            ["BF-03-XD", "Niveau faux", "quartier", "BF-03"],
            ["BF-03-XB", "Deux fois", "commune", "BF-03"]]
    batch = create_batch(cast.admin, "location", "l.csv", csv_bytes(rows, headers))
    set_mapping(cast.admin, batch, mapping)
    check_batch(batch)
    by_line = {e["line"]: " ".join(e["messages"]) for e in batch.errors}
    assert sorted(by_line) == [3, 4, 5]
    assert "parent inconnu" in by_line[3]
    assert "Niveau inconnu" in by_line[4]
    assert "ligne 2" in by_line[5]
    run_import(batch)
    assert Location.objects.count() == before


def test_organisations_are_imported_with_their_regions(cast):
    headers = ["Code", "Nom", "Sigle", "Pays", "Régions", "Courriel"]
    mapping = {"Code": "code", "Nom": "name", "Sigle": "acronym", "Pays": "country",
               "Régions": "regions", "Courriel": "email"}
    rows = [["KEO", "Keoogo", "KEO", "BF", "BF-03", "contact@keoogo.example"]]
    batch = run(cast.admin, "organisation", headers, rows, mapping)
    assert batch.created_count == 1
    keo = Agency.objects.get(code="KEO")
    assert list(keo.regions.values_list("code", flat=True)) == ["BF-03"]
    bad = create_batch(cast.admin, "organisation", "o.csv", csv_bytes(
        [["ZZ", "Z", "", "Atlantide", "", "pas-un-courriel"]], headers))
    set_mapping(cast.admin, bad, mapping)
    check_batch(bad)
    assert "Pays inconnu" in str(bad.errors) and "courriel invalide" in str(bad.errors)
    assert run(cast.admin, "organisation", headers, rows, mapping).created_count == 0


def test_users_are_imported_without_a_password(cast):
    headers = ["Identifiant", "Prénom", "Nom", "Rôle", "Organisation"]
    mapping = {"Identifiant": "username", "Prénom": "first_name", "Nom": "last_name",
               "Rôle": "role", "Organisation": "agency"}
    rows = [["akabore", "Aline", "Kaboré", "Travailleur social", "ACE"],
            ["WORKER", "Déjà", "Là", "case_worker", "ACE"]]  # the cast's "worker"
    batch = run(cast.admin, "user", headers, rows, mapping)
    assert batch.created_count == 1 and batch.skipped_rows == 1
    aline = User.objects.get(username="akabore")
    assert aline.role.code == "case_worker" and aline.agency == cast.ace
    assert not aline.has_usable_password()
    bad = create_batch(cast.admin, "user", "u.csv", csv_bytes(
        [["x y", "A", "B", "pilote", "NOPE"]], headers))
    set_mapping(cast.admin, bad, mapping)
    check_batch(bad)
    text = str(bad.errors)
    assert "Nom d'utilisateur invalide" in text and "Rôle inconnu" in text
    assert "Organisation inconnue" in text
