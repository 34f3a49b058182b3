"""Who sees the directory: a member of the network sees it, with the profiles of people
who consented only; an outsider (an organisation outside the network, a partner) and an
anonymous visitor see nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ..web.helpers import client_for, text_of
from .data import Directory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(cast):
    return Directory(cast)


def test_a_member_of_the_network_sees_the_directory_and_the_consenting_profiles(directory):
    cast = directory.cast
    for member in (cast.worker, cast.manager, cast.relay, cast.coordinator):
        page = text_of(client_for(member).get(reverse("directory")))
        assert "Télécentre communautaire de Tanghin" in page
        people = text_of(client_for(member).get(reverse("directory_people")))
        assert "Mariam Kaboré" in people


def test_a_person_who_withheld_consent_is_listed_nowhere(directory):
    cast = directory.cast
    for member in (cast.worker, cast.coordinator):
        c = client_for(member)
        for url in (reverse("directory_people"),
                    reverse("directory_site", args=[directory.telecentre.pk])):
            assert "Nikiéma" not in c.get(url).content.decode()
        found = c.post(reverse("directory_people"), {"q": "Boukary"})
        assert "Nikiéma" not in found.content.decode()
        assert "Mariam Kaboré" in c.post(reverse("directory_people"), {"q": "mooré"}).content.decode()


def test_an_outsider_sees_nothing_of_the_directory(directory):
    cast = directory.cast
    urls = [reverse("directory"), reverse("directory_people"), reverse("directory_map"),
            reverse("directory_site", args=[directory.telecentre.pk]),
            reverse("directory_export", args=["csv"]), reverse("directory_trainings"),
            reverse("directory_report")]
    for outsider in (cast.outsider, cast.partner):
        c = client_for(outsider)
        for url in urls:
            response = c.get(url)
            assert response.status_code == 403, url
            assert "Tanghin" not in response.content.decode()
    anonymous = Client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_organisation_listed_in_the_directory_is_a_member(directory):
    from yiri.directory import access
    from yiri.directory.models import Site, SiteKind
    from yiri.directory.services import save_site

    cast = directory.cast
    assert not access.is_member(cast.provider)  # BTA: in no relay cell, not listed
    save_site(cast.coordinator, Site(kind=SiteKind.ORGANISATION, name="Bureau Traite Alerte",
                                     agency=cast.bta))
    assert access.is_member(cast.provider)


def test_a_profiles_phone_and_e_mail_are_sealed_in_the_change_log(directory):
    from yiri.directory.models import Person, PersonRole
    from yiri.directory.services import save_person
    from yiri.sync.models import Operation

    person = save_person(directory.cast.coordinator, Person(
        site=directory.telecentre, full_name="Salif Ouédraogo", role=PersonRole.FOCAL_POINT,
        phone="+226 70 11 22 33", email="salif@example.org", consent=True))
    op = Operation.objects.filter(entity_id=person.pk).get()
    assert "phone" not in op.changes and "email" not in op.changes
    assert op.sealed_changes and "70 11 22 33" not in op.sealed_changes
