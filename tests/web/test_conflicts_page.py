"""The conflicts page: both values as the case page shows them, who wrote each, where and
when; a supervisor keeps A, B or a new value; a case worker sees the clash but cannot
decide; an outsider gets nothing; a stale or forged form is told in French, writes
nothing and is never a 500; no identifying value in a URL, the audit or the logs."""

from __future__ import annotations

import json
import logging

from yiri.audit.models import AuditEvent
from yiri.cases.identity import read_answers
from yiri.cases.models import Case
from yiri.cases.services import update_record
from yiri.formconfig.schema import get_schema
from yiri.sync.conflicts import conflict_for
from yiri.sync.models import Conflict, Operation

from ..conftest import make_case
from ..sync.clashes import clash
from .helpers import client_for, text_of

URL = "/sync/conflicts/"


def _resolve_url(conflict):
    return f"{URL}{conflict.pk}/resolve/"


def _risk(case):
    return Case.objects.get(pk=case.pk).risk_level


def _form(user, conflict, **extra):
    return {"stamp": str(conflict_for(user, conflict.pk).stamp), **extra}


def test_the_supervisor_sees_both_values_labelled_with_who_wrote_them_where_and_when(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low", author=cast.colleague)
    page = client_for(cast.manager).get(URL)
    assert page.status_code == 200
    text = text_of(page)
    assert case.short_id in text and "Niveau de risque" in text
    assert "Faible" in text and "Élevé" in text  # labels, as on the case page
    assert "Par Colleague, sur noeud-bobo" in text and "Par Worker, sur ce nœud" in text
    assert f'href="/cases/{case.pk}/"' in page.content.decode()
    assert f'action="{_resolve_url(conflict)}"' in page.content.decode()
    assert "Garder A" in text and "Garder B" in text and "Saisir une autre valeur" in text


def test_the_supervisor_keeps_the_other_value(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    c = client_for(cast.manager)
    answer = c.post(_resolve_url(conflict), _form(cast.manager, conflict, keep="loser"))
    assert answer.status_code == 302 and answer["Location"] == URL
    assert _risk(case) == "high"
    assert Conflict.objects.get(pk=conflict.pk).resolved
    after = text_of(c.get(URL))
    assert "Conflit résolu : « Niveau de risque »" in after and "Aucun conflit à résoudre" in after


def test_the_supervisor_keeps_the_value_every_node_holds(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    c = client_for(cast.manager)
    answer = c.post(_resolve_url(conflict), _form(cast.manager, conflict, keep="winner"))
    assert answer.status_code == 302
    assert _risk(case) == "low" and Conflict.objects.get(pk=conflict.pk).resolved
    op = Operation.objects.order_by("-seq").first()
    assert op.meta["resolves"] == [["risk_level", conflict.loser_stamp]]


def test_the_supervisor_writes_a_new_value_from_the_case_page_link(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    c = client_for(cast.manager)
    assert "1 conflit de synchronisation" in text_of(c.get(f"/cases/{case.pk}/"))
    form = _form(cast.manager, conflict, keep="new", risk_level="medium", record=str(case.pk))
    answer = c.post(_resolve_url(conflict), form)
    assert answer["Location"] == f"{URL}?record={case.pk}"
    assert _risk(case) == "medium"
    assert "conflit de synchronisation" not in text_of(c.get(f"/cases/{case.pk}/"))


def test_an_invalid_new_value_is_told_beside_the_field_and_nothing_is_written(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "age", 13, 11)
    ops = Operation.objects.count()
    answer = client_for(cast.manager).post(_resolve_url(conflict),
                                           _form(cast.manager, conflict, keep="new", age="quatorze"))
    assert answer.status_code == 422
    text = text_of(answer)
    assert "La valeur n'est pas acceptée : rien n'a été enregistré." in text
    assert "Saisissez un nombre" in text
    assert 'value="quatorze"' in answer.content.decode()  # what was typed stays
    assert Operation.objects.count() == ops and not Conflict.objects.get(pk=conflict.pk).resolved


def test_a_stale_or_forged_form_gets_a_french_message_and_writes_nothing(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    c = client_for(cast.manager)
    stale = _form(cast.manager, conflict, keep="loser")
    update_record(cast.admin, Case.objects.get(pk=case.pk), {"risk_level": "medium"})
    ops = Operation.objects.count()
    for form in (stale, {"stamp": "999", "keep": "loser"}, {"keep": "loser"},
                 {**_form(cast.manager, conflict), "keep": "tout"},
                 {**_form(cast.manager, conflict), "keep": "new", "risk_level": "extreme"}):
        answer = c.post(_resolve_url(conflict), form)
        assert answer.status_code == 422, form
        assert "rien n'a été enregistré" in text_of(answer) or "Choisissez" in text_of(answer)
    assert Operation.objects.count() == ops
    assert _risk(case) == "medium" and not Conflict.objects.get(pk=conflict.pk).resolved


def test_a_conflict_settled_meanwhile_is_told_not_settled_twice(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    form = _form(cast.manager, conflict, keep="loser")
    assert client_for(cast.admin).post(_resolve_url(conflict), {**form, "keep": "winner"}).status_code == 302
    answer = client_for(cast.manager).post(_resolve_url(conflict), form)
    assert answer.status_code == 422 and "déjà été résolu" in text_of(answer)
    assert _risk(case) == "low"


def test_the_case_worker_sees_the_clash_but_cannot_resolve_it(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    c = client_for(cast.worker)
    case_page = c.get(f"/cases/{case.pk}/")
    assert "1 conflit de synchronisation" in text_of(case_page)
    assert f'href="{URL}?record={case.pk}"' in case_page.content.decode()
    page = c.get(f"{URL}?record={case.pk}")
    assert page.status_code == 200
    assert "Niveau de risque" in text_of(page) and "superviseur" in text_of(page)
    assert "Enregistrer ce choix" not in text_of(page)
    assert 'href="/sync/conflicts/"' not in c.get("/").content.decode()  # not in the menu
    assert 'href="/sync/conflicts/"' in client_for(cast.manager).get("/").content.decode()
    answer = c.post(_resolve_url(conflict), {"stamp": str(conflict_for(cast.worker, conflict.pk).stamp),
                                             "keep": "loser"})
    assert answer.status_code == 403
    assert _risk(case) == "low"


def test_an_outsider_is_refused_everywhere(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    c = client_for(cast.outsider)
    listing = c.get(URL)
    assert listing.status_code == 200 and case.short_id not in text_of(listing)
    assert "Aucun conflit à résoudre" in text_of(listing)
    assert c.get(f"{URL}?record={case.pk}").status_code == 404
    assert c.get(f"{URL}?record=pas-un-id").status_code == 404
    assert c.post(_resolve_url(conflict), {"keep": "loser", "stamp": "1"}).status_code == 404
    assert client_for(cast.partner).get(URL).status_code == 403
    assert client_for(cast.manager).post(f"{URL}00000000-0000-0000-0000-000000000000/resolve/",
                                         {"keep": "loser"}).status_code == 404
    assert _risk(case) == "low"


def test_no_identifying_value_reaches_a_url_the_audit_or_the_logs(cast, caplog):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "name_first", "Aminata", "Mariam", sealed=True)
    c = client_for(cast.manager)
    with caplog.at_level(logging.DEBUG):
        page = c.get(URL)
        assert "Aminata" in text_of(page) and "Mariam" in text_of(page)  # shown to who may read
        answer = c.post(_resolve_url(conflict),
                        _form(cast.manager, conflict, keep="new", name_first="Salimata"))
    assert answer.status_code == 302
    for name in ("Aminata", "Mariam", "Salimata"):
        assert name not in answer["Location"]
        assert name not in caplog.text
        assert name not in json.dumps(list(AuditEvent.objects.values("details", "action")))
    assert read_answers(Case.objects.get(pk=case.pk), get_schema("case"))["name_first"] == "Salimata"


def test_a_long_list_shows_the_newest_and_says_how_many_wait(cast, monkeypatch):
    from yiri.web.views import sync as sync_views

    monkeypatch.setattr(sync_views, "CONFLICTS_SHOWN", 1)
    first, second = make_case(cast.worker), make_case(cast.worker, name_first="Mariam")
    clash(cast.worker, first, "risk_level", "high", "low")
    clash(cast.worker, second, "risk_level", "high", "low")
    text = text_of(client_for(cast.manager).get(URL))
    assert second.short_id in text and first.short_id not in text
    assert "Les 1 plus récents sur 2 sont affichés" in text


def test_an_administrator_settles_a_configuration_conflict_on_the_page(cast):
    from yiri.accounts.models import UserGroup

    from ..sync.clashes import row_clash

    team = UserGroup.objects.get(name="Équipe A")
    conflict = row_clash(cast.admin, team, "name", "Équipe A1", "Équipe Alpha")
    c = client_for(cast.admin)
    text = text_of(c.get(URL))
    assert "Groupe d'utilisateurs › nom" in text
    assert "Équipe A1" in text and "Équipe Alpha" in text
    assert "Saisir une autre valeur" not in text  # only A or B for configuration
    assert "Groupe d'utilisateurs" not in text_of(client_for(cast.manager).get(URL))
    answer = c.post(_resolve_url(conflict), _form(cast.admin, conflict, keep="loser"))
    assert answer.status_code == 302
    assert UserGroup.objects.get(pk=team.pk).name == "Équipe A1"


def test_a_password_conflict_never_shows_the_hashes(cast):
    from ..sync.clashes import row_clash

    conflict = row_clash(cast.admin, cast.colleague, "password", "x" * 20, "y" * 20)
    text = text_of(client_for(cast.admin).get(URL))
    assert "Utilisateur › mot de passe" in text and "(valeur protégée, non affichée)" in text
    assert "x" * 20 not in text and "y" * 20 not in text
    assert conflict.path == "password"


def test_a_settled_answer_moves_the_case_to_the_stage_its_answers_reach(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "case_plan_date", "2026-02-01", "2026-02-03")
    assert Case.objects.get(pk=case.pk).workflow_stage == "new"
    client_for(cast.manager).post(_resolve_url(conflict), _form(cast.manager, conflict, keep="loser"))
    assert Case.objects.get(pk=case.pk).workflow_stage == "case_plan"
