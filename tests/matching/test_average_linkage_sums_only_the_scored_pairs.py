"""Average-linkage clustering (``dedupe.cluster``) sums, for two clusters, the scored
pairs leaving the smaller one instead of looking up every pair of their members (which
ran for hours at 1,000,000 records). It must give exactly the clusters of the plain
definition: pairs from the most probable down, two clusters joined when the mean
probability over every pair across them (a pair not scored, or scored below the floor,
counts 0) reaches the threshold."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from yiri.matching.dedupe import cluster


def plain(n, ia, ib, probability, threshold):
    labels = np.arange(n, dtype=np.int64)
    floor = min(threshold, 0.05)
    prob = {(int(a), int(b)): float(p) for a, b, p in zip(ia, ib, probability, strict=True)
            if p >= floor}
    members: dict[int, list[int]] = {}
    strong = np.nonzero(probability >= threshold)[0]
    for k in strong[np.argsort(-probability[strong], kind="stable")]:
        a, b = int(ia[k]), int(ib[k])
        la, lb = int(labels[a]), int(labels[b])
        if la == lb:
            continue
        ma, mb = members.get(la, [a]), members.get(lb, [b])
        total = sum(prob.get((min(x, y), max(x, y)), 0.0) for x in ma for y in mb)
        if len(ma) * len(mb) > 1 and total / (len(ma) * len(mb)) < threshold:
            continue
        keep, gone = (la, lb) if len(ma) >= len(mb) else (lb, la)
        labels[ma + mb] = keep
        members[keep] = ma + mb
        members.pop(gone, None)
    return labels


@st.composite
def scored_pairs(draw):
    n = draw(st.integers(2, 14))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
                          .filter(lambda t: t[0] != t[1]).map(lambda t: (min(t), max(t))),
                          unique=True, max_size=40))
    # Few distinct probabilities, so that ties and means at the threshold happen.
    probs = draw(st.lists(st.sampled_from([0.0, 0.03, 0.2, 0.45, 0.5, 0.6, 0.9, 0.99, 1.0]),
                          min_size=len(pairs), max_size=len(pairs)))
    ia = np.array([a for a, _ in pairs], dtype=np.int32)
    ib = np.array([b for _, b in pairs], dtype=np.int32)
    return n, ia, ib, np.array(probs, dtype=np.float32)


@settings(max_examples=300, deadline=None)
@given(scored_pairs(), st.sampled_from([0.5, 0.8]))
def test_the_clusters_are_those_of_the_plain_definition(data, threshold):
    n, ia, ib, probability = data
    assert np.array_equal(cluster(n, ia, ib, probability, threshold),
                          plain(n, ia, ib, probability, threshold))


def test_two_siblings_close_to_a_third_record_are_not_chained():
    # 0-1 and 1-2 are likely, 0-2 never scored: {0, 1} and {2} average (0.9 + 0) / 2 < 0.5.
    ia, ib = np.array([0, 1], dtype=np.int32), np.array([1, 2], dtype=np.int32)
    labels = cluster(3, ia, ib, np.array([0.95, 0.9], dtype=np.float32), 0.5)
    assert labels[0] == labels[1] != labels[2]
