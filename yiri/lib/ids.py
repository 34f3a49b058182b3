"""Human-readable record ids: ``<node code>-<sequence>``, unique without coordination
because every node has its own code and numbers its own records."""

from __future__ import annotations


def short_id(node_code: str, number: int) -> str:
    return f"{node_code}-{number:05d}"
