"""Learning the Fellegi–Sunter parameters from the data: ``u`` from random pairs, ``m``
and the share of duplicates ``λ`` by expectation–maximisation, as Splink does.

Our own few dozen lines of numpy rather than Splink: the live check at registration must
score one pair in milliseconds inside a Django request, with the same levels as the batch
(``scoring.compare``), and Splink scores through a SQL engine (DuckDB) with its own
comparison definitions — two implementations whose scores would drift apart. The EM
itself is small: the comparison vectors take a few thousand distinct values, so each
iteration works on the distinct patterns and their counts, not on millions of pairs.

``u`` (how often unrelated records agree by chance) is estimated on random pairs of
records, which are almost all unrelated; it stays fixed while EM learns ``m`` and ``λ``
on the candidate pairs, which keeps EM from drifting into a model of siblings instead of
duplicates. Conditional independence of the fields given the match status is assumed, as
in every Fellegi–Sunter model.
"""

from __future__ import annotations

import numpy as np

from .scoring import Comparison, Model, Table, compare, unique_inverse

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


def estimate_u(table: Table, comps: tuple[Comparison, ...], n_pairs: int = 200_000,
               seed: int = 0) -> list[np.ndarray]:
    """``u`` per comparison and level, from random pairs of ``table``'s records."""
    rng = np.random.default_rng(seed)
    n = table.n
    if n < 2:
        return [np.full(len(c.levels), 1.0 / len(c.levels)) for c in comps]
    k = min(n_pairs, n * (n - 1) // 2)
    ia = rng.integers(0, n, size=k)
    ib = rng.integers(0, n - 1, size=k)
    ib = ib + (ib >= ia)  # never a record with itself
    levels = compare(table, ia, ib, comps)
    return [_normalise(c) for c in level_counts(levels, [len(c.levels) for c in comps])]


def fit(levels: np.ndarray, n_levels: list[int], u: list[np.ndarray], m0: list[np.ndarray],
        lam0: float = 0.1, *, fix_u: bool = True, max_iter: int = 100,
        tol: float = 1e-7) -> tuple[list[np.ndarray], list[np.ndarray], float, int]:
    """EM on the comparison levels of candidate pairs (``-1`` = blank, ignored).

    Returns ``(m, u, λ, iterations)``; ``u`` is returned unchanged when ``fix_u``.
    """
    if len(levels) == 0:
        return m0, u, lam0, 0
    # distinct comparison patterns and how many pairs have each
    shift = levels.astype(np.int64) + 1
    code = np.zeros(len(levels), dtype=np.int64)
    for j in range(levels.shape[1]):
        code = code * (max(n_levels) + 1) + shift[:, j]
    uniq, inverse = unique_inverse(code)
    counts = np.bincount(inverse).astype(np.float64)
    first = np.zeros(len(uniq), dtype=np.int64)
    first[inverse] = np.arange(len(levels))
    patterns = levels[first]

    m = [np.asarray(x, dtype=np.float64) for x in m0]
    u = [np.asarray(x, dtype=np.float64) for x in u]
    lam = lam0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        log_ratio = np.zeros(len(patterns))
        for j in range(patterns.shape[1]):
            col = patterns[:, j]
            known = col >= 0
            lr = np.log(m[j]) - np.log(u[j])
            log_ratio[known] += lr[col[known]]
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


def train(table: Table, levels: np.ndarray, comps: tuple[Comparison, ...], start: Model,
          *, seed: int = 0, random_pairs: int = 200_000) -> Model:
    """A model learnt on ``table``'s candidate pairs (their ``levels``), starting from
    ``start``'s m values."""
    from .scoring import name_frequencies

    n_levels = [len(c.levels) for c in comps]
    u = estimate_u(table, comps, random_pairs, seed)
    m0 = []
    for c in comps:
        known = start.m.get(c.field, {})
        if known:
            m0.append(_normalise(np.array([known.get(lv.code, 0.01) for lv in c.levels]) * 100))
        else:  # a field the defaults do not know (a CSV's extra column): favour agreement
            m0.append(_normalise(np.array([8.0 if lv.kind == "match" else 1.0
                                           for lv in c.levels])))
    # Non-matches among the candidates: almost all of them (duplicates are a few in a
    # hundred), so their level distribution is the starting u; EM then learns both.
    u0 = [_normalise(c) for c in level_counts(levels, n_levels)]
    m, u, lam, _ = fit(levels, n_levels, u0, m0, lam0=0.01, fix_u=False)
    tf, floor = name_frequencies(table)
    return Model(
        m={c.field: {lv.code: float(x) for lv, x in zip(c.levels, mj, strict=True)}
           for c, mj in zip(comps, m, strict=True)},
        u={c.field: {lv.code: float(x) for lv, x in zip(c.levels, uj, strict=True)}
           for c, uj in zip(comps, u, strict=True)},
        lam=lam, tf=tf, tf_floor=floor, learnt=True,
    )
