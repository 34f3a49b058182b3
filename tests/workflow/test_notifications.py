from __future__ import annotations

from yiri.workflow.models import Notification, NotificationKind
from yiri.workflow.services import (
    complete_referral,
    decide_approval,
    mark_read,
    refer,
    request_approval,
    respond_referral,
    transfer,
    unread_notifications,
)


def kinds(user) -> list[str]:
    return [n.kind for n in unread_notifications(user)]


def test_the_supervisor_is_told_of_an_approval_request(cast, case):
    request_approval(cast.worker, case, "assessment")
    assert kinds(cast.manager) == [NotificationKind.APPROVAL_REQUESTED]
    assert kinds(cast.worker) == []
    assert kinds(cast.colleague) == []


def test_the_requester_is_told_of_the_decision(cast, case):
    approval = request_approval(cast.worker, case, "assessment")
    decide_approval(cast.manager, approval, approve=False, comment="À compléter")
    assert kinds(cast.worker) == [NotificationKind.APPROVAL_REJECTED]


def test_every_user_of_the_receiving_agency_is_told_of_a_referral_to_it(cast, case):
    from yiri.accounts.models import Role, User

    other = User.objects.create_user("provider2", role=Role.objects.get(code="service_provider"),
                                     agency=cast.bta)
    User.objects.create_user("inactive", role=Role.objects.get(code="service_provider"),
                             agency=cast.bta, is_active=False)
    refer(cast.worker, case, to_agency=cast.bta)
    assert kinds(cast.provider) == [NotificationKind.REFERRAL_RECEIVED]
    assert kinds(other) == [NotificationKind.REFERRAL_RECEIVED]
    assert Notification.objects.filter(kind=NotificationKind.REFERRAL_RECEIVED).count() == 2


def test_only_the_named_user_is_told_of_a_referral_to_them(cast, case):
    from yiri.accounts.models import Role, User

    other = User.objects.create_user("provider2", role=Role.objects.get(code="service_provider"),
                                     agency=cast.bta)
    refer(cast.worker, case, to_agency=cast.bta, to_user=cast.provider)
    assert kinds(cast.provider) == [NotificationKind.REFERRAL_RECEIVED]
    assert kinds(other) == []


def test_the_referrer_is_told_of_the_answer_and_of_completion(cast, case):
    referral = refer(cast.worker, case, to_agency=cast.bta)
    respond_referral(cast.provider, referral, accept=True)
    complete_referral(cast.provider, referral)
    assert kinds(cast.worker) == [NotificationKind.REFERRAL_DONE, NotificationKind.REFERRAL_ACCEPTED]


def test_the_transfer_recipient_is_told(cast, case):
    transfer(cast.worker, case, to_agency=cast.tgo, to_user=cast.outsider)
    assert kinds(cast.outsider) == [NotificationKind.TRANSFER_RECEIVED]


def test_the_message_is_french_names_the_case_id_and_no_person(cast, case):
    request_approval(cast.worker, case, "assessment")
    (n,) = unread_notifications(cast.manager)
    assert case.short_id in n.message
    assert "Évaluation" in n.message
    assert "Awa" not in n.message and "Ouédraogo" not in n.message


def test_a_user_marks_only_their_own_notifications_read(cast, case):
    request_approval(cast.worker, case, "assessment")
    (n,) = unread_notifications(cast.manager)
    assert mark_read(cast.worker, [n.pk]) == 0
    assert mark_read(cast.manager, [n.pk]) == 1
    assert kinds(cast.manager) == []
    assert mark_read(cast.manager, [n.pk]) == 0


def test_marking_read_ignores_ids_that_are_not_ids(cast, case):
    request_approval(cast.worker, case, "assessment")
    (n,) = unread_notifications(cast.manager)
    assert mark_read(cast.manager, ["not-an-id", str(n.pk)]) == 1
