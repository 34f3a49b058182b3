"""On PostgreSQL the dashboard's four groupings (places, concerns, services, organisation
and worker) come from one ``GROUPING SETS`` query: it gives what the four grouped queries
give, for every scope and filter, and leaves the transaction's ``work_mem`` as it was."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count, Q

from yiri.cases.models import CaseStatus
from yiri.dashboards import queries
from yiri.dashboards.queries import Filters
from yiri.network.models import Location
from yiri.web.listing import overdue_q

from .test_case_management_indicators_equal_direct_counts import network_of_cases

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="grouping sets are PostgreSQL's (SQLite runs the four queries)")


def _four_queries(qs):
    return (
        sorted(qs.values_list("location_path").annotate(k=Count("id"))),
        sorted(qs.values_list("concerns").annotate(k=Count("id"))),
        sorted(qs.exclude(services="").values_list("services").annotate(k=Count("id"))),
        sorted(qs.values_list("owning_agency", "owner").annotate(
            k=Count("id"), o=Count("id", filter=Q(status=CaseStatus.OPEN)),
            late=Count("id", filter=overdue_q())), key=str),
    )


def test_the_grouping_sets_give_what_the_four_queries_give(cast):
    network_of_cases(cast)
    region = Location.objects.filter(level="region").order_by("path").first()
    for user in (cast.coordinator, cast.relay, cast.manager, cast.worker):
        for filters in (Filters(), Filters(region=region)):
            qs = queries.scoped_cases(user, filters)
            groups = queries.grouped_rows(qs)
            got = (sorted(groups.places), sorted(groups.concerns), sorted(groups.services),
                   sorted(groups.agency_owner, key=str))
            assert got == _four_queries(qs), (user.username, filters)
    assert groups.places or groups.agency_owner or not qs.exists()


def test_the_memory_setting_is_put_back(cast):
    network_of_cases(cast)
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        before = cursor.fetchone()[0]
        queries.grouped_rows(queries.scoped_cases(cast.coordinator, Filters()))
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] == before
