"""Every synchronised table writes its changes through the change log, and nothing else
can change it: the bulk shortcuts and hard deletes are refused."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import make_case, referred_case
from yiri.cases.models import Case, Note
from yiri.cases.notes import add_note
from yiri.cases.services import assign_record, delete_record, set_record_meta, update_record
from yiri.network.models import Agency, Location
from yiri.sync.apply import entity_models
from yiri.sync.fieldclock import FieldClock
from yiri.sync.models import Operation, RawWriteRefused, raw_writes


@pytest.mark.parametrize("entity", sorted(entity_models()))
def test_no_synchronised_table_accepts_a_bulk_write_or_a_hard_delete(db, entity):
    model = entity_models()[entity]
    with pytest.raises(RawWriteRefused):
        model.objects.all().update(deleted=True)
    with pytest.raises(RawWriteRefused):
        model.objects.all().delete()
    with pytest.raises(RawWriteRefused):
        model.objects.bulk_create([])


def test_deleting_a_row_is_refused_and_a_tombstone_travels_instead(cast):
    from yiri.sync.log import tombstone

    with pytest.raises(RawWriteRefused):
        cast.tgo.delete()
    tombstone(cast.admin, cast.tgo)
    op = Operation.objects.filter(entity_id=cast.tgo.pk).latest("seq")
    assert op.kind == "delete" and op.changes["deleted"][0] is True
    assert op.author_id == cast.admin.pk


def test_a_record_saved_outside_the_services_is_refused(cast):
    case = make_case(cast.worker)
    case.risk_level = "high"
    with pytest.raises(RawWriteRefused):
        case.save()


def test_a_configuration_edit_is_an_operation_replacing_the_last_stamp(cast):
    cast.bta.name = "Bureau Traite Alerte Nord"
    cast.bta.save()
    first = Operation.objects.filter(entity_id=cast.bta.pk).latest("seq")
    cast.bta.name = "BTA Nord"
    cast.bta.save()
    second = Operation.objects.filter(entity_id=cast.bta.pk).latest("seq")
    assert second.changes["name"] == ["BTA Nord", "Bureau Traite Alerte Nord", first.hlc]
    assert FieldClock(Agency.objects.get(pk=cast.bta.pk).field_clock).get("name") == second.hlc
    cast.bta.save()  # nothing changed: nothing logged
    assert Operation.objects.filter(entity_id=cast.bta.pk).latest("seq") == second


def test_a_many_to_many_change_is_logged_as_the_new_list(cast):
    sahel = Location.objects.get(code="BF-13")
    cast.bta.regions.add(sahel)
    op = Operation.objects.filter(entity_id=cast.bta.pk).latest("seq")
    assert op.changes["regions"][0] == [str(sahel.pk)]
    cast.bta.regions.remove(sahel)
    op = Operation.objects.filter(entity_id=cast.bta.pk).latest("seq")
    assert op.changes["regions"][0] == []


def test_a_user_is_synchronised_but_not_their_sign_ins(cast):
    op = Operation.objects.filter(entity="user", entity_id=cast.worker.pk, kind="create").get()
    assert "password" not in op.changes and op.sealed_changes  # the hash is sealed
    before = Operation.objects.filter(entity="user", entity_id=cast.worker.pk).count()
    cast.worker.failed_logins = 3
    cast.worker.save()
    assert Operation.objects.filter(entity="user", entity_id=cast.worker.pk).count() == before


def test_the_admin_edit_of_a_lookup_value_is_an_operation_by_the_administrator(cast, client):
    from yiri.formconfig.models import Lookup, LookupValue

    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    lookup = Lookup.objects.get(code="sex")
    client.force_login(cast.admin)
    url = f"/admin/formconfig/lookup/{lookup.pk}/change/"
    page = client.get(url)
    data = {"code": lookup.code, "name_fr": lookup.name_fr, "name_en": lookup.name_en}
    formset = page.context["inline_admin_formsets"][0].formset
    data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
    data[f"{formset.prefix}-TOTAL_FORMS"] = formset.initial_form_count()
    for i, form in enumerate(formset.forms[:formset.initial_form_count()]):
        data[f"{formset.prefix}-{i}-id"] = form.instance.pk
        for name in ("code", "label_fr", "label_en", "order", "disabled"):
            value = getattr(form.instance, name)
            if name == "disabled" and not value:
                continue
            data[f"{formset.prefix}-{i}-{name}"] = value if value is not None else ""
        data[f"{formset.prefix}-{i}-lookup"] = lookup.pk
    male = next(i for i, f in enumerate(formset.forms) if f.instance.code == "male")
    data[f"{formset.prefix}-{male}-label_fr"] = "Garçon"
    response = client.post(url, data)
    assert response.status_code == 302, [f.errors for f in response.context["inline_admin_formsets"][0].formset.forms]
    value = LookupValue.objects.get(lookup=lookup, code="male")
    op = Operation.objects.filter(entity_id=value.pk).latest("seq")
    assert op.changes["label_fr"][0] == "Garçon" and op.author_id == cast.admin.pk


def test_a_new_case_carries_its_readable_id_creator_form_version_and_row_order(cast):
    case = make_case(cast.worker, services=[{"service_type": "health"}, {"service_type": "legal"}])
    op = Operation.objects.get(entity_id=case.pk, kind="create")
    assert op.changes["@short_id"][0] == case.short_id
    assert op.changes["@created_by"][0] == str(cast.worker.pk)
    assert op.meta["form"] and len(op.meta["order"]["services"]) == 2
    assert (op.record_type, op.record_id) == ("case", case.pk)


def test_a_second_transfer_names_the_stamp_of_the_first(cast):
    case = make_case(cast.worker)
    set_record_meta(cast.admin, case, "transfer", "workflow", owner=cast.colleague)
    first = Operation.objects.filter(entity_id=case.pk).latest("seq")
    set_record_meta(cast.admin, case, "transfer", "workflow", owner=cast.worker)
    second = Operation.objects.filter(entity_id=case.pk).latest("seq")
    assert second.changes["@owner"][2] == first.hlc
    assert first.changes["@owner"][2] is not None  # the creation's stamp


def test_a_tombstone_logs_when_the_record_was_deleted(cast):
    case = delete_record(cast.admin, make_case(cast.worker))
    op = Operation.objects.filter(entity_id=case.pk).latest("seq")
    assert op.kind == "delete" and op.changes["@deleted"][0] is True
    assert op.changes["@deleted_at"][0]


def test_every_later_write_of_a_case_row_names_its_case(cast):
    case, referral, _row = referred_case(cast)
    add_note(cast.worker, case, subject="Visite", body="Rien à signaler")
    assign_record(cast.manager, case, cast.colleague)
    for op in Operation.objects.exclude(record_id=None).exclude(entity="case"):
        assert (op.record_type, op.record_id) == ("case", case.pk), op.entity
    later = Operation.objects.filter(entity="referral", kind="update")
    assert later.exists() and all(op.record_id == case.pk for op in later)


def test_notes_keep_their_own_field_clock(cast):
    case = make_case(cast.worker)
    add_note(cast.worker, case, subject="Visite", body="Rien à signaler")
    note = Note.objects.get(record_id=case.pk)
    op = Operation.objects.get(entity_id=note.pk)
    assert FieldClock(note.field_clock).get("body_blob") == op.hlc


def test_wiping_test_data_is_the_only_bulk_write_allowed(cast):
    case = make_case(cast.worker)
    with raw_writes():
        Case.objects.filter(pk=case.pk).update(risk_level="high")
    assert Case.objects.get(pk=case.pk).risk_level == "high"
    assert update_record(cast.worker, case, {"risk_level": "low"}).risk_level == "low"
    assert uuid.UUID(str(case.pk))
