"""Page-number paging shared by every list of the API.

Counts are capped: counting every match of a broad filter on a national node means
reading a million rows for a number nobody pages through. Past ``COUNT_CAP`` the answer
says ``"count_capped": true``; narrow the filters (e.g. ``updated_since``) to go further.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        return min(self.object_list[: COUNT_CAP + 1].count(), COUNT_CAP + 1)

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response({
            "count": min(paginator.count, COUNT_CAP),
            "count_capped": paginator.capped,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        result["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "true when more than 10,000 records match: narrow the filters.",
        }
        return result
