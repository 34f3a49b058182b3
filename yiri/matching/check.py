"""The live check at registration and edit: likely duplicates shown before saving.

The child being typed is compared with every case of this node (``candidates.candidate_ids``
finds those whose names are near, unscoped; ``person.person_from_answers`` /
``person_from_record`` and ``scoring.score_pairs`` score them: the same scorer as the
batch), and what scores "likely" or "possible" is shown, best first:

- a case the worker **may see and whose names they read** is shown with its number, its
  name and the reason per field (``FieldVerdict.detail``), with a link to it;
- any other case is shown only as "a possible match is followed by <organisation>": no
  name, no number, no age, no field, no score — not even how many there are per
  organisation. The worker learns whom to contact, nothing of the child.

Saving after seeing the check is a choice the form records (``dup_seen``, a keyed hash of
the cases found, which tells nothing of them): the same findings are not asked about
again; new ones are. The pairs the worker saved anyway go to the data manager's queue
(``review.propose``, source "live"). Pairs decided "not the same" are never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.crypto import salted_hmac

from yiri.cases.access import field_limits, readable_sections, rights_for
from yiri.cases.identity import display_name, name_readable
from yiri.cases.models import Case
from yiri.formconfig.schema import get_schema

from .models import MatchBand
from .review import not_same_keys, pair_key, propose

SHOWN = (MatchBand.LIKELY, MatchBand.POSSIBLE)
CANDIDATES = 50  # names near enough, scored
LIMIT = 5  # findings shown


@dataclass
class Finding:
    case: Case
    score: object  # scoring.PairScore
    readable: bool  # the worker may see this case and read its names

    @property
    def name(self) -> str:
        return display_name(self.case) if self.readable else ""


@dataclass
class LiveCheck:
    findings: list[Finding] = field(default_factory=list)

    @property
    def shown(self) -> list[Finding]:
        return [f for f in self.findings if f.readable]

    @property
    def organisations(self) -> list[dict]:
        """The organisations following a possible match the worker may not see, each once,
        with how to reach them (their own contact details, from the network's directory)."""
        out, seen = [], set()
        for f in self.findings:
            if f.readable:
                continue
            agency = f.case.owning_agency
            key = agency.pk if agency is not None else None
            if key in seen:
                continue
            seen.add(key)
            out.append(organisation(agency))
        return out

    @property
    def fingerprint(self) -> str:
        ids = ",".join(sorted(str(f.case.pk) for f in self.findings))
        return salted_hmac("yiri.matching.live-check", ids).hexdigest()[:20] if ids else ""

    def __bool__(self) -> bool:
        return bool(self.findings)


def organisation(agency) -> dict:
    """An organisation as a worker contacts it: its name and its contact details."""
    if agency is None:
        return {"name": "", "contact": ""}
    name = agency.name + (f" ({agency.acronym})" if agency.acronym and agency.acronym != agency.name else "")
    contact = " — ".join(x for x in (agency.contact_name, agency.phone, agency.email) if x)
    return {"name": name, "contact": contact}


def _readable(user, case: Case) -> bool:
    if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
        return False
    rights = rights_for(user, case)
    if not rights.actions:
        return False
    schema = get_schema("case")
    return name_readable(readable_sections(user, schema, case), schema,
                         field_limits(user, "case"))


def live_check(user, answers: dict, *, exclude: Case | None = None,
               limit: int = LIMIT) -> LiveCheck:
    """The likely duplicates of a child typed as ``answers`` (a case's answers; for an
    edit, the case as it would be saved, ``exclude`` being the case itself)."""
    from .candidates import candidate_ids
    from .person import person_from_answers, person_from_record
    from .scoring import score_pairs

    given = str(answers.get("name_first") or "").strip()
    family = str(answers.get("name_last") or "").strip()
    other = " ".join(str(answers.get(k) or "") for k in ("name_middle", "name_nickname",
                                                          "name_other")).strip()
    if not (given or family):
        return LiveCheck()
    ids = [pk for pk in candidate_ids(given, family, other=other, limit=CANDIDATES)
           if exclude is None or pk != exclude.pk]
    if not ids:
        return LiveCheck()
    if exclude is not None:
        gone = not_same_keys(pair_key(exclude.pk, pk) for pk in ids)
        ids = [pk for pk in ids if pair_key(exclude.pk, pk) not in gone]
    schema = get_schema("case")
    cases = list(Case.objects.alive().filter(pk__in=ids).select_related("owning_agency"))
    if not cases:
        return LiveCheck()
    agency = getattr(user, "agency", None)
    me = person_from_answers("new" if exclude is None else str(exclude.pk), answers,
                             organisation=agency.code if agency is not None else "")
    scores = score_pairs(me, [person_from_record(c, schema) for c in cases])
    found = [(c, s) for c, s in zip(cases, scores, strict=True) if s.band in SHOWN]
    found.sort(key=lambda cs: (-cs[1].probability, -cs[1].weight, str(cs[0].pk)))
    return LiveCheck([Finding(c, s, _readable(user, c)) for c, s in found[:limit]])


def confirmed(check: LiveCheck, posted: str | None) -> bool:
    """Whether the worker already saw these findings (and chose to save)."""
    return not check or (bool(posted) and posted == check.fingerprint)


def queue_findings(user, record: Case, check: LiveCheck) -> int:
    """After a save the worker confirmed: each pair found goes to the review queue."""
    from .models import MatchSource

    n = 0
    for f in check.findings:
        if propose(record, f.case, f.score, source=MatchSource.LIVE, user=user) is not None:
            n += 1
    return n
