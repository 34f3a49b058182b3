"""The OpenAPI description, completed where drf-spectacular cannot know: every paginated
list may answer 400 (a bad ``page_size``) and 404 (a page past the last), as Schemathesis
found when they were undocumented."""

from __future__ import annotations

from drf_spectacular import openapi

from .common import errors


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.method == "GET" and self._get_paginator() is not None and self._is_list_view():
            for code, described in errors(400, 404).items():
                responses.setdefault(str(code), self._get_response_for_code(
                    described, str(code), direction=direction))
        return responses
