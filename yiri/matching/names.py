"""Given names that are the same name: short forms, nicknames, other languages' forms.

The match keys (``yiri.lib.names``: one normalisation, one set of keys) bring spellings
of one spoken name together; they cannot know that Madou is Mahamadou, Fati is Fatimata or
Laye is Abdoulaye. That is what this table says: the reviewed groups shipped in
``data/name_variants.csv``, and the groups an administrator adds in the admin as the list
of values ``name_variants`` (one value per group, its French label holding the forms
separated by ";"; it is reference data, so it syncs to every node).

The table is used when searching, never when indexing: a typed "Madou" is also looked up
as "mahamadou", "mamadou"... So the stored blind-index tokens do not depend on the table,
an administrator's new group applies at once without reindexing, and the tokens are the
same on every node whatever its copy of the table.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from pathlib import Path

from yiri.lib import names

LOOKUP_CODE = "name_variants"
DATA_FILE = Path(__file__).resolve().parent / "data" / "name_variants.csv"
_TTL = 30.0  # seconds an administrator's change may take to reach a running server


def parse_group(text: str) -> frozenset[str]:
    """One group from "Mahamadou; Mamadou ; Madou" (any case and accents)."""
    out = set()
    for form in text.split(";"):
        word = names.normalise(form).replace(" ", "")
        if word:
            out.add(word)
    return frozenset(out)


@lru_cache(maxsize=1)
def shipped_groups() -> tuple[frozenset[str], ...]:
    groups = []
    for line in DATA_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("|", 1)[0].strip()
        if line and not line.startswith("#"):
            group = parse_group(line)
            if len(group) > 1:
                groups.append(group)
    return tuple(groups)


def _admin_groups() -> tuple[frozenset[str], ...]:
    from yiri.formconfig.models import LookupValue

    labels = LookupValue.objects.filter(lookup__code=LOOKUP_CODE, disabled=False).values_list(
        "label_fr", flat=True)
    return tuple(g for g in (parse_group(label) for label in labels) if len(g) > 1)


class _Table:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded_at = -_TTL
        self.index: dict[str, frozenset[str]] = {}

    def build(self, groups) -> dict[str, frozenset[str]]:
        index: dict[str, set[str]] = {}
        for group in groups:
            for form in group:
                for key in (form, names.spelling(form)):
                    if key:
                        index.setdefault(key, set()).update(group)
        return {k: frozenset(v) for k, v in index.items()}

    def get(self) -> dict[str, frozenset[str]]:
        now = time.monotonic()
        with self.lock:
            if now - self.loaded_at >= _TTL:
                self.index = self.build(shipped_groups() + _admin_groups())
                self.loaded_at = now
            return self.index

    def forget(self) -> None:
        with self.lock:
            self.loaded_at = -_TTL


TABLE = _Table()


def variants(word: str) -> frozenset[str]:
    """The other forms of the given name ``word`` (normalised), itself excluded: by the
    word as typed, or by its spelling ("Mahamadu" finds the Mahamadou group)."""
    index = TABLE.get()
    word = names.normalise(word).replace(" ", "")
    found = index.get(word, frozenset()) | index.get(names.spelling(word), frozenset())
    return found - {word}


def same_name(a: str, b: str) -> bool:
    """Whether two normalised words are forms of one name in the table."""
    return b in variants(a)
