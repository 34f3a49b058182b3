"""Human-readable record ids: ``<node code>-<marker><sequence>``, unique without
coordination because every node has its own code and numbers its own records.

Each record type is numbered by its own sequence, so the marker keeps an incident and a
tracing request from sharing a number: cases have none (their ids keep the form they
always had), incidents ``I``, tracing requests ``R`` (``5A4E8-00021``, ``5A4E8-I00021``,
``5A4E8-R00021``). Ids given before the markers existed are never rewritten; they cannot
clash with new ones, which all carry a marker.
"""

from __future__ import annotations

MARKERS = {"case": "", "incident": "I", "tracing_request": "R"}


def short_id(node_code: str, number: int, record_type: str = "case") -> str:
    return f"{node_code}-{MARKERS[record_type]}{number:05d}"
