"""In a real browser: a worker outside the other organisation's scope types a child who is
already registered; before saving, the page says which organisation to contact (htmx, as
the names are typed) and nothing of the other child; "Enregistrer quand même" saves. The
relay-cell data manager then merges the pair from the queue and undoes it."""

from __future__ import annotations

import re

import pytest

from yiri.cases.models import Case
from yiri.cases.services import create_record
from yiri.matching.models import MatchCandidate

from ..conftest import child_answers
from ..web.test_browser_story import browser, keep_reference_data, story  # noqa: F401

pytestmark = [pytest.mark.browser]


def test_the_live_check_then_the_review_in_a_browser(story):  # noqa: F811
    cast, login, base = story
    known = create_record(cast.worker, "case", child_answers(
        name_first="Fatimata", name_last="Ouédraogo", name_middle="Zénabou", phone="70998877"))

    # A case worker of Togo Enfants (location in the Centre, so the relay cell sees it).
    outsider = login(cast.outsider)
    outsider.get_by_role("link", name="Rechercher", exact=True).click()
    outsider.get_by_label("Nom de l'enfant").fill("Fatimata Ouedraogo")
    outsider.get_by_role("button", name="Rechercher").click()
    outsider.get_by_role("button", name="Enregistrer un nouvel enfant").click()
    outsider.get_by_label("Sexe").select_option("female")
    outsider.get_by_label("Âge (en années)").fill("12")
    outsider.get_by_label("Date d'enregistrement").fill("2026-02-01")
    outsider.get_by_label("Localité actuelle").fill("BF-KAD")
    panel = outsider.locator("#live-check-slot")
    panel.get_by_text("Action Enfance").wait_for()  # as the form is filled, before saving
    text = outsider.inner_text("body")
    for secret in (known.short_id, "Zénabou", "70998877"):
        assert secret not in text
    assert Case.objects.filter(owner=cast.outsider).count() == 0
    outsider.get_by_role("button", name=re.compile("^Enregistrer")).click()
    outsider.wait_for_url(re.compile(r"/cases/[0-9a-f-]+/$"))
    mine = Case.objects.get(owner=cast.outsider)
    assert MatchCandidate.objects.get().other_id in (known.pk, mine.pk)

    # The data manager compares the pair and merges it, then undoes the merge.
    relay = login(cast.relay)
    relay.get_by_role("link", name="Doublons", exact=True).click()
    relay.get_by_role("link", name="Comparer").first.click()
    assert "Zénabou" in relay.inner_text("body")
    relay.get_by_role("button", name="Même enfant", exact=True).click()
    relay.get_by_text("Dossiers fusionnés").first.wait_for()
    assert sum(not c.deleted for c in Case._base_manager.filter(pk__in=[known.pk, mine.pk])) == 1
    relay.get_by_role("button", name="Annuler la fusion").first.click()
    relay.get_by_text("Fusion annulée").wait_for()
    assert Case.objects.alive().filter(pk__in=[known.pk, mine.pk]).count() == 2
