"""Page-number paging shared by every list of the API.

Counts are capped: counting every match of a broad filter on a national node means
reading a million rows for a number nobody pages through. Past ``COUNT_CAP`` the answer
says ``"count_capped": true``; narrow the filters (e.g. ``updated_since``) to go further.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.metadata import SimpleMetadata
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

    def get_page_size(self, request):
        """``page_size`` from 1 to 100, or a 400 naming it (DRF would quietly use 50)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                _("Nombre de résultats par page : un nombre entier de 1 à %(n)d.")
                % {"n": self.max_page_size}]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for p in parameters:
            if p["name"] == self.page_size_query_param:
                p["schema"].update(minimum=1, maximum=self.max_page_size)
            if p["name"] == self.page_query_param:
                p["schema"].update(minimum=1)
        return parameters

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


class Metadata(SimpleMetadata):
    """``OPTIONS``: the name, description and formats of an endpoint. DRF's default also
    describes the fields of the view's serializer, which the record viewsets do not have
    (a serializer per action), and failed with a 500; the fields are in ``/api/schema/``."""

    def determine_actions(self, request, view):
        return {}
