"""The seeded generator of West African child records: same seed, same records; its
labels say which records are the same child."""

from __future__ import annotations

from collections import defaultdict

from yiri.matching.evaluate import read_labelled_csv
from yiri.matching.generator import COLUMNS, generate, geography, true_pairs, write_csv


def test_the_same_seed_gives_the_same_records_and_another_seed_other_ones():
    assert generate(500, seed=4) == generate(500, seed=4)
    assert generate(500, seed=4) != generate(500, seed=5)


def test_it_gives_the_number_of_records_asked_with_every_column():
    rows = generate(777, seed=2)
    assert len(rows) == 777
    assert all(list(r) == COLUMNS for r in rows)
    assert len({r["record_id"] for r in rows}) == 777


def test_records_of_one_cluster_are_one_child_written_differently():
    rows = generate(3000, seed=3)
    clusters = defaultdict(list)
    for r in rows:
        clusters[r["cluster_id"]].append(r)
    geo = geography()
    multi = [c for c in clusters.values() if len(c) > 1]
    assert len(multi) > 300  # about 30 % of children are registered more than once
    written_differently = 0
    for records in multi:
        years = [int(r["birth_year"]) for r in records if r["birth_year"]]
        # an estimated age is at most two years off the true year, either way
        assert not years or max(years) - min(years) <= 4
        communes = {geo.commune_of.get(r["place"], r["place"]) for r in records if r["place"]}
        assert len(communes) <= 1  # a neighbouring village of the same commune at most
        names = {(r["given"], r["family"]) for r in records}
        written_differently += len(names) > 1
    assert written_differently > len(multi) / 2


def test_siblings_share_their_parents_but_are_different_clusters():
    rows = generate(3000, seed=8)
    by_parents = defaultdict(set)
    for r in rows:
        if r["mother"] and r["father"]:
            by_parents[(r["mother"], r["father"])].add(r["cluster_id"])
    families = [c for c in by_parents.values() if len(c) > 1]
    assert families, "some children have a brother or sister on file"


def test_true_pairs_are_every_pair_within_a_cluster():
    rows = generate(400, seed=1)
    pairs = true_pairs(rows)
    sizes = defaultdict(int)
    for r in rows:
        sizes[r["cluster_id"]] += 1
    assert len(pairs) == sum(k * (k - 1) // 2 for k in sizes.values())
    cluster = {r["record_id"]: r["cluster_id"] for r in rows}
    assert all(cluster[a] == cluster[b] and a < b for a, b in pairs)


def test_the_csv_it_writes_is_read_back_by_the_evaluation(tmp_path):
    rows = generate(200, seed=6)
    path = tmp_path / "children.csv"
    write_csv(path, rows)
    people, truth = read_labelled_csv(path)
    assert [p.key for p in people] == [r["record_id"] for r in rows]
    same = {(i, j) for i in range(200) for j in range(i + 1, 200) if truth[i] == truth[j]}
    index = {r["record_id"]: i for i, r in enumerate(rows)}
    assert same == {tuple(sorted((index[a], index[b]))) for a, b in true_pairs(rows)}
