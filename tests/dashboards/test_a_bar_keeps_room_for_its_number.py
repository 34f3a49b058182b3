"""A bar chart keeps room right of its longest bar for the number, however many digits
it has (at 1,000,000 cases "557180" was cut at the chart's edge), and writes numbers
grouped as the language does."""

from __future__ import annotations

import re

from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from yiri.dashboards.charts import WIDTH, hbar


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=8))
def test_every_number_ends_inside_the_chart(values):
    with translation.override("fr"):
        svg = str(hbar("c", "t", [(f"l{i}", v) for i, v in enumerate(values)]))
    for x, text in re.findall(r'class="chart-value" x="([0-9.]+)"[^>]*>([^<]*)<', svg):
        assert float(x) + 6.5 * len(text) <= WIDTH


def test_numbers_are_grouped_in_french_and_english():
    with translation.override("fr"):
        assert "557\u202f180" in str(hbar("c", "t", [("Clôturés", 557180)])) or \
            "557\xa0180" in str(hbar("c", "t", [("Clôturés", 557180)]))
    with translation.override("en"):
        assert "557,180" in str(hbar("c", "t", [("Closed", 557180)]))
