"""Schemathesis against the API's OpenAPI document (``/api/schema/``), as three roles.

Every operation of the schema gets requests generated from its documented parameters and
bodies (a few per operation, a fixed seed), each sent as the case worker, the supervisor
and the service provider of the cast, with their own API tokens. A path's record id is
drawn from the test's records — the worker's, a colleague's, the Togo office's, a case
referred to the provider, an incident, a tracing request — or left as generated. Every
answer must:

* never be a server error (5xx);
* match the schema: a documented status code, content type, headers and body;
* hold no record outside the user's scope: every record id in a list, a search, a detail
  or a record's sub-path answered 2xx is one ``visible_to(user)`` returns
  (``yiri.cases.access``).

Bounded: a handful of examples per operation, deterministic (``derandomize``), in-process
through the WSGI application (the test's database transaction)."""

from __future__ import annotations

import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from yiri.accounts import tokens
from yiri.cases.models import Case, Incident, TracingRequest
from yiri.cases.services import create_record

from ..conftest import make_case, referred_case
from .test_incidents_and_tracing_requests import INCIDENT, TRACING

ROLES = ("worker", "manager", "provider")
MODELS = {"cases": Case, "incidents": Incident, "tracing-requests": TracingRequest}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
RECORD_PATH = re.compile(r"^/api/v1/(cases|incidents|tracing-requests)/([0-9a-f-]{36})/")
APP = get_wsgi_application()
EXAMPLES = 8  # per operation, each sent as three roles


@pytest.fixture
def in_process():
    """Requests served in this process and inside the test's transaction: Django must not
    close the connection at each request's end (as its own test client arranges)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(cast, in_process):
    """Records in and out of each role's scope; their ids by record type."""
    referred, _, _ = referred_case(cast)
    records = [
        make_case(cast.worker),
        make_case(cast.colleague, location_current="BF-BAL"),
        make_case(cast.outsider, location_current="TG-M-GOL"),
        referred,
        create_record(cast.worker, "incident", INCIDENT),
        create_record(cast.outsider, "incident", INCIDENT),
        create_record(cast.worker, "tracing_request", TRACING),
    ]
    cast.record_ids = [str(r.pk) for r in records]
    return cast


GROUPS = {  # one test each, so that two workers share them
    "cases": r"^/api/v1/cases/",
    "other record types": r"^/api/v1/(incidents|tracing-requests)/",
    "reference data, users, tokens": r"^/api/v1/(?!cases/|incidents/|tracing-requests/)",
}


def load_schema(user):
    key = tokens.issue(user)
    return schemathesis.openapi.from_wsgi(
        "/api/schema/", APP, headers={"Authorization": f"Token {key}"})


def record_ids(path: str, body) -> tuple[str, set[str]]:
    """The record type and the record ids an answer to ``path`` holds."""
    m = RECORD_PATH.match(path)
    if m:  # a record's detail or one of its sub-paths: the record itself
        return m.group(1), {m.group(2)}
    m = re.match(r"^/api/v1/(cases|incidents|tracing-requests)/(search/)?$", path)
    if not m or not isinstance(body, dict):
        return "", set()
    rows = body.get("results", [body])
    return m.group(1), {str(row["id"]) for row in rows if isinstance(row, dict) and "id" in row}


def exercise(world, case) -> None:
    """``case`` sent as each role, its answer checked."""
    for role in ROLES:
        user = getattr(world, role)
        # identity: the in-process client does not uncompress (a real client does).
        headers = {"Authorization": f"Token {tokens.issue(user)}", "Accept-Encoding": "identity"}
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type")
        if 200 <= response.status_code < 300 and "json" in str(content_type):
            kind, held = record_ids(case.formatted_path, response.json())
            if held:
                visible = {str(pk) for pk in MODELS[kind].objects.visible_to(user)
                           .filter(pk__in=held).values_list("pk", flat=True)}
                assert held <= visible, (f"{role}: {case.method} {case.formatted_path} "
                                         f"holds records outside its scope: {held - visible}")


@pytest.mark.parametrize("group", GROUPS)
def test_the_api_answers_as_documented_and_within_scope_for_three_roles(world, group):
    schema = load_schema(world.worker)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if re.match(GROUPS[group], op.path)]
    assert operations
    for operation in operations:
        # Valid requests and invalid ones (which must be refused as documented, never 500).
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))
        if "{id}" in operation.path:  # also the test's records, in and out of scope
            strategy = st.one_of(strategy, *[operation.as_strategy(mode, path_parameters={"id": i})
                                             for i in world.record_ids for mode in GenerationMode])

        @given(case=strategy)
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            exercise(world, case)

        run()
