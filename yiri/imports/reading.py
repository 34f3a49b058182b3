"""Reading a spreadsheet as data managers keep them: CSV (UTF-8 or Windows-1252, comma,
semicolon or tab) or XLSX (the first sheet, read in openpyxl's read-only mode so a
100,000-row file is streamed). The first non-empty row holds the column headers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

MAX_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 200


class UnreadableFile(ValueError):
    """The file cannot be read as a table; the message says why, in French."""


def file_format(name: str, data: bytes) -> str:
    """``"xlsx"`` or ``"csv"``, from the content first (an XLSX is a zip archive)."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if name.lower().endswith((".xls", ".ods")):
        raise UnreadableFile(_("Format non pris en charge : enregistrez le fichier au format "
                               "XLSX ou CSV."))
    return "csv"


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _csv_rows(data: bytes) -> Iterator[list]:
    text = _decode(data)
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text, newline=""), dialect)


def _xlsx_rows(data: bytes) -> Iterator[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — any damaged archive: one message a person can act on
        raise UnreadableFile(_("Ce fichier XLSX est illisible : ouvrez-le dans votre tableur "
                               "et enregistrez-le à nouveau.")) from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()


def read_table(data: bytes, fmt: str) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """``(headers, rows)``: ``rows`` yields ``(line number in the file, cells)`` for every
    non-empty row after the headers, cells cleaned (text stripped, empty as None, whole
    floats as int)."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile(_("Fichier trop gros : %(n)d Mo au plus.") % {"n": MAX_BYTES // 2**20})
    rows = _xlsx_rows(data) if fmt == "xlsx" else _csv_rows(data)
    line, headers = 0, None
    for line, cells in enumerate(rows, start=1):  # noqa: B007 — line kept for the data rows
        cells = [_cell(c) for c in cells]
        if any(c is not None for c in cells):
            headers = ["" if c is None else str(c) for c in cells]
            break
    if headers is None:
        raise UnreadableFile(_("Le fichier est vide : la première ligne doit donner le nom "
                               "des colonnes."))
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise UnreadableFile(_("Trop de colonnes : %(n)d au plus.") % {"n": MAX_COLUMNS})
    seen: set[str] = set()
    for h in headers:
        if not h:
            raise UnreadableFile(_("Une colonne n'a pas de nom : donnez un nom à chaque colonne "
                                   "sur la première ligne."))
        if h in seen:
            raise UnreadableFile(_("Deux colonnes portent le même nom : « %(name)s ».")
                                 % {"name": h[:60]})
        seen.add(h)
    width = len(headers)
    start = line

    def data_rows() -> Iterator[tuple[int, list]]:
        for n, cells in enumerate(rows, start=start + 1):
            cells = [_cell(c) for c in cells[:width]]
            if any(c is not None for c in cells):
                yield n, cells + [None] * (width - len(cells))

    return headers, data_rows()


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip() or None
