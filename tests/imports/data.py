"""Spreadsheets as data managers keep them, made in the test (CSV and XLSX)."""

from __future__ import annotations

import csv
import io

HEADERS = ["N°", "Prénom", "Nom", "Sexe", "Âge", "Date d'enregistrement", "Localité"]
ROWS = [
    ["A-1", "Awa", "Ouédraogo", "Féminin", "12", "15/01/2026", "BF-KAD"],
    ["A-2", "Moussa", "Sawadogo", "male", "9", "2026-01-20", "BF-KAD"],
    ["A-3", "Fatimata", "Kaboré", "F", "14", "2026-02-02", "BF-KAD"],
]
MAPPING = {"N°": "@external_id", "Prénom": "name_first", "Nom": "name_last", "Sexe": "sex",
           "Âge": "age", "Date d'enregistrement": "registration_date",
           "Localité": "location_current"}


def csv_bytes(rows=ROWS, headers=HEADERS, delimiter: str = ";") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows=ROWS, headers=HEADERS) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
