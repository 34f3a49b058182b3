"""Changes the benchmark can try before they are made in the application.

``--variant proposed`` replaces the search page in the benchmark process only:
``search_ids`` reads the ids of the matching cases first (no ORDER BY, at most 1,001, which
is also the capped count), then ``search_page`` orders those ids by -updated_at for the
page. With ``ORDER BY updated_at LIMIT 50`` on the joined query, PostgreSQL walks the whole
updated_at index whenever it overestimates how many of the user's cases carry the name
(a Togolese team searching a Burkinabè name): seconds on 1,000,000 cases.

The scope filter this file used to swap in (ids of shares, team and cell members read
first) is the application's ``scope_q`` since commit 26a53e5.

Delete this file once ``search_cases`` has been changed (see bench/README.md).
"""

from __future__ import annotations

from yiri.cases.models import Case


def search_ids(user, q: str, cap: int) -> list:
    from yiri.cases.search import search_cases

    return list(search_cases(user, q=q).order_by().values_list("pk", flat=True)[:cap])


def search_page(ids: list, size: int) -> list:
    return list(Case.objects.filter(pk__in=ids).select_related("owner", "owning_agency", "location")
                .order_by("-updated_at", "pk")[:size])

