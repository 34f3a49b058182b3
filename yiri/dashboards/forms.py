"""The dashboard's and the indicators' filters: codes, ids and dates only (no names in URLs)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yiri.network.models import Agency, Location, LocationLevel

from .queries import Filters


class _DateInput(forms.DateInput):
    input_type = "date"


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("Enregistrés à partir du"), required=False, widget=_DateInput)
    date_to = forms.DateField(label=_("jusqu'au"), required=False, widget=_DateInput)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("La date de début est après la date de fin."))
        return data


class DashboardForm(PeriodForm):
    region = forms.ChoiceField(label=_("Région"), required=False)
    agency = forms.ChoiceField(label=_("Organisation"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        places = Location.objects.filter(deleted=False, level__in=[LocationLevel.COUNTRY, LocationLevel.REGION]) \
            .order_by("path").values_list("code", "name", "level")
        self.fields["region"].choices = [("", _("Toutes"))] + [
            (code, name if level == LocationLevel.COUNTRY else f"· {name}") for code, name, level in places]
        self.fields["agency"].choices = [("", _("Toutes"))] + [
            (str(pk), acronym or name) for pk, acronym, name in
            Agency.objects.filter(deleted=False).order_by("name").values_list("pk", "acronym", "name")[:300]]

    def filters(self) -> Filters:
        if not self.is_bound or not self.is_valid():
            return Filters()
        d = self.cleaned_data
        region = Location.objects.filter(code=d["region"], deleted=False).first() if d.get("region") else None
        agency = Agency.objects.filter(pk=d["agency"], deleted=False).first() if d.get("agency") else None
        return Filters(d.get("date_from"), d.get("date_to"), region, agency)


class IndicatorForm(PeriodForm):
    by = forms.ChoiceField(label=_("Par"), required=False,
                           choices=[("month", _("mois")), ("quarter", _("trimestre"))])
