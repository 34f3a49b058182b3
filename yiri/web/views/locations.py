"""Place autocomplete: a handful of matching places instead of 950 options on every page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yiri.network.models import Location

LIMIT = 15


@login_required
@require_GET
def location_options(request: HttpRequest) -> HttpResponse:
    """``<option>`` elements for a ``<datalist>``; the query is any input's value."""
    text = ""
    for key, value in request.GET.items():
        if key != "list" and value:
            text = value.strip()
            break
    places = []
    if len(text) >= 2:
        places = (Location.objects.filter(deleted=False)
                  .filter(Q(name__istartswith=text) | Q(code__istartswith=text))
                  .select_related("parent").order_by("level", "name")[:LIMIT])
    return render(request, "web/_location_options.html", {"places": places})
