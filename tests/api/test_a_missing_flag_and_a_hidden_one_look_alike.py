"""A flag that does not exist, one on a record you may not see and one on another record
get the very same 404: its id tells nothing about what exists elsewhere."""

from __future__ import annotations

import uuid

from yiri.cases.notes import add_flag

from ..conftest import make_case
from ..web.helpers import client_for as web_client
from ..web.helpers import text_of


def flags(cast):
    mine, other_of_mine = make_case(cast.worker), make_case(cast.worker)
    hidden = make_case(cast.outsider)
    return mine, {
        "missing": uuid.uuid4(),
        "hidden": add_flag(cast.outsider, hidden, reason="Danger").pk,
        "elsewhere": add_flag(cast.worker, other_of_mine, reason="Danger").pk,
    }


def test_the_api_answers_one_404_for_all_three(cast, api):
    mine, ids = flags(cast)
    client = api(cast.worker)
    answers = {name: client.post(f"/api/v1/cases/{mine.pk}/flags/{pk}/remove/",
                                 {"reason": "Levé"}, format="json")
               for name, pk in ids.items()}
    assert {r.status_code for r in answers.values()} == {404}
    assert len({r.content for r in answers.values()}) == 1, {k: r.content for k, r in answers.items()}


def test_the_page_answers_one_404_for_all_three(cast):
    mine, ids = flags(cast)
    client = web_client(cast.worker)
    answers = {name: client.post(f"/cases/{mine.pk}/flags/{pk}/remove/", {"reason": "Levé"})
               for name, pk in ids.items()}
    assert {r.status_code for r in answers.values()} == {404}
    assert len({text_of(r) for r in answers.values()}) == 1  # the CSRF token differs
