#!/usr/bin/env python
"""How much accuracy does matching through Bloom-filter encodings lose against plaintext
matching? (issue 10, item 7)

One population from the seeded generator (``yiri/matching/generator.py``) is cut in two
"networks" by the registering organisation's country: the Burkinabè organisations' records
on one side, the Togolese ones' on the other. A child registered on both sides (the
cross-border duplicates) is a true pair; the task is to find every true pair *between* the
two networks (duplicates inside one network are that network's own business).

- **Bloom filters** (``yiri/matching/pprl.py``): each side encodes its records under one
  shared secret; candidates by bit-sampling LSH on the encodings; Dice coefficient.
- **Plaintext**: the same records in clear through the engine's duplicate detection
  (``matching.dedupe.find_duplicates``: its blocking rules, Jaro-Winkler, phonetic and
  nickname levels on the names, birth year with tolerance, sex, place in the hierarchy,
  parents; Fellegi–Sunter weights learnt by EM on these records), its pairs between the
  two networks kept.

Printed for each: candidate pairs, blocking recall (true pairs that reach scoring),
precision, recall and F1 at the default threshold and at the best threshold (chosen on
the data itself, so an upper bound for both), time; then the loss (plaintext F1 − Bloom F1).

    .venv/bin/python bench/bench_pprl.py                     # 20,000 records
    .venv/bin/python bench/bench_pprl.py --records 200000    # 100,000-odd per side
    .venv/bin/python bench/bench_pprl.py --records 5000 --seed 3 --tables 80 --bits 20

No assertion: figures to read (docs/matching.md keeps the last run's).
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiri.settings")

import django  # noqa: E402

django.setup()

from yiri.matching import dedupe, generator, pprl  # noqa: E402
from yiri.matching.person import person_from_row  # noqa: E402


def split(rows):
    bf = set(generator.ORGANISATIONS["BF"])
    left = [r for r in rows if r["organisation"] in bf]
    right = [r for r in rows if r["organisation"] not in bf]
    return left, right


def true_cross_pairs(left, right) -> set[tuple[int, int]]:
    where = defaultdict(list)
    for j, r in enumerate(right):
        where[r["cluster_id"]].append(j)
    return {(i, j) for i, r in enumerate(left) for j in where.get(r["cluster_id"], ())}


def prf(found: set, truth: set) -> tuple[float, float, float]:
    tp = len(found & truth)
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def best_threshold(ia, ib, scores, truth) -> tuple[float, tuple[float, float, float]]:
    """The threshold of best F1 over the candidates' scores."""
    is_true = np.array([(int(a), int(b)) in truth for a, b in zip(ia, ib, strict=True)], dtype=bool)
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(is_true[order])
    k = np.arange(1, len(order) + 1)
    precision, recall = tp / k, tp / max(len(truth), 1)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    if len(f1) == 0:
        return 1.0, (1.0, 0.0, 0.0)
    best = int(np.argmax(f1))
    return float(scores[order][best]), (float(precision[best]), float(recall[best]), float(f1[best]))


def fit(cols, present, ia, ib, truth, iterations: int = 80) -> dict:
    """Logistic regression (Newton's method) of "same child" on each field's Dice below
    and above ``pprl.KNOT`` and its presence: the weights ``pprl.FIELD_WEIGHTS`` holds. A
    field whose part above the knot gets a negative weight (on generated data, an exact
    common name is weaker evidence than a variant: re-registrations mostly change the
    spelling) is fitted again with that part at 0, so the score never falls as a field
    gets closer; and a field equal on both sides never counts less than a blank one
    (its presence weight is raised if needed)."""
    y = np.array([(int(a), int(b)) in truth for a, b in zip(ia, ib, strict=True)], dtype=np.float64)
    n = len(pprl.FEATURES)

    def solve(flat_above):
        d = np.where(present, cols, 0.0)
        above = np.where(present, np.maximum(cols - pprl.KNOT, 0), 0.0)
        above[:, flat_above] = 0.0
        X = np.concatenate([np.minimum(d, pprl.KNOT), above, present.astype(np.float64),
                            np.ones((len(y), 1))], axis=1)
        w = np.zeros(X.shape[1])
        for _ in range(iterations):
            p = 1 / (1 + np.exp(-np.clip(X @ w, -60, 60)))
            grad = X.T @ (p - y) + 0.01 * w
            hess = (X * (p * (1 - p))[:, None]).T @ X + 0.01 * np.eye(len(w))
            w -= np.linalg.solve(hess, grad)
        return w

    w = solve([])
    flat = [t for t in range(n) if w[n + t] < 0]
    if flat:
        w = solve(flat)
    out = {"bias": round(float(w[-1]), 2)}
    for t, name in enumerate(pprl.FEATURES):
        a, b, c = float(w[t]), max(float(w[n + t]), 0.0), float(w[2 * n + t])
        # A field known and equal on both sides never counts less than a blank one.
        c = max(c, -(a * pprl.KNOT + b * (1 - pprl.KNOT)))
        out[name] = (round(a, 2), round(b, 2), math.ceil(c * 100) / 100)  # (rounded up: still ≥)
    return out


def fit_crowd(scores, close, ia, ib, n_a, n_b, truth, iterations: int = 80) -> tuple:
    """Logistic regression of "same child" on the logit of the field score and the
    crowding of both records: ``pprl.CROWD_WEIGHTS``."""
    y = np.array([(int(a), int(b)) in truth for a, b in zip(ia, ib, strict=True)], dtype=np.float64)
    na = np.bincount(ia[close], minlength=n_a)
    nb = np.bincount(ib[close], minlength=n_b)
    crowd = np.log1p(na[ia]) + np.log1p(nb[ib])
    p = np.clip(scores, 1e-12, 1 - 1e-12)
    X = np.stack([np.log(p / (1 - p)), -crowd, np.ones(len(y))], axis=1)
    w = np.zeros(3)
    for _ in range(iterations):
        q = 1 / (1 + np.exp(-np.clip(X @ w, -60, 60)))
        grad = X.T @ (q - y) + 0.01 * w
        hess = (X * (q * (1 - q))[:, None]).T @ X + 0.01 * np.eye(3)
        w -= np.linalg.solve(hess, grad)
    return tuple(round(float(v), 2) for v in w)


def line(name, cands, blocking_recall, at_default, best, seconds):
    p, r, f = at_default
    bp, br, bf, bt = best
    print(f"{name:<14} {cands:>11,} {blocking_recall:>8.4f}   P {p:.4f} R {r:.4f} F1 {f:.4f}"
          f"   best t={bt:.3f}: P {bp:.4f} R {br:.4f} F1 {bf:.4f}   {seconds:7.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=20_000, help="records generated (both sides)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duplicates", type=float, default=0.3, help="share of children registered 2–4 times")
    ap.add_argument("--tables", type=int, default=pprl.LSH_TABLES)
    ap.add_argument("--bits", type=int, default=pprl.LSH_BITS)
    ap.add_argument("--threshold", type=float, default=None, help="default: the layout's")
    ap.add_argument("--layouts", nargs="+", default=["field", "record"], choices=list(pprl.LAYOUTS))
    ap.add_argument("--flip", type=float, default=None, help="share of bits flipped (default: the layout's)")
    ap.add_argument("--fit", action="store_true",
                    help="fit the field layout's weights (logistic regression) and print them")
    ap.add_argument("--skip-plain", action="store_true")
    args = ap.parse_args()

    rows = generator.generate(args.records, seed=args.seed, duplicate_share=args.duplicates)
    left, right = split(rows)
    truth = true_cross_pairs(left, right)
    lp = [person_from_row(r) for r in left]
    rp = [person_from_row(r) for r in right]
    print(f"{args.records:,} records (seed {args.seed}): Burkinabè network {len(left):,}, "
          f"Togolese network {len(right):,}; {len(truth):,} true pairs between them "
          f"({len(left) * len(right):,} possible pairs).")
    print(f"{'method':<14} {'candidates':>11} {'blk rec':>8}   at the default threshold"
          f"{'':<15}   at the best threshold")

    secret = pprl.SharedSecret(b"\x07" * 32)
    results = {}
    for layout in args.layouts:
        params = copy.deepcopy(pprl.LAYOUTS[layout])
        if args.flip is not None:
            params["flip"] = args.flip
        t0 = time.perf_counter()
        enc = pprl.Encoder(secret, params)
        rng = np.random.default_rng(args.seed)  # the flips too are the same at each run
        A = pprl.blip(enc.encode_many(pprl.child_from_person(p) for p in lp), params["flip"], rng)
        B = pprl.blip(enc.encode_many(pprl.child_from_person(p) for p in rp), params["flip"], rng)
        t_enc = time.perf_counter() - t0
        ia, ib = pprl.candidate_pairs(pprl.blocking_view(A, params), pprl.blocking_view(B, params),
                                      tables=args.tables, bits=args.bits)
        if args.fit and layout == "field":
            cols, present, _swap = pprl.field_features(A, B, ia, ib, params)
            print("fitted FIELD_WEIGHTS =", fit(cols, present, ia, ib, truth))
        scores, close = pprl.score_and_closeness(A, B, ia, ib, params)
        if layout == "field":
            if args.fit:
                print("fitted CROWD_WEIGHTS =", fit_crowd(scores, close, ia, ib, len(A), len(B), truth))
            scores = pprl.crowd_scores(scores, close, ia, ib, len(A), len(B))
        seconds = time.perf_counter() - t0
        cand = set(zip(ia.tolist(), ib.tolist(), strict=True))
        blocking = len(cand & truth) / max(len(truth), 1)
        threshold = pprl.THRESHOLDS[layout][1] if args.threshold is None else args.threshold
        found = {(int(a), int(b)) for a, b, s in zip(ia, ib, scores, strict=True) if s >= threshold}
        bt, best = best_threshold(ia, ib, scores, truth)
        line(f"Bloom {layout}", len(cand), blocking, prf(found, truth), (*best, bt), seconds)
        print(f"{'':<14} (encoding {t_enc:.1f} s for {len(lp) + len(rp):,} records, "
              f"{params['flip']:.0%} of bits flipped; default threshold {threshold})")
        results[layout] = (prf(found, truth)[2], best[2])

    if not args.skip_plain:
        t0 = time.perf_counter()
        # The engine's whole pipeline on both networks' records in clear: its blocking
        # rules, Fellegi–Sunter weights learnt by EM, its probability; pairs between the
        # two networks kept.
        result = dedupe.find_duplicates(lp + rp)
        n = len(lp)
        lo, hi = np.minimum(result.ia, result.ib), np.maximum(result.ia, result.ib)
        cross = (lo < n) & (hi >= n)
        pa, pb, prob = lo[cross], hi[cross] - n, result.probability[cross]
        t_plain = time.perf_counter() - t0
        pc = set(zip(pa.tolist(), pb.tolist(), strict=True))
        blocking = len(pc & truth) / max(len(truth), 1)
        found = {(int(a), int(b)) for a, b, s in zip(pa, pb, prob, strict=True) if s >= dedupe.THRESHOLD}
        bt, best = best_threshold(pa, pb, prob, truth)
        line("plaintext (FS)", len(pc), blocking, prf(found, truth), (*best, bt), t_plain)
        plain_f1, plain_best = prf(found, truth)[2], best[2]
        for layout, (f1, f1_best) in results.items():
            print(f"loss of F1 through the encodings ({layout} layout): {plain_f1 - f1:+.4f} at "
                  f"the default thresholds, {plain_best - f1_best:+.4f} at the best ones")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
