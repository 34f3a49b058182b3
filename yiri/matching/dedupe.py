"""Batch deduplication: records in, scored candidate pairs and clusters out.

``find_duplicates(people)``: block (``blocking``), compare (``scoring.compare``), learn
the model (``em.train``), weigh each pair, and group the records whose pairs reach the
threshold into clusters. Used by the background job over a node's cases
(``jobs.run_dedupe``), by ``manage.py matching evaluate`` and by the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import blocking, em
from .scoring import (
    DEFAULT_MODEL,
    Model,
    PairScore,
    Table,
    compare,
    comparisons_for,
    explain,
    probability_of,
    totals,
)

CHUNK = 500_000  # pairs compared at once (memory)
# Below this many candidate pairs EM has too little to learn from (a handful of cases
# on a test node): the model given, or the defaults, are used as they are.
MIN_PAIRS_TO_LEARN = 2000
THRESHOLD = 0.5  # probability from which a pair joins a cluster


@dataclass
class Result:
    table: Table
    ia: np.ndarray  # candidate pairs (indices into table)
    ib: np.ndarray
    levels: np.ndarray  # per pair and comparison (int8)
    weight: np.ndarray  # per pair, the sum over the comparisons (float32)
    probability: np.ndarray
    model: Model
    threshold: float
    clusters: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def pair_score(self, k: int) -> PairScore:
        """Pair ``k`` explained field by field (its weights computed again: the batch
        keeps only their sum, a million pairs' seven weights would not fit)."""
        one = slice(k, k + 1)
        w, total = totals(self.model, self.table, self.ia[one], self.ib[one], self.levels[one],
                          comparisons_for(self.table))
        return explain(self.table, self.levels[k], w[0], self.probability[k],
                       float(total[0] - w[0].sum()))

    def keys(self, k: int) -> tuple[str, str]:
        return self.table.people[self.ia[k]].key, self.table.people[self.ib[k]].key


def components(n: int, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Connected components: a label per record (the smallest index of its component)."""
    labels = np.arange(n, dtype=np.int64)
    if len(ia) == 0:
        return labels
    while True:
        low = np.minimum(labels[ia], labels[ib])
        before = labels.copy()
        np.minimum.at(labels, ia, low)
        np.minimum.at(labels, ib, low)
        labels = labels[labels]  # pointer jumping
        if np.array_equal(labels, before):
            return labels


def cluster(n: int, ia: np.ndarray, ib: np.ndarray, probability: np.ndarray,
            threshold: float) -> np.ndarray:
    """Clusters by average linkage: pairs are taken from the most probable down to
    ``threshold``, and two clusters are joined only if the mean probability over every
    pair across them (a pair never scored counts as 0) reaches ``threshold`` — so that two
    siblings each close to a third record are not chained into one child, as connected
    components would. A label per record."""
    labels = np.arange(n, dtype=np.int64)
    strong = np.nonzero(probability >= threshold)[0]
    if len(strong) == 0:
        return labels
    floor = min(threshold, 0.05)
    some = np.nonzero(probability >= floor)[0]
    # The scored pairs (from ``floor``) as adjacency lists: the records next to record x
    # are ``near[start[x]:start[x + 1]]``, with their probabilities in ``near_p``. The
    # mean over two clusters then sums the pairs leaving the smaller one (each pair once:
    # the pairs are unique), instead of looking up every (x, y) of the two clusters:
    # at 1,000,000 records a cluster of thousands made that product run for hours.
    src = np.concatenate([ia[some], ib[some]])
    near = np.concatenate([ib[some], ia[some]])
    near_p = np.concatenate([probability[some], probability[some]]).astype(np.float64)
    by_src = np.argsort(src, kind="stable")
    near, near_p = near[by_src], near_p[by_src]
    start = np.searchsorted(src[by_src], np.arange(n + 1))
    del src, by_src
    members: dict[int, list[int]] = {}
    order = strong[np.argsort(-probability[strong], kind="stable")]
    for k in order:
        a, b = int(ia[k]), int(ib[k])
        la, lb = int(labels[a]), int(labels[b])
        if la == lb:
            continue
        ma, mb = members.get(la, [a]), members.get(lb, [b])
        if len(ma) * len(mb) > 1:
            small, other = (ma, lb) if len(ma) <= len(mb) else (mb, la)
            total = 0.0
            for x in small:
                s, e = start[x], start[x + 1]
                total += float(near_p[s:e][labels[near[s:e]] == other].sum())
            if total / (len(ma) * len(mb)) < threshold:
                continue
        keep, gone = (la, lb) if len(ma) >= len(mb) else (lb, la)
        joined = ma + mb
        labels[joined] = keep
        members[keep] = joined
        members.pop(gone, None)
    return labels


def find_duplicates(people, *, model: Model | None = None, learn: bool = True,
                    threshold: float = THRESHOLD,
                    progress: Callable[[str, int, int], None] | None = None) -> Result:
    """Score the candidate pairs of ``people`` (``Person`` list) and cluster them.

    ``learn``: learn m/u/λ from these records (EM) starting from ``model`` (default
    values if none) when they give at least ``MIN_PAIRS_TO_LEARN`` candidate pairs;
    otherwise score with ``model`` as it is.
    """
    progress = progress or (lambda step, done, total: None)
    table = Table(list(people))
    comps = comparisons_for(table)
    progress("blocking", 0, table.n)
    ia, ib = blocking.candidate_pairs(table)
    if table.n < 2**31:
        ia, ib = ia.astype(np.int32), ib.astype(np.int32)
    total = len(ia)
    levels = np.empty((total, len(comps)), dtype=np.int8)
    for start in range(0, total, CHUNK):
        end = min(start + CHUNK, total)
        levels[start:end] = compare(table, ia[start:end], ib[start:end], comps)
        progress("comparing", end, total)
    base = model or DEFAULT_MODEL
    if learn and total >= MIN_PAIRS_TO_LEARN:
        progress("learning", 0, total)
        model = em.train(table, levels, comps, base, ia, ib)
    else:
        model = base
    w = np.empty(total, dtype=np.float32)
    for start in range(0, total, CHUNK):
        end = min(start + CHUNK, total)
        w[start:end] = totals(model, table, ia[start:end], ib[start:end], levels[start:end],
                              comps)[1]
    prob = probability_of(w, model.lam)
    progress("clustering", total, total)
    result = Result(table, ia, ib, levels, w, prob, model, threshold)
    result.clusters = cluster(table.n, ia, ib, prob, threshold)
    return result


# --- measuring against labels ---------------------------------------------------------

def _pairs_within(labels: np.ndarray) -> int:
    _, counts = np.unique(labels, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def cluster_metrics(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pairwise precision, recall and F1 of the pairs implied by the clusters."""
    pred_pairs = _pairs_within(predicted)
    true_pairs = _pairs_within(truth)
    joint = predicted.astype(np.int64) * (int(truth.max()) + 1 if len(truth) else 1) + truth
    both = _pairs_within(joint)
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": true_pairs,
            "predicted_pairs": pred_pairs}


def blocking_recall(ia: np.ndarray, ib: np.ndarray, truth: np.ndarray) -> float:
    """The share of true pairs among the candidate pairs."""
    true_pairs = _pairs_within(truth)
    if not true_pairs:
        return 1.0
    return float(np.count_nonzero(truth[ia] == truth[ib])) / true_pairs
