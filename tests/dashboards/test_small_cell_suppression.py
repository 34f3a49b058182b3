"""Suppression of small cells in the partners' tables: no cell under 5 is shown, and no
suppressed cell can be recomputed from the others (property-based)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiri.dashboards.suppression import THRESHOLD, grid_lines, recomputable, suppress


def _table(cells: list[list[int]]):
    rows, cols = range(len(cells)), range(len(cells[0]))
    values = {("c", r, c): cells[r][c] for r in rows for c in cols}
    for r in rows:
        values[("r", r)] = sum(cells[r])
    for c in cols:
        values[("k", c)] = sum(cells[r][c] for r in rows)
    values["g"] = sum(values[("r", r)] for r in rows)
    lines = grid_lines(rows, cols, lambda r, c: ("c", r, c), lambda r: ("r", r), lambda c: ("k", c), "g")
    return values, lines


tables = st.integers(1, 6).flatmap(lambda w: st.lists(
    st.lists(st.one_of(st.integers(0, 6), st.integers(0, 60)), min_size=w, max_size=w), min_size=1, max_size=6))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_no_small_cell_is_shown_and_every_line_hides_none_or_at_least_two(cells):
    values, lines = _table(cells)
    hidden = suppress(values, lines)
    assert all(k in hidden for k, v in values.items() if v < THRESHOLD)
    for line in lines:  # every row and column, the totals' row and column included
        inside = sum(k in hidden for k in line)
        assert inside == 0 or inside >= 2, line
    # And no hidden value follows from the whole system of relations either.
    assert not recomputable(lines, hidden)


def test_a_lone_small_cell_takes_the_next_smallest_of_its_row_and_column_with_it():
    values, lines = _table([[3, 10, 20], [12, 11, 40], [30, 31, 50]])
    hidden = suppress(values, lines)
    assert ("c", 0, 0) in hidden
    assert ("c", 0, 1) in hidden  # the smallest other cell of its row (10)
    assert ("c", 1, 1) in hidden or ("c", 1, 0) in hidden  # its column needs a second one
    assert not recomputable(lines, hidden)


def test_the_audit_finds_a_value_fixed_by_several_lines_at_once():
    # Hiding a rectangle's four corners is safe; hiding three cells of a 2x2 table plus one
    # total leaves a cell recomputable through the other lines.
    values, lines = _table([[10, 10], [10, 10]])
    assert recomputable(lines, {("c", 0, 0), ("c", 0, 1), ("c", 1, 0), ("c", 1, 1)}) == set()
    assert recomputable(lines, {("c", 0, 0), ("c", 0, 1), ("c", 1, 0), ("r", 0)})
