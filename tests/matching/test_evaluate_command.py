"""manage.py matching evaluate FILE.csv prints precision, recall, F1, blocking recall,
pairs per record and the search recall line; the figures are checked here against a
count made pair by pair."""

from __future__ import annotations

import io
import itertools

from django.core.management import call_command

from yiri.matching import blocking
from yiri.matching.dedupe import find_duplicates
from yiri.matching.evaluate import read_labelled_csv
from yiri.matching.generator import generate, write_csv
from yiri.matching.scoring import Table


def printed(path) -> dict[str, str]:
    out = io.StringIO()
    call_command("matching", "evaluate", str(path), stdout=out)
    return dict(line.split(" : ", 1) for line in out.getvalue().splitlines() if " : " in line)


def test_the_figures_printed_are_those_counted_pair_by_pair(tmp_path):
    rows = generate(400, seed=12)
    path = tmp_path / "labelled.csv"
    write_csv(path, rows)
    lines = printed(path)

    people, truth = read_labelled_csv(path)
    result = find_duplicates(people)  # deterministic: the same clusters as the command's
    n = len(people)
    true = {(i, j) for i, j in itertools.combinations(range(n), 2) if truth[i] == truth[j]}
    found = {(i, j) for i, j in itertools.combinations(range(n), 2)
             if result.clusters[i] == result.clusters[j]}
    precision = len(true & found) / len(found)
    recall = len(true & found) / len(true)
    f1 = 2 * precision * recall / (precision + recall)
    ia, ib = blocking.candidate_pairs(Table(people))
    scored = set(zip(ia.tolist(), ib.tolist(), strict=True))

    assert lines["Enregistrements"] == "400"
    assert lines["Paires vraies"] == str(len(true))
    assert float(lines["Précision"]) == round(precision, 4)
    assert float(lines["Rappel"]) == round(recall, 4)
    assert float(lines["F1"]) == round(f1, 4)
    assert float(lines["Rappel du blocage"]) == round(len(true & scored) / len(true), 4)
    assert float(lines["Paires comparées par enregistrement"]) == round(len(scored) / n, 2)
    assert lines["Rappel de la recherche @10"].startswith("non mesuré ici")


def test_a_semicolon_csv_from_a_french_spreadsheet_is_read_too(tmp_path):
    path = tmp_path / "tableur.csv"
    path.write_text(
        "record_id;cluster_id;given;family;sex;birth_year\n"
        "1;a;Awa;Ouédraogo;F;2014\n2;a;Awa;Wedraogo;F;2014\n3;b;Kodjo;Mensah;M;2009\n",
        encoding="utf-8")
    lines = printed(path)
    assert lines["Enregistrements"] == "3"
    assert lines["Paires vraies"] == "1"
    assert float(lines["Rappel du blocage"]) == 1.0
