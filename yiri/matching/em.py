"""Learning the Fellegi–Sunter parameters from the data: ``m``, ``u`` and the share of
duplicates ``λ`` among the candidate pairs, by expectation–maximisation.

Our own few dozen lines of numpy rather than Splink: the live check at registration must
score one pair in milliseconds inside a Django request, with the same levels as the batch
(``scoring.compare``), and Splink scores through a SQL engine (DuckDB) with its own
comparison definitions — two implementations whose scores would drift apart. The EM
itself is small: the comparison vectors take a few thousand distinct values, so each
iteration works on the distinct patterns and their counts, not on millions of pairs.

Why ``u`` is learnt on the candidate pairs and not fixed from random pairs (Splink's way):
blocking brings together the children of one family — same family name, village, mother
and father — and with ``u`` from random pairs every sibling looks like a duplicate; EM
then settles on "same family" as its match class (we measured it: λ → 1). Starting from
``u`` = the levels' distribution among the candidates (almost all of them are not
duplicates) and ``m`` from the defaults, EM learns both and keeps to duplicates. Names
are the exception: their weight for agreeing is log2(m / share of the name among all
records) (``scoring._tf_adjust``), as Splink's term frequencies do. Conditional
independence of the fields given the match status is assumed, as in every
Fellegi–Sunter model.

Several kinds of "different child" (``train``): two classes are not enough once the data
grow. At 200,000 generated records a two-class EM settled on "namesakes of other
villages" as its match class (λ 0.19, F1 0.03): the candidates hold large groups of
different children that agree among themselves (siblings: same family name, village and
parents; namesakes: same names, other village and parents) and duplicates are one pair
in 260. As Winkler did for the members of one household (1993), the non-duplicates are
a mixture of classes — siblings, namesakes and the rest — learnt together with the
duplicates' class, each started from what it should look like. The duplicates' ``m``
then comes out within a few hundredths of the labels' (docs/matching.md), and the pair's
score uses the mixture (``scoring.combination``): a pattern frequent among siblings
weighs against a duplicate even when each field alone would not.
"""

from __future__ import annotations

import numpy as np

from .scoring import MISMATCH, Comparison, Model, Table, unique_inverse

SMOOTHING = 1.0  # pseudo-count per level: no level gets m or u of exactly 0


def level_counts(levels: np.ndarray, n_levels: list[int],
                 weights: np.ndarray | None = None) -> list[np.ndarray]:
    """Per comparison, the (weighted) count of pairs at each level, blanks left out."""
    out = []
    for j, k in enumerate(n_levels):
        col = levels[:, j]
        keep = col >= 0
        w = None if weights is None else weights[keep]
        out.append(np.bincount(col[keep].astype(np.int64), weights=w, minlength=k)[:k]
                   .astype(np.float64))
    return out


def _normalise(counts: np.ndarray) -> np.ndarray:
    c = counts + SMOOTHING
    return c / c.sum()


def _patterns(levels: np.ndarray, n_levels: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``levels`` and how many pairs have each."""
    shift = levels.astype(np.int64) + 1
    code = np.zeros(len(levels), dtype=np.int64)
    for j in range(levels.shape[1]):
        code = code * (max(n_levels) + 1) + shift[:, j]
    uniq, inverse = unique_inverse(code)
    counts = np.bincount(inverse).astype(np.float64)
    first = np.zeros(len(uniq), dtype=np.int64)
    first[inverse] = np.arange(len(levels))
    return levels[first], counts


def log_likelihood(patterns: np.ndarray, probs: list[np.ndarray]) -> np.ndarray:
    """log P(pattern | class) under independence given the class; blanks add nothing."""
    out = np.zeros(len(patterns))
    for j in range(patterns.shape[1]):
        col = patterns[:, j]
        known = col >= 0
        out[known] += np.log(probs[j])[col[known]]
    return out


def fit(levels: np.ndarray, n_levels: list[int], u: list[np.ndarray], m0: list[np.ndarray],
        lam0: float = 0.1, *, fix_u: bool = True, max_iter: int = 100,
        tol: float = 1e-7) -> tuple[list[np.ndarray], list[np.ndarray], float, int]:
    """EM on the comparison levels of candidate pairs (``-1`` = blank, ignored).

    Returns ``(m, u, λ, iterations)``; ``u`` is returned unchanged when ``fix_u``.
    """
    if len(levels) == 0:
        return m0, u, lam0, 0
    patterns, counts = _patterns(levels, n_levels)

    m = [np.asarray(x, dtype=np.float64) for x in m0]
    u = [np.asarray(x, dtype=np.float64) for x in u]
    lam = lam0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        log_ratio = log_likelihood(patterns, m) - log_likelihood(patterns, u)
        prior = np.log(lam) - np.log1p(-lam)
        p = 1.0 / (1.0 + np.exp(-np.clip(log_ratio + prior, -700, 700)))
        new_m = [_normalise(c) for c in level_counts(patterns, n_levels, counts * p)]
        new_lam = float(np.clip((counts * p).sum() / counts.sum(), 1e-9, 1 - 1e-9))
        if not fix_u:
            u = [_normalise(c) for c in level_counts(patterns, n_levels, counts * (1 - p))]
        delta = max(float(np.max(np.abs(a - b))) for a, b in zip(new_m, m, strict=True))
        delta = max(delta, abs(new_lam - lam))
        m, lam = new_m, new_lam
        if delta < tol:
            break
    return m, u, lam, it


# How each class of different children is started: per field, most of its pairs agree
# ("agree", on the first level) or differ ("differ", on the last); the other fields start
# as among all candidates. The duplicates' class starts from the model given.
OTHER_CLASSES: tuple[dict[str, str], ...] = (
    # siblings and cousins: one family, one village, other given names and births
    {"given": "differ", "family": "agree", "place": "agree", "mother": "agree",
     "father": "agree"},
    # half-siblings by the father (his children by another wife)
    {"given": "differ", "family": "agree", "place": "agree", "mother": "differ",
     "father": "agree"},
    # half-siblings by the mother (her children by another husband: another family name)
    {"given": "differ", "family": "differ", "place": "agree", "mother": "agree",
     "father": "differ"},
    # namesakes: the same names, another village, other parents
    {"given": "agree", "family": "agree", "place": "differ", "mother": "differ",
     "father": "differ"},
    # the rest: what blocking brings together otherwise
    {},
)
START_SHARE = 0.01  # of the duplicates among the candidates, at the start


def fit_classes(levels: np.ndarray, n_levels: list[int], start: list[list[np.ndarray]],
                shares: np.ndarray, *, max_iter: int = 1000,
                tol: float = 1e-7) -> tuple[list[list[np.ndarray]], np.ndarray, int]:
    """EM for a mixture of classes (latent class analysis) on comparison levels.

    ``start[k][j]``: class ``k``'s starting distribution over field ``j``'s levels;
    ``shares``: the classes' starting shares. Returns ``(probs, shares, iterations)``."""
    probs = [[np.asarray(x, dtype=np.float64) for x in cls] for cls in start]
    shares = np.asarray(shares, dtype=np.float64) / np.sum(shares)
    if len(levels) == 0:
        return probs, shares, 0
    patterns, counts = _patterns(levels, n_levels)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        ll = np.stack([np.log(s) + log_likelihood(patterns, p)
                       for s, p in zip(shares, probs, strict=True)])
        post = np.exp(ll - ll.max(axis=0))
        post /= post.sum(axis=0)
        weighted = post * counts
        new_probs = [[_normalise(c) for c in level_counts(patterns, n_levels, w)]
                     for w in weighted]
        new_shares = np.clip(weighted.sum(axis=1) / counts.sum(), 1e-9, None)
        new_shares /= new_shares.sum()
        delta = max(float(np.max(np.abs(a - b)))
                    for old, new in zip(probs, new_probs, strict=True)
                    for a, b in zip(old, new, strict=True))
        delta = max(delta, float(np.max(np.abs(new_shares - shares))))
        probs, shares = new_probs, new_shares
        if delta < tol:
            break
    return probs, shares, it


def _class_start(comps: tuple[Comparison, ...], u0: list[np.ndarray],
                 shape: dict[str, str]) -> list[np.ndarray]:
    out = []
    for c, uj in zip(comps, u0, strict=True):
        how = shape.get(c.field)
        if how is None:
            out.append(uj.copy())
            continue
        v = np.full(len(c.levels), 0.2 / (len(c.levels) - 1))
        v[0 if how == "agree" else -1] = 0.8
        out.append(v)
    return out


TF_SAMPLE = 200_000  # candidate pairs per level whose names give ``Model.tf_mean``


def train(table: Table, levels: np.ndarray, comps: tuple[Comparison, ...], start: Model,
          ia: np.ndarray | None = None, ib: np.ndarray | None = None) -> Model:
    """A model learnt on ``table``'s candidate pairs ``(ia, ib)`` (their ``levels``): the
    duplicates' class started from ``start``'s m values, the classes of different
    children from ``OTHER_CLASSES``."""
    from .scoring import name_frequencies, name_shares

    n_levels = [len(c.levels) for c in comps]
    m0 = []
    for c in comps:
        known = start.m.get(c.field, {})
        if known:
            m0.append(_normalise(np.array([known.get(lv.code, 0.01) for lv in c.levels]) * 100))
        else:  # a field the defaults do not know (a CSV's extra column): favour agreement
            m0.append(_normalise(np.array([8.0 if lv.kind == "match" else 1.0
                                           for lv in c.levels])))
    # Non-matches among the candidates: almost all of them (duplicates are a few in a
    # hundred), so their level distribution is where the classes of different children
    # start from; EM then learns them all.
    u0 = [_normalise(c) for c in level_counts(levels, n_levels)]
    start_probs = [m0] + [_class_start(comps, u0, shape) for shape in OTHER_CLASSES]
    rest = (1 - START_SHARE) / len(OTHER_CLASSES)
    probs, shares, _ = fit_classes(levels, n_levels, start_probs,
                                   np.array([START_SHARE] + [rest] * len(OTHER_CLASSES)))
    m, others = probs[0], probs[1:]
    other_shares = shares[1:] / shares[1:].sum()
    # u of each field: its distribution over all different children (the classes mixed)
    u = [sum(s * cls[j] for s, cls in zip(other_shares, others, strict=True))
         for j in range(len(comps))]
    lam, how = float(shares[0]), "classes"
    known = [int((levels[:, j] >= 0).sum()) for j in range(len(comps))]
    if not looks_like_duplicates(comps, m, u, known):
        # The duplicates' class has drifted to some other group of children (data shaped
        # unlike anything the classes expect): two classes, then the starting m.
        others, other_shares = [], np.zeros(0)
        m, u, lam, _ = fit(levels, n_levels, u0, m0, lam0=START_SHARE, fix_u=False)
        how = "two classes"
        if not looks_like_duplicates(comps, m, u, known):
            m, u, lam, how = m0, u0, START_SHARE, "start"
    tf, floor = name_frequencies(table)

    def by_code(values: list[np.ndarray]) -> dict[str, dict[str, float]]:
        return {c.field: {lv.code: float(x) for lv, x in zip(c.levels, v, strict=True)}
                for c, v in zip(comps, values, strict=True)}

    model = Model(
        m=by_code(m), u=by_code(u), lam=lam, tf=tf, tf_floor=floor, learnt=True, fit=how,
        others=[{"share": float(s), "p": by_code(cls)}
                for s, cls in zip(other_shares, others, strict=True)],
    )
    if others and ia is not None and ib is not None:
        rng = np.random.default_rng(0)  # the same model from the same records
        for j, c in enumerate(comps):
            if not c.tf or c.field not in tf:
                continue
            means = {}
            for k in (0, 1):  # the levels the term frequency adjusts
                at = np.nonzero(levels[:, j] == k)[0]
                if len(at) > TF_SAMPLE:
                    at = np.sort(rng.choice(at, TF_SAMPLE, replace=False))
                if len(at):
                    means[c.levels[k].code] = float(np.mean(np.log2(
                        name_shares(model, c, table, ia[at], ib[at]))))
            model.tf_mean[c.field] = means
    return model


MIN_KNOWN = 100  # pairs with a field known on both sides, for its check to count


def looks_like_duplicates(comps: tuple[Comparison, ...], m: list[np.ndarray],
                          u: list[np.ndarray], known: list[int]) -> bool:
    """Whether a learnt class can be the duplicates: for every field known on enough
    pairs, agreeing exactly is more frequent among its pairs than among the others, and
    differing less frequent. EM finds *a* class; this says whether it found the right one
    (a class of namesakes has "other village" most often, siblings "other given name")."""
    for c, mj, uj, k in zip(comps, m, u, known, strict=True):
        if k < MIN_KNOWN:
            continue
        last = max(i for i, lv in enumerate(c.levels) if lv.kind == MISMATCH)
        if mj[0] <= uj[0] or mj[last] >= uj[last]:
            return False
    return True
