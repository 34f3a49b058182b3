"""The whole case story in a real browser (Debian's chromium through Playwright).

A case worker searches, finds nothing, registers a child with consent, completes the
assessment and asks for its approval; the supervisor approves; the worker adds a case plan
and a service and refers the service to another agency; that agency's service provider
accepts and marks it done; the closure is requested and approved. Also: an outsider
cannot reach the case by URL; a validation error is shown next to its field and nothing
is saved; the French pages show no untranslated English. Screenshots of the key pages go
to artifacts/screenshots/ (not committed).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from yiri.cases.models import Case
from yiri.workflow.models import Approval, Referral

from ..conftest import PASSWORD, Cast, enrolled_device, ensure_reference_data, totp_code

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ENGLISH = ("Save", "Cancel", "Search", "Submit", "Name", "Case", "Delete", "Edit", "Login",
           "Logout", "Password", "Username", "Yes", "No", "Home", "Next", "Previous", "Required",
           "Not Found", "This field")

pytestmark = [pytest.mark.browser]

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
# itself (checking what was saved) are still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium): browser tests not run"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {message}")
        pytest.skip(f"SKIPPED: {message}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        ])
        yield b
        b.close()


@pytest.fixture
def keep_reference_data(django_db_blocker):
    """A transactional test empties every table when it ends; put the places, forms and
    roles back for the tests that come after."""
    yield
    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture
def story(keep_reference_data, transactional_db, live_server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    cast = Cast()
    contexts = []

    def login(user, phone: bool = False):
        ctx = browser.new_context(
            locale="fr-FR", viewport={"width": 360, "height": 740} if phone else
            {"width": 1100, "height": 800})
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Nom d'utilisateur").fill(user.username)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(re.compile(r"/(2fa/(setup/)?)?$"))
        if page.url.endswith("/2fa/setup/"):
            # First sign-in: enrol as a person would, typing the secret shown on the page
            # into the "phone" (a TOTP computed here).
            secret = page.locator("#secret").inner_text().replace(" ", "")
            page.get_by_label("Code").fill(totp_from_secret(secret))
            page.get_by_role("button", name="Activer").click()
            page.wait_for_url(re.compile(r"/2fa/recovery-codes/$"))
            page.locator("#codes-noted").click()
        elif page.url.endswith("/2fa/"):
            page.get_by_label("Code").fill(totp_code(enrolled_device(user)))
            page.get_by_role("button", name="Vérifier").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield cast, login, live_server.url
    for ctx in contexts:
        ctx.close()


def totp_from_secret(secret: str) -> str:
    """What an authentication app shows for a base32 ``secret`` now."""
    import base64

    from django_otp.oath import totp

    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return str(totp(key)).zfill(6)


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def assert_french(page) -> None:
    text = page.inner_text("body")
    found = [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", text)]
    assert not found, f"untranslated English on {page.url}: {found}"


def test_the_whole_case_story_in_a_browser(story):
    cast, login, base = story

    # The worker, on a phone-sized screen: search first, find nothing.
    worker = login(cast.worker, phone=True)
    assert_french(worker)
    shot(worker, "01-home-worker-phone")
    worker.get_by_role("link", name="Rechercher", exact=True).click()
    worker.get_by_label("Nom de l'enfant").fill("Fatou Sawadogo")
    worker.get_by_label("Sexe").select_option("female")
    worker.get_by_role("button", name="Rechercher").click()
    assert worker.get_by_text("Aucun enfant ne correspond").is_visible()
    assert "Sawadogo" not in worker.url
    assert_french(worker)
    shot(worker, "02-search-nothing-found")

    # Register, prefilled from the search; first a mistake, refused next to its field.
    worker.get_by_role("button", name="Enregistrer un nouvel enfant").click()
    assert worker.get_by_label(re.compile(r"^Prénom\(s\)")).input_value() == "Fatou"
    assert worker.get_by_label("Nom de famille").input_value() == "Sawadogo"
    worker.get_by_label("Âge (en années)").fill("quatorze")
    worker.get_by_label("Date d'enregistrement").fill("2026-02-01")
    worker.get_by_label("Localité actuelle").press_sequentially("Kadio", delay=50)
    worker.locator('#f-location_current-list option[value="BF-KAD"]').wait_for(state="attached")
    worker.get_by_label("Localité actuelle").fill("BF-KAD")
    worker.get_by_role("group", name="Consentement pour bénéficier de services").get_by_label("Oui").check()
    worker.get_by_role("group", name="Accepte le partage").get_by_label("Oui").check()
    worker.get_by_role("button", name="Enregistrer").click()
    error = worker.locator("#f-age-err")
    assert "Saisissez un nombre" in error.inner_text()
    assert worker.get_by_label("Âge (en années)").get_attribute("aria-describedby").startswith("f-age-err")
    assert Case.objects.count() == 0
    assert_french(worker)
    shot(worker, "03-registration-error")
    worker.get_by_label("Âge (en années)").fill("14")
    worker.get_by_role("button", name="Enregistrer").click()
    worker.wait_for_url(re.compile(r"/cases/[0-9a-f-]+/$"))
    case = Case.objects.get()
    assert case.consent_for_services and case.consent_disclosure
    assert_french(worker)
    shot(worker, "04-case-registered")

    # Complete the assessment in place (htmx) and ask for its approval.
    section = worker.locator("#sec-assessment")
    section.get_by_role("link", name="Modifier").click()
    section.locator("form").wait_for()
    section.get_by_label("Date de la demande d'évaluation").fill("2026-02-02")
    section.get_by_label("Synthèse de l'évaluation").fill("Enfant retirée d'un site d'orpaillage.")
    section.get_by_role("button", name="Enregistrer").click()
    worker.locator("#sec-assessment form").wait_for(state="detached")
    assert "orpaillage" in worker.locator("#sec-assessment").inner_text()
    worker.locator("#wf-kind").select_option("assessment")
    worker.get_by_role("button", name="Envoyer la demande").click()
    worker.get_by_text("Demande d'approbation envoyée").wait_for()
    shot(worker, "05-assessment-requested")

    # The supervisor sees the request on the home page and approves it.
    manager = login(cast.manager)
    assert manager.get_by_text("Approbations à donner (1)").is_visible()
    shot(manager, "06-home-supervisor")
    manager.locator("#h-approvals + ul a").first.click()
    assert_french(manager)
    shot(manager, "07-case-supervisor")
    manager.get_by_role("button", name="Approuver").click()
    manager.get_by_text("Demande approuvée").wait_for()
    assert Approval.objects.get(kind="assessment").status == "approved"

    # The worker writes the case plan, adds a service and refers it to BTA.
    worker.reload()
    plan = worker.locator("#sec-case_plan")
    plan.get_by_role("link", name="Modifier").click()
    plan.locator("form").wait_for()
    plan.get_by_label("Date du plan de prise en charge").fill("2026-02-05")
    plan.get_by_label("Objectif(s) du plan de prise en charge").fill("Retour en famille et soins.")
    plan.get_by_role("button", name="Enregistrer").click()
    worker.locator("#sec-case_plan form").wait_for(state="detached")
    assert worker.locator("#case-stage").inner_text() == "Plan de prise en charge"
    services = worker.locator("#sec-services_section")
    services.get_by_role("link", name="Ajouter une ligne").click()
    services.locator("form").wait_for()
    services.get_by_label("Type de service").select_option("health")
    services.get_by_label("Type de réponse").select_option("service_provision")
    services.get_by_role("button", name="Ajouter").click()
    worker.locator("#sec-services_section form").wait_for(state="detached")
    assert "Santé" in worker.locator("#sec-services_section").inner_text()
    shot(worker, "08-case-plan-and-service")
    worker.reload()
    worker.get_by_text("Orienter vers une autre organisation").click()
    worker.get_by_label("Organisation", exact=True).select_option(label="Bureau Traite Alerte (BTA)")
    worker.get_by_label("Service concerné").select_option(index=1)
    worker.get_by_label("Motif de l'orientation").fill("Soins médicaux")
    worker.get_by_role("button", name="Envoyer l'orientation").click()
    worker.get_by_text("Orientation envoyée").wait_for()
    referral = Referral.objects.get()

    # The provider at BTA accepts the referral and marks the service done.
    provider = login(cast.provider, phone=True)
    assert provider.get_by_text(case.short_id).first.is_visible()
    shot(provider, "09-home-provider")
    provider.goto(f"{base}/cases/{case.pk}/")
    assert provider.locator("#sec-assessment").count() == 0  # not in the provider's form rights
    assert "Évaluation" not in provider.locator("#workflow").inner_text()
    provider.get_by_role("button", name="Accepter").click()
    provider.get_by_text("Accepté.").wait_for()
    shot(provider, "10-case-provider")
    provider.get_by_role("button", name="Marquer le service comme réalisé").click()
    provider.get_by_text("Service marqué comme réalisé").wait_for()
    assert_french(provider)
    shot(provider, "10b-provider-after-completing")
    referral.refresh_from_db()
    assert referral.status == "done"

    # Closure: the worker asks with a reason, the supervisor approves.
    worker.reload()
    worker.locator("#wf-kind").select_option("closure")
    worker.get_by_label("Motif de clôture").select_option(index=1)
    worker.get_by_role("button", name="Envoyer la demande").click()
    worker.get_by_text("Demande d'approbation envoyée").wait_for()
    manager.goto(f"{base}/cases/{case.pk}/")
    manager.get_by_role("button", name="Approuver").click()
    manager.get_by_text("Demande approuvée").wait_for()
    case.refresh_from_db()
    assert case.status == "closed"
    shot(manager, "11-case-closed")

    # Lists and history, in French.
    manager.goto(f"{base}/cases/")
    assert_french(manager)
    shot(manager, "12-case-list")
    manager.goto(f"{base}/cases/{case.pk}/history/")
    assert_french(manager)
    shot(manager, "13-history")

    # An outsider who knows the URL learns nothing.
    outsider = login(cast.outsider)
    response = outsider.goto(f"{base}/cases/{case.pk}/")
    assert response.status == 404
    assert "Sawadogo" not in outsider.content()
    assert_french(outsider)
    shot(outsider, "14-outsider-refused")
