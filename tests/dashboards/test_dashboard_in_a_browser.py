"""The dashboard in a real browser (Debian's chromium through Playwright): the national
coordinator opens it, narrows it to one organisation, follows a number to its case list
and downloads the partners' indicator file; the relay-cell data manager reads it on a
phone (nothing wider than the screen); the supervisor opens it too. The pages show no
untranslated English. Screenshots go to artifacts/screenshots/ (not committed)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from yiri.cases.models import Case

from ..web.test_browser_story import assert_french, browser, keep_reference_data, shot, story  # noqa: F401
from .data import network_of_cases

pytestmark = [pytest.mark.browser]


def _kpi_total(page) -> int:
    return int(re.sub(r"\D", "", page.locator(".kpis .kpi").first.inner_text()))


def test_a_coordinator_filters_the_dashboard_follows_a_number_and_downloads_indicators(story):  # noqa: F811
    cast, login, url = story
    network_of_cases(cast, n=20)
    page = login(cast.coordinator)
    page.goto(f"{url}/dashboard/")
    page.get_by_role("heading", name="Tableau de bord", level=1).wait_for()
    assert _kpi_total(page) == Case.objects.filter(deleted=False).count()
    page.get_by_role("heading", name="Services par type").wait_for()
    assert_french(page)
    shot(page, "dashboard-national-coordinator")

    page.locator("summary", has_text="Filtrer").click()
    page.locator("#id_agency").select_option(label="ACE")
    page.get_by_role("button", name="Appliquer").click()
    page.wait_for_url(re.compile(r"agency="))
    ace = Case.objects.filter(deleted=False, owning_agency=cast.ace).count()
    assert 0 < ace < Case.objects.filter(deleted=False).count()
    assert _kpi_total(page) == ace

    link = page.locator("#h-source ~ .chart-pair table a").first
    count = int(re.sub(r"\D", "", link.inner_text().split("—")[0]))
    link.click()
    page.wait_for_url(re.compile(r"/cases/\?.*identified_by="))
    assert re.search(rf"\bsur {count}\b", page.inner_text(".pager"))

    page.goto(f"{url}/indicators/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger (CSV)").click()
    text = open(info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))
    assert len(rows) > 3 and info.value.suggested_filename.startswith("indicateurs-")
    assert not any(c.short_id in text for c in Case.objects.all())


@pytest.mark.parametrize("who", ["relay", "manager"])
def test_the_dashboard_reads_on_a_phone(story, who):  # noqa: F811
    cast, login, url = story
    network_of_cases(cast, n=12)
    page = login(getattr(cast, who), phone=True)
    page.goto(f"{url}/dashboard/")
    page.get_by_role("heading", name="Qualité des données").wait_for()
    assert_french(page)
    shot(page, f"dashboard-phone-{'relay-data-manager' if who == 'relay' else 'supervisor'}")
    # Wide tables scroll inside their own box; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
