"""The case's workflow stage, computed from its status, current stage and answers.

Follows the CPIMS+ order: new → reopened → assessment → case plan (when the case plan
date is set) → the response type of the latest service not yet implemented (care plan,
action plan, service provision) → services implemented → closed.
"""

from __future__ import annotations

from yiri.cases.models import CaseStatus, WorkflowStage

STAGE_ORDER: dict[str, int] = {stage.value: i for i, stage in enumerate(WorkflowStage)}
RESPONSE_STAGES = (WorkflowStage.CARE_PLAN, WorkflowStage.ACTION_PLAN,
                   WorkflowStage.SERVICE_PROVISION)


def live_rows(answers: dict, subform: str) -> list[dict]:
    """The rows of a subform that are not marked deleted."""
    return [r for r in answers.get(subform) or [] if isinstance(r, dict) and not r.get("_deleted")]


def compute_stage(case, answers: dict) -> str:
    """The stage ``case`` should be at given ``answers`` (pure: reads, never writes).

    - a closed case is "closed";
    - the latest service row (in entry order) not yet implemented gives its response
      type, if it has one;
    - a reopened case stays "reopened" until new work (a pending service with a response
      type, or an assessment request) moves it on;
    - services all implemented → "services_implemented";
    - a case plan date → "case_plan";
    - past "new" (assessment requested, or any later stage) → "assessment"; else "new".
    """
    if case.status == CaseStatus.CLOSED:
        return WorkflowStage.CLOSED
    current = case.workflow_stage
    services = live_rows(answers, "services")
    pending = [r for r in services if not r.get("implemented")]
    if pending and pending[-1].get("response_type") in RESPONSE_STAGES:
        return pending[-1]["response_type"]
    if current in (WorkflowStage.REOPENED, WorkflowStage.CLOSED):
        return WorkflowStage.REOPENED
    if services and not pending:
        return WorkflowStage.SERVICES_IMPLEMENTED
    if answers.get("case_plan_date"):
        return WorkflowStage.CASE_PLAN
    if current == WorkflowStage.NEW and not answers.get("assessment_requested_on"):
        return WorkflowStage.NEW
    return WorkflowStage.ASSESSMENT
