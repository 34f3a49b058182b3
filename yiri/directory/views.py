"""Pages of the network directory (``access`` says who reaches what).

Every page needs a signed-in member of the network (403 otherwise, the login page for a
visitor); writing needs the right of the action (``edit_directory``,
``record_trainings``, ``run_inventories``). Ids in URLs are UUIDs of directory rows,
never a person's name.
"""

from __future__ import annotations

import io
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yiri.dashboards import charts
from yiri.formconfig.models import INVENTORY_FORM
from yiri.formconfig.schema import get_schema
from yiri.formconfig.validation import AnswersInvalid
from yiri.lib import spreadsheet
from yiri.network.models import Location
from yiri.web import answers as answer_widgets

from . import access, geo, reports, services
from .forms import (
    CommitmentForm,
    ParticipantForm,
    PersonForm,
    ReportForm,
    RoundForm,
    SiteFilterForm,
    SiteForm,
    TrainingForm,
)
from .models import (
    Commitment,
    InventoryRound,
    Participant,
    Person,
    Site,
    SiteKind,
    Training,
)


def member_view(view):
    """Signed in and a member of the network, or refused."""

    @login_required
    def wrapped(request, *args, **kwargs):
        access.require_member(request.user)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _get(model, pk, **extra):
    if not answer_widgets.is_uuid(str(pk)):
        raise Http404
    qs = model if isinstance(model, QuerySet) else model.objects
    found = qs.filter(pk=pk, deleted=False, **extra).first()
    if found is None:
        raise Http404(_("Introuvable."))
    return found


def site_url(site: Site) -> str:
    return reverse("directory_site", args=[site.pk])


# ------------------------------------------------------------------ the directory


def filtered_sites(data) -> tuple[SiteFilterForm, object]:
    form = SiteFilterForm(data or None)
    qs = (Site.objects.filter(deleted=False)
          .select_related("place", "relay_cell", "agency").order_by("name"))
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            q = d["q"].strip()
            qs = qs.filter(Q(name__icontains=q) | Q(place__name__icontains=q)
                           | Q(local_content__icontains=q) | Q(agency__acronym__icontains=q)
                           | Q(description__icontains=q))
        if d["kind"]:
            qs = qs.filter(kind=d["kind"])
        if d["region"]:
            region = Location.objects.filter(code=d["region"]).first()
            qs = qs.filter(place__path__startswith=region.path) if region else qs.none()
        if d["relay_cell"]:
            qs = qs.filter(relay_cell_id=d["relay_cell"])
        if d["connectivity"]:
            qs = qs.filter(connectivity=d["connectivity"])
        if d["service"]:  # a JSON list: filtered here (SQLite has no JSON containment)
            qs = qs.filter(pk__in=[s.pk for s in qs if d["service"] in (s.services or [])])
    return form, qs


@member_view
@require_GET
def site_list(request: HttpRequest) -> HttpResponse:
    form, sites = filtered_sites(request.GET)
    query = request.GET.urlencode()
    return render(request, "directory/site_list.html", {
        "form": form, "sites": sites, "query": query,
        "may_edit": access.may_edit(request.user),
    })


def _export_rows(sites):
    header = [_("Nom"), _("Type"), _("Région"), _("Province"), _("Commune"), _("Latitude"),
              _("Longitude"), _("Adresse"), _("Personne de contact"), _("Téléphone"),
              _("Courriel"), _("Site web"), _("Services offerts"), _("Équipement"),
              _("Ordinateurs"), _("Connexion à Internet"), _("Heures d'ouverture"),
              _("Cellule de relais"), _("Contenus et applications locaux")]
    yield header
    for s in sites:
        p = s.places()
        yield [s.name, s.get_kind_display(), p["region"].name if p["region"] else "",
               p["province"].name if p["province"] else "",
               p["commune"].name if p["commune"] else "",
               s.latitude if s.latitude is not None else "",
               s.longitude if s.longitude is not None else "", s.address, s.contact_name,
               s.phone, s.email, s.website, ", ".join(s.services_labels()), s.equipment,
               s.computers if s.computers is not None else "", s.get_connectivity_display(),
               s.opening_hours, s.relay_cell.name if s.relay_cell_id else "", s.local_content]


@member_view
@require_GET
def site_export(request: HttpRequest, fmt: str) -> HttpResponse:
    _form, sites = filtered_sites(request.GET)
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")  # Excel reads UTF-8 only with its mark
        writer = spreadsheet.writer(buf, delimiter=";")  # no cell read as a formula
        writer.writerows(_export_rows(sites))
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(
            spreadsheet.xlsx([(_("Annuaire"), _export_rows(sites))]),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    elif fmt == "geojson":
        data = geo.geojson(sites, lambda s: request.build_absolute_uri(site_url(s)))
        response = HttpResponse(json.dumps(data, ensure_ascii=False),
                                content_type="application/geo+json")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="annuaire.{fmt}"'
    return response


@member_view
@require_GET
def site_map(request: HttpRequest) -> HttpResponse:
    form, sites = filtered_sites(request.GET)
    sites = list(sites)
    regions = dict(Location.objects.filter(level="region", deleted=False)
                   .values_list("code", "name"))
    provinces = dict(Location.objects.filter(level="province", deleted=False)
                     .values_list("code", "name"))
    countries = Location.objects.filter(level="country", deleted=False).order_by("code")
    maps = []
    for country in countries:
        if country.code not in geo.shapes()["countries"]:
            continue
        mine = [s for s in sites if s.place_id and s.place.path.startswith(country.path)
                or (not s.place_id and s.has_position)]
        maps.append({"country": country, "svg": geo.country_map(
            country.code, country.name, regions, mine, site_url, f"map-{country.code}",
            provinces),
            "count": sum(1 for s in mine if s.has_position)})
    unplaced = [s for s in sites if not s.has_position]
    return render(request, "directory/map.html", {"form": form, "maps": maps,
                                                  "unplaced": unplaced,
                                                  "query": request.GET.urlencode()})


@member_view
@require_GET
def site_detail(request: HttpRequest, pk) -> HttpResponse:
    site = _get(Site.objects.select_related("place", "relay_cell", "agency"), pk)
    people = site.people.filter(deleted=False, consent=True).order_by("full_name")
    withheld = site.people.filter(deleted=False, consent=False).count()
    may_edit = access.may_edit(request.user, site)
    trainings = (Participant.objects.filter(site=site, deleted=False, attended=True,
                                            training__deleted=False)
                 .select_related("training").order_by("-training__start_date"))
    return render(request, "directory/site_detail.html", {
        "site": site, "places": site.places(), "people": people,
        "withheld": withheld if may_edit else 0, "may_edit": may_edit,
        "hidden_people": site.people.filter(deleted=False, consent=False) if may_edit else [],
        "participations": trainings,
    })


@member_view
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, pk=None) -> HttpResponse:
    site = _get(Site, pk) if pk else Site(kind=request.GET.get("kind") or SiteKind.TELECENTRE)
    if not access.may_edit(request.user, None if pk is None else site):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier l'annuaire."))
    form = SiteForm(request.POST or None, instance=site)
    if request.method == "POST" and form.is_valid():
        site = form.save(commit=False)
        if site.kind == SiteKind.ORGANISATION and site.agency and not site.name:
            site.name = site.agency.name
        services.save_site(request.user, site)
        messages.success(request, _("Fiche enregistrée."))
        return redirect(site_url(site))
    return render(request, "directory/site_form.html", {"form": form, "site": site if pk else None})


# ------------------------------------------------------------------------ people


@member_view
@require_http_methods(["GET", "POST"])
def people_list(request: HttpRequest) -> HttpResponse:
    """Profiles of the people who consented, of entries still in the directory. The search
    is posted: a person's name stays out of addresses and server logs."""
    q = (request.POST.get("q") or "").strip()[:100]
    people = (Person.objects.filter(deleted=False, consent=True, site__deleted=False)
              .select_related("site").order_by("full_name"))
    if q:
        people = people.filter(Q(full_name__icontains=q) | Q(skills__icontains=q)
                               | Q(interests__icontains=q) | Q(languages__icontains=q)
                               | Q(site__name__icontains=q))
    return render(request, "directory/people_list.html", {"people": people, "q": q})


@member_view
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, site_pk=None, pk=None) -> HttpResponse:
    if pk:
        person = _get(Person.objects.select_related("site"), pk)
        site = person.site
    else:
        site = _get(Site, site_pk)
        person = Person(site=site)
    if not access.may_edit(request.user, site):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier les profils de cette structure."))
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        services.save_person(request.user, form.save(commit=False))
        messages.success(request, _("Profil enregistré."))
        return redirect(site_url(site))
    return render(request, "directory/person_form.html", {"form": form, "site": site,
                                                           "person": person if pk else None})


# --------------------------------------------------------------------- trainings


@member_view
@require_GET
def training_list(request: HttpRequest) -> HttpResponse:
    trainings = Training.objects.filter(deleted=False).select_related("place")
    return render(request, "directory/training_list.html", {
        "trainings": trainings, "may_record": access.may_record_trainings(request.user)})


@member_view
@require_http_methods(["GET", "POST"])
def training_edit(request: HttpRequest, pk=None) -> HttpResponse:
    if not access.may_record_trainings(request.user):
        raise PermissionDenied(_("Votre rôle ne permet pas d'enregistrer des formations."))
    training = _get(Training, pk) if pk else Training()
    form = TrainingForm(request.POST or None, instance=training)
    if request.method == "POST" and form.is_valid():
        training = services.save_training(request.user, form.save(commit=False))
        messages.success(request, _("Formation enregistrée."))
        return redirect("directory_training", pk=training.pk)
    return render(request, "directory/training_form.html", {"form": form,
                                                             "training": training if pk else None})


@member_view
@require_http_methods(["GET", "POST"])
def training_detail(request: HttpRequest, pk) -> HttpResponse:
    training = _get(Training.objects.select_related("place", "relay_cell"), pk)
    may_record = access.may_record_trainings(request.user)
    form = ParticipantForm(request.POST or None if request.POST.get("add") else None)
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied(_("Votre rôle ne permet pas d'enregistrer des formations."))
        if request.POST.get("add") and form.is_valid():
            d = form.cleaned_data
            person = d.get("person")
            services.add_participant(request.user, training, site=person.site if person else d["site"],
                                     person=person, name=d.get("name") or "",
                                     attended=d.get("attended", False))
            messages.success(request, _("Participant·e ajouté·e."))
            return redirect("directory_training", pk=training.pk)
        if request.POST.get("attendance"):
            participant = _get(Participant, request.POST["attendance"], training=training)
            services.set_attendance(request.user, participant, request.POST.get("attended") == "1")
            return redirect("directory_training", pk=training.pk)
    participants = (training.participants.filter(deleted=False)
                    .select_related("person", "site").order_by("name", "person__full_name"))
    rows = []
    for p in participants:
        # A profile whose holder withdrew consent is not named: "participant·e (profil masqué)".
        hidden = bool(p.person_id and not p.person.consent)
        rows.append({"p": p, "name": _("Participant·e (profil masqué)") if hidden else p.display_name,
                     "commitments": p.commitments.filter(deleted=False)})
    return render(request, "directory/training_detail.html", {
        "training": training, "rows": rows, "form": form, "may_record": may_record,
        "attended": sum(1 for r in rows if r["p"].attended)})


@member_view
@require_http_methods(["GET", "POST"])
def commitment_edit(request: HttpRequest, participant_pk=None, pk=None) -> HttpResponse:
    if not access.may_record_trainings(request.user):
        raise PermissionDenied(_("Votre rôle ne permet pas d'enregistrer des formations."))
    if pk:
        commitment = _get(Commitment.objects.select_related("participant"), pk)
        participant = commitment.participant
    else:
        participant = _get(Participant, participant_pk)
        commitment = Commitment(participant=participant)
    form = CommitmentForm(request.POST or None, instance=commitment)
    if request.method == "POST" and form.is_valid():
        services.save_commitment(request.user, form.save(commit=False))
        messages.success(request, _("Engagement enregistré."))
        return redirect("directory_training", pk=participant.training_id)
    return render(request, "directory/commitment_form.html", {
        "form": form, "participant": participant, "training": participant.training})


@member_view
@require_GET
def training_report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET or None)
    filters = reports.Filters()
    if form.is_valid():
        d = form.cleaned_data
        filters = reports.Filters(theme=d["theme"], region=d["region"], start=d["start"],
                                  end=d["end"])
    report = reports.trained(filters)
    return render(request, "directory/report.html", {
        "form": form, "report": report,
        "theme_chart": charts.hbar("r-theme", _("Personnes formées par thème"),
                                   [(label, n) for _c, label, n in report.by_theme]),
        "region_chart": charts.hbar("r-region", _("Personnes formées par région"),
                                    [(label, n) for _c, label, n in report.by_region]),
        "site_chart": charts.hbar("r-site", _("Personnes formées par structure"),
                                  [(label, n) for _c, label, n in report.by_site[:15]]),
        "month_chart": charts.columns("r-month", _("Personnes formées par mois"),
                                      [m for m, _n in report.by_month],
                                      [(_("Personnes formées"), [n for _m, n in report.by_month])]),
        # Over time per theme: the six themes with most people (the chart has six colours).
        "theme_month_chart": charts.columns("r-theme-month", _("Personnes formées par thème et par mois"),
                                            [m for m, _n in report.by_month],
                                            [(label, values) for _c, label, values in report.theme_months[:6]]),
    })


# -------------------------------------------------------------------- inventories


def _round(user, pk) -> InventoryRound:
    found = _get(InventoryRound.objects.select_related("relay_cell"), pk)
    if not access.may_run_inventories(user, found.relay_cell):
        raise PermissionDenied(_("Votre rôle ne permet pas de voir l'inventaire de cette cellule."))
    return found


@member_view
@require_http_methods(["GET", "POST"])
def round_list(request: HttpRequest) -> HttpResponse:
    cells = access.inventory_cells(request.user)
    if not cells.exists():
        raise PermissionDenied(_("Votre rôle ne permet pas de mener les inventaires."))
    form = RoundForm(request.POST or None, cells=cells)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        found = services.open_round(request.user, d["relay_cell"], d["title"], d["opened_on"])
        messages.success(request, _("Tour d'inventaire ouvert."))
        return redirect("directory_round", pk=found.pk)
    rounds = InventoryRound.objects.filter(deleted=False, relay_cell__in=cells).select_related("relay_cell")
    return render(request, "directory/rounds.html", {"rounds": rounds, "form": form})


@member_view
@require_GET
def round_detail(request: HttpRequest, pk) -> HttpResponse:
    inv_round = _round(request.user, pk)
    schema = get_schema(INVENTORY_FORM)
    fields = {code: f for code, f in schema.fields.items()}
    rows = []
    for row in services.round_overview(inv_round):
        response = row["response"]
        values = [(f.label, answer_widgets.format_value(schema, f, (response.answers if response else {}).get(code), {}))
                  for code, f in fields.items()]
        changes = [(fields[c].label if c in fields else c,
                    answer_widgets.format_value(schema, fields[c], old, {}) if c in fields else old,
                    answer_widgets.format_value(schema, fields[c], new, {}) if c in fields else new)
                   for c, old, new in row["changes"]]
        others = [{"response": o["response"], "differs": [
            (fields[c].label if c in fields else c,
             answer_widgets.format_value(schema, fields[c], theirs, {}) if c in fields else theirs,
             answer_widgets.format_value(schema, fields[c], shown, {}) if c in fields else shown)
            for c, theirs, shown in o["differs"]]} for o in row["others"]]
        rows.append({**row, "values": values, "change_list": changes, "other_list": others})
    return render(request, "directory/round_detail.html", {
        "round": inv_round, "rows": rows, "previous": services.previous_round(inv_round),
        "labels": [f.label for f in fields.values()],
        "answered": sum(1 for r in rows if r["response"])})


@member_view
@require_http_methods(["GET", "POST"])
def round_fill(request: HttpRequest, pk, site_pk) -> HttpResponse:
    inv_round = _round(request.user, pk)
    site = _get(Site, site_pk, relay_cell=inv_round.relay_cell_id)
    schema = get_schema(INVENTORY_FORM)
    current = services.response_of(inv_round, site)
    values = dict(current.answers) if current else {}
    errors: dict = {}
    if request.method == "POST":
        submitted = {}
        for section in schema.main_sections:
            submitted.update(answer_widgets.parse_section(section, request.POST))
        try:
            services.fill_inventory(request.user, inv_round, site, submitted)
        except AnswersInvalid as exc:
            errors = exc.errors
            values.update(submitted)  # what was typed stays on the page
        else:
            messages.success(request, _("Réponses enregistrées."))
            return redirect("directory_round", pk=inv_round.pk)
    sections = [{"section": s, "widgets": answer_widgets.widgets(schema, s.fields, values, errors=errors)}
                for s in schema.main_sections]
    return render(request, "directory/round_fill.html", {
        "round": inv_round, "site": site, "sections": sections, "errors": errors})



