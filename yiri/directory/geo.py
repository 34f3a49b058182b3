"""The offline map: regions drawn as SVG from shapes shipped with the code, sites placed
by their GPS position. No tile server, no script: each site is an SVG link to its page.

No package of PyPI ships the administrative regions of Burkina Faso and Togo for use
offline (the packages that know them download them at run time), so the shapes are
generated from ``data/shapes.json``: an approximate outline of each country (a polygon
through documented border points) cut into the Voronoi cells of the region capitals —
each point of the country goes to the nearest capital. The result is approximate, and
the map says so; positions of the sites are exact (their GPS coordinates).
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SHAPES_FILE = Path(__file__).parent / "data" / "shapes.json"
WIDTH = 640

Point = tuple[float, float]  # (longitude, latitude)


@functools.cache
def shapes() -> dict:
    return json.loads(SHAPES_FILE.read_text(encoding="utf-8"))


def _clip(polygon: list[Point], a: Point, b: Point) -> list[Point]:
    """The part of ``polygon`` nearer to ``a`` than to ``b`` (Sutherland–Hodgman against
    the perpendicular bisector of ``ab``)."""
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    nx, ny = b[0] - a[0], b[1] - a[1]

    def side(p: Point) -> float:  # < 0: on a's side
        return (p[0] - mx) * nx + (p[1] - my) * ny

    out: list[Point] = []
    for i, cur in enumerate(polygon):
        prev = polygon[i - 1]
        sc, sp = side(cur), side(prev)
        if sc <= 0:
            if sp > 0:
                t = sp / (sp - sc)
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            out.append(cur)
        elif sp <= 0:
            t = sp / (sp - sc)
            out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
    return out


def _scaled(p: Point, lat0: float) -> Point:
    # Distances compared on a local equirectangular plane (a degree of longitude is
    # shorter than one of latitude away from the equator).
    return (p[0] * math.cos(math.radians(lat0)), p[1])


@functools.cache
def region_shapes(country: str) -> dict[str, list[Point]]:
    """Region code -> its approximate polygon (longitude, latitude)."""
    data = shapes()
    outline = [tuple(p) for p in data["countries"].get(country, [])]
    if not outline:
        return {}
    lat0 = sum(p[1] for p in outline) / len(outline)
    capitals = {code: (v[1], v[2]) for code, v in data["capitals"].items()
                if code.startswith(country + "-")}
    k = math.cos(math.radians(lat0))
    cells: dict[str, list[Point]] = {}
    for code, c in capitals.items():
        poly = [_scaled(p, lat0) for p in outline]
        for other, o in capitals.items():
            if other != code and poly:
                poly = _clip(poly, _scaled(c, lat0), _scaled(o, lat0))
        cells[code] = [(x / k, y) for x, y in poly]
    return cells


@functools.cache
def province_shapes(country: str) -> dict[str, list[Point]]:
    """Province code -> its approximate polygon: the Voronoi cells of the province
    capitals of each region, inside that region's shape (so provinces nest in regions)."""
    import csv

    from yiri.network.services import LOCATIONS_FILE

    capitals = {code: (v[1], v[2]) for code, v in shapes().get("province_capitals", {}).items()
                if code.startswith(country + "-")}
    if not capitals:
        return {}
    with open(LOCATIONS_FILE, encoding="utf-8", newline="") as fh:  # the shipped places
        parent = {row["code"]: row["parent"] for row in csv.DictReader(fh) if row["code"] in capitals}
    outline = shapes()["countries"][country]
    lat0 = sum(p[1] for p in outline) / len(outline)
    k = math.cos(math.radians(lat0))
    cells: dict[str, list[Point]] = {}
    for region, region_poly in region_shapes(country).items():
        mine = {c: p for c, p in capitals.items() if parent.get(c) == region}
        for code, c in mine.items():
            poly = [_scaled(p, lat0) for p in region_poly]
            for other, o in mine.items():
                if other != code and poly:
                    poly = _clip(poly, _scaled(c, lat0), _scaled(o, lat0))
            if len(poly) >= 3:
                cells[code] = [(x / k, y) for x, y in poly]
    return cells


class Projection:
    """Longitude/latitude to SVG coordinates for one country's frame."""

    def __init__(self, outline: list[Point], width: int = WIDTH, margin: int = 10,
                 max_height: int = 480) -> None:
        lons, lats = [p[0] for p in outline], [p[1] for p in outline]
        self.lat0 = (min(lats) + max(lats)) / 2
        self.k = math.cos(math.radians(self.lat0))
        self.x0, self.y1 = min(lons), max(lats)
        span_x = (max(lons) - min(lons)) * self.k
        span_y = max(lats) - min(lats)
        # As wide as the page allows, no taller than ``max_height`` (Togo is a long strip).
        self.scale = min((width - 2 * margin) / max(span_x, 1e-9),
                         (max_height - 2 * margin) / max(span_y, 1e-9))
        self.margin = margin
        self.width = round(span_x * self.scale + 2 * margin)
        self.height = round(span_y * self.scale + 2 * margin)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (self.margin + (lon - self.x0) * self.k * self.scale,
                self.margin + (self.y1 - lat) * self.scale)

    def inside(self, lon: float, lat: float) -> bool:
        x, y = self(lon, lat)
        return -5 <= x <= self.width + 5 and -5 <= y <= self.height + 5


def _path(points: list[Point], proj: Projection) -> str:
    return "M" + "L".join("{:.1f},{:.1f}".format(*proj(*p)) for p in points) + "Z"


def country_map(country: str, country_name: str, region_names: dict[str, str], sites,
                site_url, chart_id: str, province_names: dict[str, str] | None = None) -> SafeString:
    """An SVG map of ``country``: its regions (approximate), the sites with a position in
    it as links to their pages (``site_url(site)``)."""
    outline = [tuple(p) for p in shapes()["countries"].get(country, [])]
    if not outline:
        return SafeString("")
    proj = Projection(outline)
    province_names = province_names or {}
    parts = [f'<svg class="map" viewBox="0 0 {proj.width} {proj.height}" width="{proj.width}" '
             f'height="{proj.height}" role="group" '
             f'aria-labelledby="{chart_id}-t" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(country_name)}</title>']
    for i, (code, poly) in enumerate(sorted(region_shapes(country).items())):
        name = region_names.get(code, code)
        parts.append(f'<path class="map-region map-region-{i % 4}" d="{_path(poly, proj)}" '
                     f'data-region="{escape(code)}"><title>{escape(name)}</title></path>')
    for code, poly in sorted(province_shapes(country).items()):
        name = province_names.get(code, code)
        parts.append(f'<path class="map-province" d="{_path(poly, proj)}">'
                     f'<title>{escape(name)}</title></path>')
    for code, (_town, lon, lat) in sorted(shapes()["capitals"].items()):
        if code.startswith(country + "-") and code in region_names:
            x, y = proj(lon, lat)
            parts.append(f'<text class="map-label" x="{x:.1f}" y="{y - 4:.1f}" '
                         f'text-anchor="middle">{escape(region_names[code])}</text>')
    parts.append(f'<path class="map-outline" d="{_path(outline, proj)}"/>')
    for site in sites:
        if not site.has_position or not proj.inside(site.longitude, site.latitude):
            continue
        x, y = proj(site.longitude, site.latitude)
        kind = "telecentre" if site.kind == "telecentre" else "organisation"
        parts.append(f'<a href="{escape(site_url(site))}" class="map-site map-{kind}" '
                     f'aria-label="{escape(site.name)}"><circle cx="{x:.1f}" cy="{y:.1f}" r="6">'
                     f'<title>{escape(site.name)}</title></circle></a>')
    parts.append("</svg>")
    # Every text went through escape(); coordinates are numbers formatted here.
    return mark_safe("".join(parts))  # nosec B308 B703


def geojson(sites, site_url) -> dict:
    """The sites with a position as a GeoJSON FeatureCollection (RFC 7946: longitude first)."""
    features = []
    for s in sites:
        if not s.has_position:
            continue
        features.append({
            "type": "Feature", "id": str(s.pk),
            "geometry": {"type": "Point", "coordinates": [s.longitude, s.latitude]},
            "properties": {"name": s.name, "kind": s.kind, "connectivity": s.connectivity,
                           "services": list(s.services or []),
                           "relay_cell": s.relay_cell.name if s.relay_cell_id else "",
                           "place": s.place.name if s.place_id else "",
                           "url": site_url(s)},
        })
    return {"type": "FeatureCollection", "features": features}
