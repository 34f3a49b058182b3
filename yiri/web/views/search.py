"""Search before create: find the child first; offer registration only after a search.

The search is a POST form so names never appear in a URL (proxy logs, browser history on
a shared PC). Matching (accents, case, spelling variants, short forms, typos; best first)
is ``cases.search.search_cases``.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.formconfig.schema import get_schema

from ..answers import resolve_location
from ..listing import case_rows

RESULTS_LIMIT = 50


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Nom de l'enfant"), required=False, max_length=120,
                        help_text=_("Prénom, nom ou surnom ; les accents et l'orthographe "
                                    "approximative sont acceptés (Ouédraogo, Wedraogo…)."))
    age_min = forms.IntegerField(label=_("Âge minimum"), required=False, min_value=0, max_value=30)
    age_max = forms.IntegerField(label=_("Âge maximum"), required=False, min_value=0, max_value=30)
    sex = forms.ChoiceField(label=_("Sexe"), required=False)
    location = forms.CharField(label=_("Lieu"), required=False, max_length=120,
                               help_text=_("Code ou nom de la localité, province ou région."))
    parent = forms.CharField(label=_("Nom de la mère ou du père"), required=False, max_length=120,
                             help_text=_("Avec le nom de l'enfant : les enfants de ce parent "
                                         "viennent en premier."))
    short_id = forms.CharField(label=_("Numéro de dossier"), required=False, max_length=24)
    phone = forms.CharField(label=_("Téléphone"), required=False, max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sex = get_schema("case").lookups.get("sex")
        self.fields["sex"].choices = [("", _("Tous"))] + (sex.labels() if sex else [])

    def clean(self):
        data = super().clean()
        if not any(data.get(k) not in (None, "") for k in self.fields):
            raise forms.ValidationError(_("Indiquez au moins un critère de recherche."))
        if data.get("age_min") is not None and data.get("age_max") is not None \
                and data["age_min"] > data["age_max"]:
            self.add_error("age_max", _("L'âge maximum doit être supérieur à l'âge minimum."))
        if data.get("location"):
            data["location"] = resolve_location(data["location"].strip())
        if data.get("parent") and not (data.get("q") or "").strip():
            self.add_error("parent", _("Le nom d'un parent complète le nom de l'enfant : "
                                       "saisissez aussi celui-ci."))
        return data


def run_search(user, data: dict):
    """Call the shared search service with the page's criteria."""
    from yiri.cases.search import rank_page, search_cases

    filters = {k: data[k] for k in ("age_min", "age_max", "sex", "location")
               if data.get(k) not in (None, "")}
    results = search_cases(user, q=data.get("q") or None, phone=data.get("phone") or None,
                           short_id=data.get("short_id") or None,
                           parent=data.get("parent") or None, **filters)
    # search_cases starts from Case.objects.visible_to(user): the one scoping, tested there.
    page = rank_page(results[:RESULTS_LIMIT], data.get("q"))
    # The count only: what was searched for stays out of the log.
    record_event(AuditAction.SEARCH, user=user, record_type="case", count=len(page))
    return page


@login_required
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.can("view", "case"):
        raise Http404
    form = SearchForm(request.POST if request.method == "POST" else None)
    results = None
    prefill = {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        results = case_rows(user, run_search(user, data))
        prefill = _prefill_from(data)
    return render(request, "web/search.html", {
        "form": form, "results": results, "searched": results is not None,
        "prefill": prefill, "can_create": user.can("create", "case"),
        "limit": RESULTS_LIMIT,
    }, status=200 if form.is_valid() or request.method == "GET" else 422)


def _prefill_from(data: dict) -> dict[str, str]:
    """What the registration form starts from: the name split into first and last name,
    the sex, an age in the searched range, the phone and the place."""
    out: dict[str, str] = {}
    words = (data.get("q") or "").split()
    if len(words) == 1:
        out["name_first"] = words[0]
    elif words:
        out["name_first"], out["name_last"] = " ".join(words[:-1]), words[-1]
    if data.get("sex"):
        out["sex"] = data["sex"]
    if data.get("age_min") is not None and data.get("age_min") == data.get("age_max"):
        out["age"] = str(data["age_min"])
    if data.get("phone"):
        out["phone"] = data["phone"]
    if data.get("location"):
        out["location_current"] = data["location"]
    return out
