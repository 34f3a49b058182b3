"""EM learns m, u and λ: on comparison vectors drawn from a known model it finds that
model again."""

from __future__ import annotations

import numpy as np
import pytest

from yiri.matching.em import fit, level_counts

M = [np.array([0.7, 0.2, 0.1]), np.array([0.8, 0.15, 0.05]), np.array([0.9, 0.1]),
     np.array([0.6, 0.3, 0.1])]
U = [np.array([0.05, 0.15, 0.8]), np.array([0.02, 0.08, 0.9]), np.array([0.5, 0.5]),
     np.array([0.1, 0.2, 0.7])]
LAM = 0.15


def draw(n: int, seed: int = 0, blank: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    match = rng.random(n) < LAM
    levels = np.empty((n, len(M)), dtype=np.int8)
    for j, (m, u) in enumerate(zip(M, U, strict=True)):
        from_m = rng.choice(len(m), size=n, p=m)
        from_u = rng.choice(len(u), size=n, p=u)
        levels[:, j] = np.where(match, from_m, from_u)
        levels[rng.random(n) < blank, j] = -1
    return levels, match


def flat(k: int) -> np.ndarray:
    return np.full(k, 1.0 / k)


def test_em_recovers_m_u_and_lambda_from_a_rough_start():
    levels, _ = draw(60_000, seed=1)
    n_levels = [len(m) for m in M]
    m0 = [np.array([0.5, 0.3, 0.2]), np.array([0.5, 0.3, 0.2]), np.array([0.7, 0.3]),
          np.array([0.5, 0.3, 0.2])]
    u0 = [flat(k) for k in n_levels]
    m, u, lam, iterations = fit(levels, n_levels, u0, m0, lam0=0.3, fix_u=False)
    assert 1 < iterations < 100
    assert lam == pytest.approx(LAM, abs=0.01)
    for got, want in zip(m, M, strict=True):
        assert got == pytest.approx(want, abs=0.02)
    for got, want in zip(u, U, strict=True):
        assert got == pytest.approx(want, abs=0.02)


def test_with_u_known_em_learns_m_and_lambda_and_ignores_blanks():
    levels, _ = draw(60_000, seed=2, blank=0.2)
    n_levels = [len(m) for m in M]
    m0 = [flat(k) for k in n_levels]
    m, u, lam, _ = fit(levels, n_levels, U, m0, lam0=0.05, fix_u=True)
    assert u == U
    assert lam == pytest.approx(LAM, abs=0.01)
    for got, want in zip(m, M, strict=True):
        assert got == pytest.approx(want, abs=0.03)


def test_level_counts_leave_blanks_out():
    levels = np.array([[0, -1], [1, 1], [0, 1], [-1, 0]], dtype=np.int8)
    counts = level_counts(levels, [2, 2])
    assert counts[0].tolist() == [2, 1]
    assert counts[1].tolist() == [1, 2]
