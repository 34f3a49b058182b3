"""The partners' indicators: counts by period, region, sex, age and concern, with no name,
no id, no free text and no cell under 5; downloads as CSV and XLSX."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

from openpyxl import load_workbook

from yiri.cases.identity import read_answers
from yiri.cases.models import Case
from yiri.dashboards import indicators
from yiri.dashboards.suppression import THRESHOLD
from yiri.formconfig.schema import get_schema

from ..web.helpers import client_for, text_of
from .data import network_of_cases

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _identifying_strings(cases) -> set[str]:
    schema = get_schema("case")
    out = set()
    for c in cases:
        out.add(c.short_id)
        out.add(str(c.pk))
        answers = read_answers(c, schema)
        out |= {answers.get("name_first") or "", answers.get("name_last") or ""}
    return {s for s in out if s}


def _cells(tables):
    for t in tables:
        for _label, cells, total in t.rows:
            yield from cells
            yield total
        yield from t.totals
        yield t.grand


def test_no_shown_count_is_under_five_and_no_line_hides_exactly_one(cast):
    network_of_cases(cast, n=60)
    tables = indicators.build(cast.partner, None, None, "quarter")
    assert [t.code for t in tables] == ["region", "sex", "age", "concern"]
    assert all(v is None or v >= THRESHOLD for v in _cells(tables))
    assert any(v is not None for v in _cells(tables)), "something is shown"
    for t in tables:
        lines = [cells + [total] for _l, cells, total in t.rows] + [t.totals + [t.grand]]
        lines += [[row[1][i] for row in t.rows] + [t.totals[i]] for i in range(len(t.periods))]
        lines.append([total for _l, _c, total in t.rows] + [t.grand])
        for line in lines:
            assert sum(v is None for v in line) != 1, (t.code, line)
    # The region, sex and age tables share their period totals: hidden alike in all three.
    assert tables[0].totals == tables[1].totals == tables[2].totals
    assert tables[0].grand == tables[1].grand == tables[2].grand


def test_the_shown_totals_equal_direct_counts(cast):
    network_of_cases(cast, n=60)
    first, last = indicators.default_period()
    cases = [c for c in Case.objects.filter(deleted=False) if first <= c.registration_date <= last]
    tables = {t.code: t for t in indicators.build(cast.partner, first, last, "month")}
    sex_label = dict(get_schema("case").lookups["sex"].labels())
    by_sex = Counter(sex_label[c.sex] for c in cases)
    for label, _row, total in tables["sex"].rows:
        if total is not None:
            assert total == by_sex.get(label, 0), label
    if tables["sex"].grand is not None:
        assert tables["sex"].grand == len(cases)
    concern_label = dict(get_schema("case").lookups["protection_concern"].labels())
    mentions = Counter(concern_label[x] for c in cases for x in c.concerns.strip("|").split("|") if x)
    shown = [(label, total) for label, _c, total in tables["concern"].rows if total is not None]
    assert shown, "the most frequent concerns are shown"
    for label, total in shown:
        assert total == mentions[label]


def test_the_page_and_the_downloads_hold_no_name_id_or_link_to_a_case(cast):
    cases = network_of_cases(cast, n=60)
    secret = _identifying_strings(cases)
    c = client_for(cast.partner)
    page = c.get("/indicators/")
    html = page.content.decode()
    assert "/cases/" not in html and not UUID.search(html)
    assert "Enfants par région" in text_of(page)
    csv_bytes = c.get("/indicators/indicators.csv?by=quarter").content
    text = csv_bytes.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Enfants par région"]
    xlsx = load_workbook(io.BytesIO(c.get("/indicators/indicators.xlsx").content))
    assert xlsx.sheetnames == ["region", "sex", "age", "concern"]
    xlsx_text = " ".join(str(v) for ws in xlsx for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    for where in (html, text, xlsx_text):
        assert not UUID.search(where)
        found = {s for s in secret if re.search(rf"\b{re.escape(s)}\b", where)}
        assert not found, found
    numbers = [int(v) for row in rows for v in row[1:] if v.isdigit()]
    assert numbers and all(n >= THRESHOLD for n in numbers)
