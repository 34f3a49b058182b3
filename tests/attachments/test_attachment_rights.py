"""Who may see, add and remove a record's files: the record's scoping, then the form
section that holds the field ("Photos et documents" on a case)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from yiri.attachments.models import Attachment
from yiri.attachments.services import (
    access_attachment,
    add_attachment,
    attachments_for,
    read_content,
    remove_attachment,
)
from yiri.cases.services import assign_record

from ..conftest import make_case
from .files import photo


@pytest.fixture
def photographed(cast):
    case = make_case(cast.worker)
    return case, add_attachment(cast.worker, case, "photos", photo())


def test_an_outsider_gets_not_found_for_the_file_its_thumbnail_and_the_list(cast, photographed):
    case, att = photographed
    for call in (lambda: read_content(cast.outsider, case, att.pk),
                 lambda: read_content(cast.outsider, case, att.pk, thumbnail=True),
                 lambda: attachments_for(cast.outsider, case),
                 lambda: add_attachment(cast.outsider, case, "photos", photo()),
                 lambda: remove_attachment(cast.outsider, case, att.pk)):
        with pytest.raises(Http404):
            call()
    assert Attachment.objects.filter(removed=False).count() == 1


def test_a_role_that_reads_but_cannot_write_the_section_downloads_but_cannot_add_or_remove(
        cast, photographed):
    case, att = photographed  # the relay cell's data manager reads every section
    _att, data = read_content(cast.relay, case, att.pk)
    assert data
    assert [a.pk for a in attachments_for(cast.relay, case)["photos"]] == [att.pk]
    with pytest.raises(PermissionDenied):
        add_attachment(cast.relay, case, "photos", photo())
    with pytest.raises(PermissionDenied):
        remove_attachment(cast.relay, case, att.pk)
    assert Attachment.objects.filter(removed=False).count() == 1


def test_a_service_provider_who_cannot_read_the_photos_section_learns_nothing_of_them(
        cast, photographed):
    case, att = photographed
    assign_record(cast.manager, case, cast.provider)  # sees the case, not its photos
    assert attachments_for(cast.provider, case) == {}
    for call in (lambda: read_content(cast.provider, case, att.pk),
                 lambda: read_content(cast.provider, case, att.pk, thumbnail=True),
                 lambda: add_attachment(cast.provider, case, "photos", photo()),
                 lambda: remove_attachment(cast.provider, case, att.pk)):
        with pytest.raises(Http404):
            call()


def test_a_file_is_found_only_through_its_own_record(cast, photographed):
    _case, att = photographed
    other = make_case(cast.worker, name_first="Issa")
    with pytest.raises(Http404):
        access_attachment(cast.worker, other, att.pk)
    with pytest.raises(Http404):
        access_attachment(cast.worker, other, "pas-un-uuid")


def test_only_attachment_fields_take_files(cast):
    case = make_case(cast.worker)
    for code in ("name_first", "no_such_field", ""):
        with pytest.raises(Http404):
            add_attachment(cast.worker, case, code, photo())


def test_a_removed_file_is_no_longer_found_and_its_bytes_are_erased_once_committed(
        cast, photographed, django_capture_on_commit_callbacks):
    from yiri.attachments import storage

    case, att = photographed
    with django_capture_on_commit_callbacks(execute=True):
        remove_attachment(cast.worker, case, att.pk)
    assert not storage.path_of(att.pk).exists()
    assert not storage.path_of(att.pk, storage.THUMBNAIL).exists()
    with pytest.raises(Http404):
        read_content(cast.worker, case, att.pk)
    with pytest.raises(Http404):
        remove_attachment(cast.worker, case, att.pk)
    assert attachments_for(cast.worker, case)["photos"] == []


def _referred(cast, sections=None):
    from yiri.accounts.models import Role, User
    from yiri.workflow.services import refer, respond_referral

    from ..conftest import PASSWORD

    recipient = User.objects.create_user("bta.worker", role=Role.objects.get(code="case_worker"),
                                         agency=cast.bta, password=PASSWORD)
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True)
    att = add_attachment(cast.worker, case, "photos", photo())
    referral = refer(cast.worker, case, to_agency=cast.bta, sections=sections)
    respond_referral(recipient, referral, accept=True)
    return recipient, case, att


def test_a_referral_that_does_not_share_the_photos_section_shows_no_photo(cast):
    recipient, case, att = _referred(cast)  # the default referral sections
    assert attachments_for(recipient, case) == {}
    with pytest.raises(Http404):
        read_content(recipient, case, att.pk, thumbnail=True)


def test_a_referral_sharing_the_photos_section_lets_the_recipient_see_but_not_add(cast):
    recipient, case, att = _referred(cast, sections=["basic_identity", "photos_documents"])
    _att, data = read_content(recipient, case, att.pk)
    assert data
    with pytest.raises(PermissionDenied):
        add_attachment(recipient, case, "photos", photo())
    with pytest.raises(PermissionDenied):
        remove_attachment(recipient, case, att.pk)


def test_a_closed_case_keeps_its_files_readable_but_takes_no_new_one(cast, photographed):
    from yiri.workflow.services import decide_approval, request_approval

    case, att = photographed
    approval = request_approval(cast.worker, case, "closure", closure_reason="formal_closing")
    decide_approval(cast.manager, approval, approve=True)
    case.refresh_from_db()
    assert read_content(cast.worker, case, att.pk)[1]
    with pytest.raises(PermissionDenied):
        add_attachment(cast.worker, case, "photos", photo())
    with pytest.raises(PermissionDenied):
        remove_attachment(cast.worker, case, att.pk)
