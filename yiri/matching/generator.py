"""A seeded generator of West African child records with labelled duplicate clusters.

Ground truth for the duplicate detector, the search and the Bloom-filter matching
(issue 10): each generated *child* is registered one or more times, by the same or other
organisations, and every registration is one record; records of one child share a
``cluster_id``. Nothing here touches the database: ``generate(n, seed)`` returns the same
list of dicts for the same arguments, and ``write_csv`` writes them in the labelled-CSV
format ``manage.py matching evaluate`` reads (docs/matching.md).

What makes the data hard, as registers in Burkina Faso and Togo are:

- names drawn with a skewed frequency (a few family names and given names are very
  common, "Ouédraogo", "Kodjo", "Aminata"), so many different children share a name;
- siblings: children of the same parents, same family name and village, other given
  name and birth year (the classic false positive);
- a re-registration writes the child differently: a register's usual spelling variant,
  a typo (letter dropped, doubled, swapped, replaced), a transliteration (ou/w/u, y/i,
  c/k, tch/ch, dj/j), a short form or nickname (Mahamadou/Mamadou, Fatimata/Fatoumata),
  given and family names swapped, accents dropped or capitals, blank fields;
- ages are often estimated: a re-registration may give a birth year one or two years
  off, where the first had a birth date;
- the village may be a neighbouring one in the same commune, or only the commune.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from yiri.demo import people

# The labelled-CSV columns, in order (docs/matching.md describes each).
COLUMNS = [
    "record_id", "cluster_id", "given", "family", "sex", "birth_date", "birth_year",
    "age_estimated", "place", "mother", "father", "organisation",
]

ORGANISATIONS = {
    "BF": ["ABE", "CEAE", "APEH", "SES", "EEE", "BICE-BF", "TDH-BF", "ACTION-SOCIALE-BF"],
    "TG": ["RTEP", "ASKE", "FEES", "WAO-TG", "TDH-TG", "ACTION-SOCIALE-TG"],
}

# Short forms and nicknames a register may write for a given name (the long form first
# in the name tables). Used for re-registrations only: the detector must see through them.
SHORT_FORMS: dict[str, list[str]] = {
    "Mahamadou": ["Mamadou", "Madou", "Mahamadi"],
    "Mahamadi": ["Mahamadou", "Madi"],
    "Fatimata": ["Fatoumata", "Fatim", "Fati"],
    "Fatoumata": ["Fatimata", "Fanta"],
    "Aminata": ["Ami", "Aminatou"],
    "Kadidiatou": ["Kadi", "Kadidia", "Kadiatou"],
    "Abdoulaye": ["Abdou", "Ablaye"],
    "Aboubakar": ["Boubacar", "Bouba", "Aboubacar"],
    "Souleymane": ["Souley", "Soulé"],
    "Boureima": ["Bouré"],
    "Salimata": ["Sali", "Salamata"],
    "Safiatou": ["Safi"],
    "Mariam": ["Mariama", "Maryam"],
    "Oumarou": ["Omar", "Oumar"],
    "Yacouba": ["Yacou"],
    "Idrissa": ["Idi"],
    "Alizèta": ["Ali", "Alizeta"],
    "Rokia": ["Rokiatou"],
    "Akossiwa": ["Akossi"],
    "Tchilabalo": ["Tchila"],
    "Issouf": ["Youssouf", "Issoufou"],
    "Hamidou": ["Hamid"],
    "Nafissatou": ["Nafi", "Nafissa"],
    "Kpatcha": ["Patcha"],
    "Essodina": ["Esso"],
}

FIRST_EXTRA = {"male": ["Mahamadou"], "female": ["Fatoumata"]}

# Transliteration variants (pattern, replacement) tried in random order on a lower-case
# spelling; the case is put back afterwards.
_TRANSLIT = [
    ("ou", "w"), ("w", "ou"), ("ou", "u"), ("u", "ou"), ("y", "i"), ("i", "y"),
    ("c", "k"), ("k", "c"), ("tch", "ch"), ("ch", "tch"), ("dj", "j"), ("j", "dj"),
    ("é", "e"), ("è", "e"), ("ss", "s"), ("ph", "f"), ("h", ""),
]
_LETTERS = "abcdefghijklmnoprstuvwyz"


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@dataclass(frozen=True)
class Geography:
    villages: dict[str, list[str]]  # country -> village codes
    commune_of: dict[str, str]  # village -> commune
    villages_in: dict[str, list[str]]  # commune -> villages
    names: dict[str, str]  # code -> name


@lru_cache(maxsize=1)
def geography() -> Geography:
    path = Path(__file__).resolve().parent.parent / "network" / "data" / "locations.csv"
    villages: dict[str, list[str]] = defaultdict(list)
    commune_of: dict[str, str] = {}
    villages_in: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            names[row["code"]] = row["name"]
            if row["level"] == "village":
                villages[row["code"][:2]].append(row["code"])
                commune_of[row["code"]] = row["parent"]
                villages_in[row["parent"]].append(row["code"])
    return Geography(dict(villages), commune_of, dict(villages_in), names)


def _zipf(names: list[str], s: float = 1.0) -> tuple[list[str], list[float]]:
    """A skewed frequency: the first names of a table are the most common."""
    return names, [1.0 / (rank + 1) ** s for rank in range(len(names))]


def _tables(country: str):
    families = people.BF_FAMILY if country == "BF" else people.TG_FAMILY
    firsts = people.BF_FIRST if country == "BF" else people.TG_FIRST
    family_names: list[str] = []
    family_weights: list[float] = []
    for names, share in families.values():
        ns, ws = _zipf(names, 0.9)
        total = sum(ws)
        family_names += ns
        family_weights += [share * w / total for w in ws]
    first = {sex: _zipf(firsts[sex] + FIRST_EXTRA[sex], 0.8) for sex in ("male", "female")}
    return (family_names, family_weights), first


class _Gen:
    def __init__(self, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.geo = geography()
        self.tables = {c: _tables(c) for c in ("BF", "TG")}

    # --- drawing a child -------------------------------------------------------------

    def first_name(self, country: str, sex: str) -> str:
        names, weights = self.tables[country][1][sex]
        return self.rng.choices(names, weights)[0]

    def family_name(self, country: str) -> str:
        names, weights = self.tables[country][0]
        return self.rng.choices(names, weights)[0]

    def family(self) -> dict:
        """Parents, home village and country: the siblings of one family share them."""
        rng = self.rng
        country = "BF" if rng.random() < 0.6 else "TG"
        family = self.family_name(country)
        mother_family = self.family_name(country)
        return {
            "country": country,
            "family": family,
            "given_names": set(),  # siblings never share a given name
            "father": f"{self.first_name(country, 'male')} {family}",
            "mother": f"{self.first_name(country, 'female')} {mother_family}",
            "village": rng.choice(self.geo.villages[country]),
        }

    def child(self, fam: dict) -> dict:
        rng = self.rng
        sex = rng.choice(["male", "female"])
        age = rng.choices(range(0, 18), weights=[1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 10,
                                                  10, 9, 8, 6])[0]
        birth = self.today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        given = self.first_name(fam["country"], sex)
        for _ in range(20):
            if given not in fam["given_names"]:
                break
            given = self.first_name(fam["country"], sex)
        fam["given_names"].add(given)
        return {**fam, "sex": sex, "given": given, "birth": birth}

    # --- writing it in a register ----------------------------------------------------

    def typo(self, word: str) -> str:
        rng = self.rng
        if len(word) < 3:
            return word
        i = rng.randrange(1, len(word))
        kind = rng.random()
        if kind < 0.3:  # a letter dropped
            return word[:i] + word[i + 1:]
        if kind < 0.5:  # a letter doubled
            return word[:i] + word[i] + word[i:]
        if kind < 0.75 and i < len(word) - 1:  # two letters swapped
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        return word[:i] + rng.choice(_LETTERS) + word[i + 1:]  # a letter replaced

    def transliterate(self, word: str) -> str:
        low = word.lower()
        options = [(a, b) for a, b in _TRANSLIT if a in low[1:] or (a in low and a not in "h")]
        if not options:
            return word
        a, b = self.rng.choice(options)
        start = low.find(a, 1) if a in low[1:] else low.find(a)
        out = low[:start] + b + low[start + len(a):]
        return out.capitalize() if word[:1].isupper() else out

    def vary_name(self, name: str, first: bool) -> str:
        """One way a second register may write ``name`` (often the same)."""
        rng = self.rng
        r = rng.random()
        if first and name in SHORT_FORMS and r < 0.25:
            return rng.choice(SHORT_FORMS[name])
        if r < 0.45:
            out = name
        elif r < 0.62 and people.SPELLINGS.get(name):
            out = rng.choice(people.SPELLINGS[name])
        elif r < 0.78:
            out = self.transliterate(name)
        elif r < 0.93:
            out = self.typo(name)
        else:
            out = self.typo(self.transliterate(name))
        s = rng.random()
        if s < 0.2:
            out = strip_accents(out)
        elif s < 0.27:
            out = out.upper()
        return out

    def write(self, kid: dict, first_time: bool, org: str, rid: int, cid: int) -> dict:
        rng = self.rng
        given, family = kid["given"], kid["family"]
        mother, father = kid["mother"], kid["father"]
        village = kid["village"]
        if not first_time:
            given = self.vary_name(given, True)
            family = self.vary_name(family, False)
            mother = " ".join(self.vary_name(p, i == 0) if rng.random() < 0.4 else p
                              for i, p in enumerate(mother.split(" ")))
            father = " ".join(self.vary_name(p, i == 0) if rng.random() < 0.4 else p
                              for i, p in enumerate(father.split(" ")))
            if rng.random() < 0.12:
                given, family = family, given  # given and family names swapped
            r = rng.random()
            if r < 0.2:  # a neighbouring village of the same commune
                village = rng.choice(self.geo.villages_in[self.geo.commune_of[village]])
            elif r < 0.28:  # only the commune is known
                village = self.geo.commune_of[village]
        else:
            given = self.vary_name(given, True) if rng.random() < 0.15 else given
        birth = kid["birth"]
        estimated = rng.random() < 0.45
        if estimated:
            shift = rng.choices([0, -1, 1, -2, 2], weights=[45, 20, 20, 8, 7])[0]
            row_birth_date, birth_year = "", min(birth.year + shift, self.today.year)
        else:
            row_birth_date, birth_year = birth.isoformat(), birth.year
        sex = kid["sex"]
        if not first_time and rng.random() < 0.01:
            sex = "female" if sex == "male" else "male"  # a slip of the pen
        row = {
            "record_id": f"R{rid:07d}", "cluster_id": f"C{cid:07d}",
            "given": given, "family": family, "sex": sex,
            "birth_date": row_birth_date, "birth_year": str(birth_year),
            "age_estimated": "1" if estimated else "0",
            "place": village, "mother": mother, "father": father, "organisation": org,
        }
        # Blank fields: what a worker did not know or did not write.
        for key, share in (("mother", 0.2), ("father", 0.3), ("place", 0.06), ("sex", 0.02),
                           ("family", 0.015), ("birth_year", 0.03)):
            if rng.random() < share:
                row[key] = ""
                if key == "birth_year":
                    row["birth_date"] = ""
        return row


def generate(n: int, seed: int = 0, duplicate_share: float = 0.3,
             today: dt.date = dt.date(2026, 1, 1)) -> list[dict]:
    """``n`` records; about ``duplicate_share`` of the children are registered 2–4 times.

    Each record is a dict of the ``COLUMNS`` (all strings, "" when blank).
    """
    g = _Gen(seed, today)
    rng = g.rng
    rows: list[dict] = []
    cid = 0
    fam = g.family()
    while len(rows) < n:
        if rng.random() > 0.3:  # a new family; otherwise a sibling of the last child
            fam = g.family()
        kid = g.child(fam)
        cid += 1
        copies = 1
        if rng.random() < duplicate_share:
            copies = rng.choices([2, 3, 4], weights=[75, 20, 5])[0]
        home_orgs = ORGANISATIONS[kid["country"]]
        for k in range(min(copies, n - len(rows))):
            org = rng.choice(home_orgs if rng.random() < 0.8 else ORGANISATIONS["BF"] +
                             ORGANISATIONS["TG"])
            rows.append(g.write(kid, k == 0, org, len(rows) + 1, cid))
    rng.shuffle(rows)
    return rows


def write_csv(path: str | Path, rows: list[dict]) -> None:
    """Writes ``rows`` in the labelled-CSV format (UTF-8, comma-separated, a header)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def true_pairs(rows: list[dict]) -> set[tuple[str, str]]:
    """Every pair of record ids (the smaller first) that belong to one cluster."""
    clusters: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        clusters[row["cluster_id"]].append(row["record_id"])
    pairs: set[tuple[str, str]] = set()
    for ids in clusters.values():
        ids.sort()
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                pairs.add((a, b))
    return pairs
