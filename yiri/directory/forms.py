"""Forms of the directory pages (French labels from the models)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yiri.network.models import Location, RelayCell

from .models import (
    Commitment,
    Connectivity,
    Person,
    Service,
    Site,
    SiteKind,
    Theme,
    Training,
)

_PLACE_LEVELS = ("region", "province", "commune")


def _places():
    return Location.objects.filter(deleted=False, level__in=_PLACE_LEVELS).order_by("path")


class PlaceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        indent = {"region": "", "province": "— ", "commune": "— — "}.get(obj.level, "")
        return f"{indent}{obj.name}"


class SiteForm(forms.ModelForm):
    services = forms.MultipleChoiceField(label=_("Services offerts"), choices=Service.choices,
                                         required=False, widget=forms.CheckboxSelectMultiple)
    place = PlaceChoice(queryset=Location.objects.none(), required=False,
                        label=_("Lieu (commune, province ou région)"))
    website = forms.URLField(label=_("Site web"), required=False, assume_scheme="https")

    class Meta:
        model = Site
        fields = ["kind", "name", "agency", "place", "latitude", "longitude", "address",
                  "contact_name", "phone", "email", "website", "services", "equipment",
                  "computers", "connectivity", "opening_hours", "relay_cell", "local_content",
                  "description"]
        widgets = {"equipment": forms.Textarea(attrs={"rows": 2}),
                   "local_content": forms.Textarea(attrs={"rows": 2}),
                   "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = _places()
        self.fields["relay_cell"].queryset = RelayCell.objects.filter(deleted=False)
        self.fields["agency"].queryset = self.fields["agency"].queryset.filter(deleted=False)

    def clean_latitude(self):
        value = self.cleaned_data.get("latitude")
        if value is not None and not -90 <= value <= 90:
            raise forms.ValidationError(_("Une latitude est comprise entre -90 et 90."))
        return value

    def clean_longitude(self):
        value = self.cleaned_data.get("longitude")
        if value is not None and not -180 <= value <= 180:
            raise forms.ValidationError(_("Une longitude est comprise entre -180 et 180."))
        return value

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError(_("Donnez la latitude et la longitude, ou aucune des deux."))
        if data.get("kind") == SiteKind.ORGANISATION and not data.get("agency"):
            self.add_error("agency", _("Choisissez l'organisation membre que cette fiche décrit."))
        return data


class SiteFilterForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", _("Tous"))] + SiteKind.choices)
    region = forms.ChoiceField(label=_("Région"), required=False)
    relay_cell = forms.ChoiceField(label=_("Cellule de relais"), required=False)
    service = forms.ChoiceField(label=_("Service"), required=False,
                                choices=[("", _("Tous"))] + Service.choices)
    connectivity = forms.ChoiceField(label=_("Connexion"), required=False,
                                     choices=[("", _("Toutes"))] + Connectivity.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("Toutes"))] + list(
            Location.objects.filter(level="region", deleted=False).order_by("path")
            .values_list("code", "name"))
        self.fields["relay_cell"].choices = [("", _("Toutes"))] + [
            (str(pk), name) for pk, name in RelayCell.objects.filter(deleted=False)
            .values_list("pk", "name")]


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["full_name", "role", "skills", "interests", "languages", "phone", "email",
                  "consent"]
        widgets = {"skills": forms.Textarea(attrs={"rows": 2}),
                   "interests": forms.Textarea(attrs={"rows": 2})}


class TrainingForm(forms.ModelForm):
    themes = forms.MultipleChoiceField(label=_("Thèmes"), choices=Theme.choices, required=True,
                                       widget=forms.CheckboxSelectMultiple)
    place = PlaceChoice(queryset=Location.objects.none(), required=False, label=_("Lieu"))

    class Meta:
        model = Training
        fields = ["title", "themes", "start_date", "end_date", "place", "venue", "funder",
                  "facilitators", "relay_cell"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = _places()
        self.fields["relay_cell"].queryset = RelayCell.objects.filter(deleted=False)

    def clean(self):
        data = super().clean()
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("La fin ne peut pas précéder le début."))
        return data


class ParticipantForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Profil de l'annuaire"), required=False,
                                    queryset=Person.objects.none())
    name = forms.CharField(label=_("Ou nom (sans profil)"), required=False, max_length=160)
    site = forms.ModelChoiceField(label=_("Structure"), required=False,
                                  queryset=Site.objects.none())
    attended = forms.BooleanField(label=_("Présent·e"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = (Person.objects.filter(deleted=False, consent=True,
                                                                site__deleted=False)
                                          .select_related("site").order_by("full_name"))
        self.fields["person"].label_from_instance = lambda p: f"{p.full_name} ({p.site.name})"
        self.fields["site"].queryset = Site.objects.filter(deleted=False).order_by("name")

    def clean(self):
        data = super().clean()
        if not data.get("person") and not (data.get("name") or "").strip():
            raise forms.ValidationError(_("Choisissez un profil ou saisissez un nom."))
        if not data.get("person") and not data.get("site"):
            self.add_error("site", _("Choisissez la structure de ce·tte participant·e."))
        return data


class CommitmentForm(forms.ModelForm):
    class Meta:
        model = Commitment
        fields = ["undertaking", "due_date", "status"]
        widgets = {"undertaking": forms.Textarea(attrs={"rows": 2}),
                   "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class ReportForm(forms.Form):
    theme = forms.ChoiceField(label=_("Thème"), required=False,
                              choices=[("", _("Tous"))] + Theme.choices)
    region = forms.ChoiceField(label=_("Région"), required=False)
    start = forms.DateField(label=_("Depuis le"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Jusqu'au"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("Toutes"))] + list(
            Location.objects.filter(level="region", deleted=False).order_by("path")
            .values_list("code", "name"))


class RoundForm(forms.Form):
    relay_cell = forms.ModelChoiceField(label=_("Cellule de relais"), queryset=RelayCell.objects.none())
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    opened_on = forms.DateField(label=_("Ouvert le"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, cells=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relay_cell"].queryset = cells if cells is not None else RelayCell.objects.none()
