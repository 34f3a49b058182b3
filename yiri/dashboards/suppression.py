"""Small-cell suppression for the partners' indicator tables.

A table is a grid of counts with its row totals, column totals and grand total. Every
line of the table — each row and each column, the totals' row and column included — is
an additive relation: its cells add up to its total. Someone holding the published table
knows every relation and every shown value, and could solve for a hidden one.

``suppress`` hides:

1. **primary**: every value (cell or total) under ``THRESHOLD`` (5 children);
2. **secondary**: in every line holding exactly one hidden value, the smallest shown value
   of that line too (the hidden one would otherwise be its total minus the rest), repeated
   until no line holds exactly one;
3. **audit**: a hidden value can still be recomputed through several lines at once (a
   suppression pattern that satisfies rule 2 line by line may leave a hidden value fixed
   by the whole system of relations). The relations over the hidden values are row-reduced
   exactly (integers modulo a large prime: their coefficients are 0 and ±1); a hidden
   value is recomputable exactly when the reduced system holds a row naming it alone. For
   each such value one more value is hidden (the smallest shown value in one of its lines),
   and rules 2 and 3 run again until nothing is recomputable.

Hiding only ever grows, so the loop ends. Several tables that share values (the same
period totals in the region, sex and age tables) are passed together as one system with
the shared values under the same key, so that what one table hides no other reveals.

What this does not defend against: bounds (a hidden value is known to be under 5 and at
least 0, and a pair of hidden values with a shown total of 6 lies between 1 and 5 each).
That is the accepted residue of cell suppression; rounding would be the next step.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

THRESHOLD = 5
_P = (1 << 61) - 1  # a Mersenne prime: rank over it equals rank over Q for 0/±1 systems of this size


Key = Hashable


def suppress(values: dict[Key, int], lines: Sequence[Sequence[Key]]) -> set[Key]:
    """The keys to hide. ``lines``: each is its members then its total (last key)."""
    hidden = {k for k, v in values.items() if v < THRESHOLD}
    where: dict[Key, list[int]] = {}
    for i, line in enumerate(lines):
        for k in line:
            where.setdefault(k, []).append(i)
    while True:
        _lines_of_two(values, lines, hidden)
        fixed = recomputable(lines, hidden)
        if not fixed:
            return hidden
        added = False
        for k in sorted(fixed, key=repr):
            # One more value hidden in a line of k (the smallest shown value there).
            candidates = [c for i in where.get(k, []) for c in lines[i] if c not in hidden]
            if candidates:
                hidden.add(min(candidates, key=lambda c: (values[c], repr(c))))
                added = True
                break  # rule 2 and the audit again before hiding more
        if not added:  # everything around the recomputable values is already hidden
            return hidden


def _lines_of_two(values, lines, hidden) -> None:
    changed = True
    while changed:
        changed = False
        for line in lines:
            inside = [k for k in line if k in hidden]
            if len(inside) == 1:
                shown = [k for k in line if k not in hidden]
                if shown:
                    hidden.add(min(shown, key=lambda c: (values[c], repr(c))))
                    changed = True


def recomputable(lines: Sequence[Sequence[Key]], hidden: set[Key]) -> set[Key]:
    """The hidden keys whose value follows exactly from the lines and the shown values."""
    unknown = sorted(hidden, key=repr)
    col = {k: j for j, k in enumerate(unknown)}
    rows: list[dict[int, int]] = []
    for line in lines:
        row: dict[int, int] = {}
        for k in line[:-1]:
            if k in col:
                row[col[k]] = (row.get(col[k], 0) + 1) % _P
        total = line[-1]
        if total in col:
            row[col[total]] = (row.get(col[total], 0) - 1) % _P
        row = {j: c for j, c in row.items() if c}
        if row:
            rows.append(row)
    # Gauss–Jordan elimination on sparse rows, modulo _P.
    pivots: dict[int, dict[int, int]] = {}  # pivot column -> row with 1 there
    for row in rows:
        for p, prow in pivots.items():
            c = row.get(p)
            if c:
                for j, v in prow.items():
                    row[j] = (row.get(j, 0) - c * v) % _P
                row = {j: v for j, v in row.items() if v}
        if not row:
            continue
        p = min(row)
        inv = pow(row[p], _P - 2, _P)
        row = {j: v * inv % _P for j, v in row.items()}
        for q, qrow in pivots.items():
            c = qrow.get(p)
            if c:
                for j, v in row.items():
                    qrow[j] = (qrow.get(j, 0) - c * v) % _P
                pivots[q] = {j: v for j, v in qrow.items() if v}
        pivots[p] = row
    return {unknown[p] for p, row in pivots.items() if len(row) == 1}


def grid_lines(row_keys: Sequence, col_keys: Sequence, cell, row_total, col_total,
               grand) -> list[list[Key]]:
    """The lines of a grid: each row with its row total, each column with its column
    total, the totals' row with the grand total and the totals' column with it too."""
    lines = [[cell(r, c) for c in col_keys] + [row_total(r)] for r in row_keys]
    lines += [[cell(r, c) for r in row_keys] + [col_total(c)] for c in col_keys]
    lines.append([col_total(c) for c in col_keys] + [grand])
    lines.append([row_total(r) for r in row_keys] + [grand])
    return lines
