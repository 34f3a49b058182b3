"""Case lists: rows for display, filters and sort orders as the list page offers them."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiri.cases.access import readable_in
from yiri.cases.columns import name_sort_key
from yiri.cases.identity import display_name, read_identity
from yiri.cases.models import Case, CaseStatus, RiskLevel, WorkflowStage
from yiri.cases.notes import flagged_ids
from yiri.cases.search import filter_records
from yiri.formconfig.schema import get_schema
from yiri.lib.ages import age_on
from yiri.network.models import Agency

from .widgets import QuickSelect

PAGE_SIZE = 25
COUNT_CAP = 1000
# A sort by name reads the names through the codec (no column holds them in clear), so
# only a list narrowed to at most this many cases is sorted by name.
NAME_SORT_LIMIT = 1000

AGE_GROUPS = {
    "0-5": (0, 5), "6-11": (6, 11), "12-14": (12, 14), "15-17": (15, 17), "18+": (18, 150),
}
SORTS = {
    "-updated": ("-updated_at", _("Modifiés récemment")),
    "updated": ("updated_at", _("Modifiés il y a longtemps")),
    "name": (None, _("Nom (A → Z)")),  # not a column: see sorted_by_name
    "-registered": ("-registration_date", _("Enregistrés récemment")),
    "id": ("short_id", _("Numéro de dossier")),
}


@dataclass
class CaseRow:
    case: Case
    name: str
    age: int | None
    flagged: bool = False
    sex: str = ""  # the sex lookup's label ("Féminin"), not its code


def case_rows(user, cases) -> list[CaseRow]:
    """Names appear only for users who may read the identity section."""
    schema = get_schema("case")
    cases = list(cases)
    # A record reached through a share shows its name only if the share lets the user
    # read the identity section (one query for the page).
    names = readable_in(user, cases, "basic_identity")
    flagged = flagged_ids("case", [c.pk for c in cases])  # one query for the whole page
    sex = schema.lookups.get("sex")
    return [CaseRow(c, display_name(c) if c.pk in names else "", age_on(c.date_of_birth), c.pk in flagged,
                    (sex.label(c.sex) if sex else c.sex) if c.sex else "")
            for c in cases]


def _choices(first: str, items) -> list[tuple[str, str]]:
    return [("", first)] + [(str(k), str(v)) for k, v in items]


class CaseFilterForm(forms.Form):
    """Filters of the case list. Every value is a code or an id: no names in URLs."""

    stage = forms.ChoiceField(label=_("Étape"), required=False, widget=QuickSelect)
    status = forms.ChoiceField(label=_("Statut"), required=False, widget=QuickSelect)
    risk = forms.ChoiceField(label=_("Niveau de risque"), required=False, widget=QuickSelect)
    concern = forms.ChoiceField(label=_("Préoccupation"), required=False, widget=QuickSelect)
    sex = forms.ChoiceField(label=_("Sexe"), required=False, widget=QuickSelect)
    age = forms.ChoiceField(label=_("Tranche d'âge"), required=False, widget=QuickSelect)
    location = forms.CharField(label=_("Lieu (code)"), required=False, max_length=40)
    agency = forms.ChoiceField(label=_("Organisation"), required=False, widget=QuickSelect)
    owner = forms.ChoiceField(label=_("Responsable"), required=False, widget=QuickSelect)
    overdue = forms.BooleanField(label=_("En retard seulement"), required=False)
    registered_from = forms.DateField(label=_("Enregistrés à partir du"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}))
    registered_to = forms.DateField(label=_("Enregistrés jusqu'au"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    identified_by = forms.ChoiceField(label=_("Identifié par"), required=False, widget=QuickSelect)
    service = forms.ChoiceField(label=_("Service"), required=False, widget=QuickSelect)
    service_done = forms.BooleanField(label=_("Service réalisé seulement"), required=False)
    consent = forms.ChoiceField(label=_("Consentement aux services"), required=False,
                                widget=QuickSelect)
    missing = forms.BooleanField(label=_("Réponses obligatoires manquantes"), required=False)
    sort = forms.ChoiceField(label=_("Trier par"), required=False, widget=QuickSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        schema = get_schema("case")
        every = _("Tous")
        f = self.fields
        f["stage"].choices = _choices(every, WorkflowStage.choices)
        f["status"].choices = _choices(every, CaseStatus.choices)
        f["risk"].choices = _choices(every, RiskLevel.choices)
        concern = schema.lookups.get("protection_concern")
        f["concern"].choices = _choices(_("Toutes"), concern.labels() if concern else [])
        sex = schema.lookups.get("sex")
        f["sex"].choices = _choices(every, sex.labels() if sex else [])
        f["age"].choices = _choices(_("Tous âges"), [(k, k.replace("-", " – ") + " " + str(_("ans")))
                                                     for k in AGE_GROUPS])
        f["agency"].choices = _choices(_("Toutes"), Agency.objects.filter(deleted=False)
                                       .values_list("pk", "acronym")[:200])
        f["owner"].choices = [("", every), ("me", _("Moi"))] + self._named_owner()
        for name, code in (("identified_by", "identified_by"), ("service", "service_type")):
            lookup = schema.lookups.get(code)
            f[name].choices = _choices(every, lookup.labels() if lookup else [])
        f["consent"].choices = [("", every), ("yes", _("Donné")), ("no", _("Non donné"))]
        f["sort"].choices = [(k, label) for k, (_col, label) in SORTS.items()]


    def _named_owner(self) -> list[tuple[str, str]]:
        """A worker's cases (a link from the dashboard's overdue work per worker): that
        worker as a choice. The list stays scoped: it only narrows what the user sees."""
        from django.contrib.auth import get_user_model

        pk = (self.data.get("owner") or "") if self.is_bound else ""
        if pk in ("", "me"):
            return []
        try:
            user = get_user_model().objects.filter(pk=pk).first()
        except (ValueError, ValidationError):
            return []
        return [(str(user.pk), str(user))] if user is not None else []


def filter_cases(qs: QuerySet, data: dict) -> QuerySet:
    """Apply the cleaned filters through the shared ``filter_records``, plus the ones only
    the page has (agency by id, "my cases", overdue) and the chosen order."""
    low, high = AGE_GROUPS.get(data.get("age") or "", (None, None))
    qs = filter_records(
        qs,
        workflow_stage=data.get("stage") or None, status=data.get("status") or None,
        risk_level=data.get("risk") or None, concern=data.get("concern") or None,
        sex=data.get("sex") or None, age_min=low, age_max=high,
        location=(data.get("location") or "").strip() or None,
        owner=data["_user"].pk if data.get("owner") == "me" else (data.get("owner") or None),
    )
    if data.get("agency"):
        qs = qs.filter(owning_agency_id=data["agency"])
    if data.get("overdue"):
        qs = qs.filter(overdue_q())
    if data.get("registered_from"):
        qs = qs.filter(registration_date__gte=data["registered_from"])
    if data.get("registered_to"):
        qs = qs.filter(registration_date__lte=data["registered_to"])
    if data.get("identified_by"):
        qs = qs.filter(identified_by=data["identified_by"])
    if data.get("service"):
        done = Q(services__contains=f"|{data['service']}+|")
        qs = qs.filter(done if data.get("service_done") else
                       done | Q(services__contains=f"|{data['service']}-|"))
    if data.get("consent"):
        qs = qs.filter(consent_for_services=data["consent"] == "yes")
    if data.get("missing"):
        qs = qs.filter(missing_required__gt=0)
    column = SORTS.get(data.get("sort") or "-updated", SORTS["-updated"])[0]
    return qs.order_by(column or "-updated_at", "pk")


def sorted_by_name(user, qs: QuerySet) -> list[Case] | None:
    """The cases of ``qs`` in name order (last name, then first name, as they are
    normalised for search), or None when there are more than ``NAME_SORT_LIMIT``.

    No column holds the children's names in clear (issue 9), so the names of the filtered
    cases are read through the codec (``cases.identity``), at most ``NAME_SORT_LIMIT``
    of them: a database cannot sort by what it cannot read. The cases whose name the
    user may not read come last, most recently updated first, so that the order tells
    nothing of a name the user does not see.
    """
    cases = list(qs.order_by("-updated_at", "pk").defer("data")[:NAME_SORT_LIMIT + 1])
    if len(cases) > NAME_SORT_LIMIT:
        return None
    named = readable_in(user, cases, "basic_identity")
    order = {c.pk: i for i, c in enumerate(cases)}

    def key(case):
        if case.pk not in named:
            return (1, "", order[case.pk])
        return (0, name_sort_key(read_identity(case).get("fields", {})), order[case.pk])
    return sorted(cases, key=key)


def overdue_q() -> Q:
    """Open cases with work overdue: a case plan due date passed without a plan, a service
    appointment passed and not implemented, a follow-up needed by a day passed and not
    done (``Case.next_due``, kept from the answers by ``cases.columns``)."""
    return Q(status=CaseStatus.OPEN, next_due__lt=timezone.localdate())
