"""Without a period, the dashboard's months are the last twelve, ending with the current
month, whatever the day (on the first of a month it showed thirteen)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from yiri.dashboards.queries import Filters, month_range, month_window


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_twelve_months_end_with_today_s(today):
    months = month_range(*month_window(Filters(), today))
    assert len(months) == 12
    assert months[-1] == today.replace(day=1)
    assert all(m.day == 1 for m in months)


def test_the_first_of_december_shows_january_to_december():
    months = month_range(*month_window(Filters(), dt.date(2026, 12, 1)))
    assert months[0] == dt.date(2026, 1, 1) and months[-1] == dt.date(2026, 12, 1)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)),
       st.integers(0, 800))
def test_a_period_asked_gives_its_months(start, days):
    end = start + dt.timedelta(days=days)
    months = month_range(*month_window(Filters(date_from=start, date_to=end), end))
    assert months[0] == start.replace(day=1) and months[-1] == end.replace(day=1)
