"""The columns chosen for a file are offered again for the next file with the same
columns (in any order) uploaded by the same organisation; another organisation starts
from the headers' names. A mapping that names a field twice, or leaves out a required
field, is refused in French."""

from __future__ import annotations

import pytest

from yiri.imports.services import ImportRefused, create_batch, set_mapping

from .data import HEADERS, MAPPING, ROWS, csv_bytes, xlsx_bytes

ODD = {**MAPPING, "Localité": "address_current"}  # a choice no name would suggest


def test_the_mapping_is_remembered_for_the_same_columns(cast):
    first = create_batch(cast.admin, "case", "janvier.csv", csv_bytes())
    set_mapping(cast.admin, first, ODD)
    again = create_batch(cast.admin, "case", "fevrier.xlsx", xlsx_bytes())
    assert again.mapping == ODD
    # The same columns in another order.
    order = [6, 5, 4, 3, 2, 1, 0]
    shuffled = create_batch(cast.admin, "case", "mars.csv", csv_bytes(
        [[r[i] for i in order] for r in ROWS], [HEADERS[i] for i in order]))
    assert shuffled.mapping == ODD


def test_another_organisation_starts_from_the_headers(cast):
    set_mapping(cast.admin, create_batch(cast.admin, "case", "a.csv", csv_bytes()), ODD)
    theirs = create_batch(cast.relay, "case", "a.csv", csv_bytes())
    assert theirs.mapping["Localité"] != "address_current"
    # Headers that name a field are recognised.
    assert theirs.mapping["Prénom"] == "name_first" and theirs.mapping["Sexe"] == "sex"


def test_a_field_chosen_twice_or_a_required_field_missing_is_refused(cast):
    batch = create_batch(cast.admin, "case", "a.csv", csv_bytes())
    with pytest.raises(ImportRefused, match="plusieurs colonnes"):
        set_mapping(cast.admin, batch, {**MAPPING, "Nom": "name_first"})
    with pytest.raises(ImportRefused, match="obligatoire"):
        set_mapping(cast.admin, batch, {**MAPPING, "Sexe": ""})


def test_an_unreadable_file_is_refused_in_french(cast):
    with pytest.raises(ImportRefused, match="vide"):
        create_batch(cast.admin, "case", "vide.csv", b"")
    with pytest.raises(ImportRefused, match="illisible"):
        create_batch(cast.admin, "case", "abime.xlsx", b"PK\x03\x04 pas un classeur")
    with pytest.raises(ImportRefused, match="même nom"):
        create_batch(cast.admin, "case", "a.csv", b"Nom;Nom\nA;B\n")
