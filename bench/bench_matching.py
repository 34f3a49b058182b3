"""Duplicate detection: ours against a plain Splink 5 + DuckDB configuration, same data.

    python bench/bench_matching.py                 # 200,000 and 1,000,000 records
    python bench/bench_matching.py 20000 50000     # other sizes
    python bench/bench_matching.py --engines ours 200000

For each size, the seeded generator of West African child records
(``yiri.matching.generator``, docs/matching.md) is run once per engine in a process of
its own (same seed, same records), so that each engine's peak memory is its own. Printed
for each: pairwise precision, recall and F1 of its clusters against the labels, wall time
(blocking, training, scoring and clustering; not the generation) and peak resident
memory of the process (generated records included, the same for both).

The Splink configuration is what a team would write first, as issue 10 describes it:
Jaro-Winkler on the given and family names (0.9 / 0.7), exact birth year, exact village,
exact sex; blocking on the Soundex codes of the names and on the birth year
(``family code + birth year``, ``given code + birth year``, ``both codes``); u by random
sampling, λ from exact name-and-year pairs, m by EM blocked on the name codes and on the
birth year and village; pairs of probability ≥ 0.5 joined into clusters (connected
components), as Splink's ``cluster_pairwise_predictions_at_threshold`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def run_ours(rows: list[dict]) -> dict:
    import numpy as np

    from yiri.matching.dedupe import cluster_metrics, find_duplicates
    from yiri.matching.person import person_from_row

    start = time.perf_counter()
    people = [person_from_row(r) for r in rows]
    result = find_duplicates(people)
    elapsed = time.perf_counter() - start
    _, truth = np.unique([r["cluster_id"] for r in rows], return_inverse=True)
    metrics = cluster_metrics(result.clusters, truth)
    metrics.update(seconds=elapsed, pairs=len(result.ia))
    return metrics


def run_splink(rows: list[dict]) -> dict:
    import jellyfish
    import numpy as np
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from yiri.lib.names import normalise
    from yiri.matching.dedupe import cluster_metrics

    start = time.perf_counter()
    frame = pd.DataFrame({
        "unique_id": [r["record_id"] for r in rows],
        "given": [normalise(r["given"]) or None for r in rows],
        "family": [normalise(r["family"]) or None for r in rows],
        "birth_year": [int(r["birth_year"]) if r["birth_year"] else None for r in rows],
        "place": [r["place"] or None for r in rows],
        "sex": [r["sex"] or None for r in rows],
    })
    frame["given_code"] = [jellyfish.soundex(v) if v else None for v in frame["given"]]
    frame["family_code"] = [jellyfish.soundex(v) if v else None for v in frame["family"]]
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("given", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("family", [0.9, 0.7]),
            cl.ExactMatch("birth_year"),
            cl.ExactMatch("place"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("family_code", "birth_year"),
            block_on("given_code", "birth_year"),
            block_on("given_code", "family_code"),
        ],
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings, log_level="ERROR")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given", "family", "birth_year")], recall=0.6)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_code", "family_code"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_year", "place"))
    if os.environ.get("BENCH_DEBUG"):
        print(linker.misc.save_model_to_json(), file=sys.stderr)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.5).as_pandas_dataframe()
    elapsed = time.perf_counter() - start
    label = dict(zip(clusters["unique_id"], clusters["cluster_id"], strict=True))
    _, predicted = np.unique([str(label[r["record_id"]]) for r in rows], return_inverse=True)
    _, truth = np.unique([r["cluster_id"] for r in rows], return_inverse=True)
    metrics = cluster_metrics(predicted, truth)
    metrics.update(seconds=elapsed)
    return metrics


def child(engine: str, size: int, seed: int) -> None:
    from yiri.matching.generator import generate

    rows = generate(size, seed=seed)
    result = run_ours(rows) if engine == "ours" else run_splink(rows)
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[200_000, 1_000_000])
    parser.add_argument("--engines", default="ours,splink")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.seed)
        return
    print(f"{'records':>9} {'engine':>7} {'precision':>9} {'recall':>7} {'F1':>6} "
          f"{'seconds':>8} {'peak MB':>8}")
    for size in args.sizes:
        for engine in args.engines.split(","):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", engine, str(size), "--seed", str(args.seed)],
                capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            if proc.returncode != 0:
                print(f"{size:>9} {engine:>7} failed: {proc.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{size:>9} {engine:>7} {r['precision']:>9.4f} {r['recall']:>7.4f} "
                  f"{r['f1']:>6.4f} {r['seconds']:>8.1f} {r['peak_mb']:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
