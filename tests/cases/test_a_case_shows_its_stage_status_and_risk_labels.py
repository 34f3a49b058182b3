"""A case's stage, status and risk labels (its own quick ``get_…_display``) are the ones
Django's choices give, in French and in English, and an unknown value shows as itself."""

import pytest
from django.db.models import Model
from django.utils import translation

from yiri.cases.models import Case, CaseStatus, RiskLevel, WorkflowStage

FIELDS = {"status": CaseStatus, "workflow_stage": WorkflowStage, "risk_level": RiskLevel}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("field", sorted(FIELDS))
def test_every_label_is_the_one_django_gives(field, language):
    with translation.override(language):
        for value in [*FIELDS[field].values, "", "inconnu"]:
            case = Case(**{field: value})
            ours = getattr(case, f"get_{field}_display")()
            django = Model._get_FIELD_display(case, Case._meta.get_field(field))
            assert type(ours) is str and ours == django  # a str (spreadsheets take no proxy)
