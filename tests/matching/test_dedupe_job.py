"""The batch deduplication over the cases in the database: it finds a duplicate planted
among other children, within the scope of the person who starts it; the command line runs
it over the whole node."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from yiri.matching import jobs
from yiri.matching.models import DedupePair, DedupeRun

from ..conftest import make_case


def family(mother: str, father: str = "") -> list[dict]:
    rows = [{"relation": "mother", "relation_name": mother}]
    if father:
        rows.append({"relation": "father", "relation_name": father})
    return rows


@pytest.fixture
def planted(cast):
    """Awa registered twice in the Centre (ACE, spelled two ways), four other children
    there, and Awa once more in Togo, by an organisation the relay cell does not cover."""
    first = make_case(cast.worker, name_first="Awa", name_last="Ouédraogo", sex="female",
                      date_of_birth="2014-03-02", age=11, location_current="BF-KAD-C01-V01",
                      family_details=family("Fatimata Sawadogo", "Salif Ouédraogo"))
    second = make_case(cast.manager, name_first="AWA", name_last="Wedraogo", sex="female",
                       age=12, age_estimated=True, location_current="BF-KAD-C01-V02",
                       family_details=family("Fatoumata Savadogo"))
    others = [
        make_case(cast.worker, name_first=g, name_last=f, sex=s, age=a,
                  location_current="BF-KAD-C01-V01", family_details=family(m))
        for g, f, s, a, m in [
            ("Salif", "Ouédraogo", "male", 9, "Fatimata Sawadogo"),  # Awa's brother
            ("Kadidiatou", "Sawadogo", "female", 15, "Mariam Kaboré"),
            ("Moussa", "Traoré", "male", 7, "Aminata Diallo"),
            ("Awa", "Compaoré", "female", 4, "Rasmata Zongo"),
        ]]
    abroad = make_case(cast.outsider, name_first="Awa", name_last="Ouedraogo", sex="female",
                       date_of_birth="2014-03-02", age=11, location_current="TG-M-GOL-C01-V01",
                       family_details=family("Fatimata Sawadogo"))
    return first, second, others, abroad


def pairs_of(run) -> dict[frozenset, object]:
    return {frozenset((a, b)): score for a, b, score in jobs.iter_pairs(run)}


def test_the_relay_cell_finds_the_planted_duplicate_and_nothing_outside_its_scope(cast, planted):
    first, second, others, abroad = planted
    run = jobs.start_run(cast.relay)
    jobs.execute(run.pk)
    run.refresh_from_db()
    assert run.status == DedupeRun.Status.DONE, run.error
    assert run.records == 6  # the Togolese case is not in the cell's scope
    assert run.model["m"] and run.model["u"]  # the model used is kept with the run
    found = pairs_of(run)
    pair = frozenset((str(first.pk), str(second.pk)))
    assert pair in found
    score = found[pair]
    assert score.band in ("likely", "possible")
    levels = {f.field: f.level for f in score.fields}
    assert levels["given"] == "match" and levels["family"] == "close"
    assert levels["father"] == "blank"
    assert all(str(abroad.pk) not in p for p in found)
    # the brother, same mother and village, is not taken for Awa
    brother = str(others[0].pk)
    assert all(found[p].band != "likely" for p in found if brother in p)


def test_the_command_runs_over_every_case_of_the_node(cast, planted):
    first, second, others, abroad = planted
    out = io.StringIO()
    call_command("matching", "dedupe", stdout=out)
    run = DedupeRun.objects.get()
    assert "Terminée" in out.getvalue() and run.records == 7
    assert frozenset((str(first.pk), str(abroad.pk))) in pairs_of(run)


def test_the_command_refuses_a_user_without_the_right(cast, planted):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="pas le droit"):
        call_command("matching", "dedupe", "--user", cast.worker.username)
    assert not DedupeRun.objects.exists()


def test_one_run_at_a_time(cast, planted):
    jobs.start_run(cast.relay)
    with pytest.raises(jobs.RunRefused, match="déjà en cours"):
        jobs.start_run(cast.coordinator)


def test_a_stored_pair_holds_no_name(cast, planted):
    run = jobs.start_run(cast.relay)
    jobs.execute(run.pk)
    stored = " ".join(str(p.fields) for p in DedupePair.objects.all())
    assert stored
    for name in ("Awa", "Ouédraogo", "Wedraogo", "Sawadogo", "Fatimata"):
        assert name not in stored
