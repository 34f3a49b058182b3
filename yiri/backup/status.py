"""The backups shown on the sync status page: for this node and each child node, the last
backup that was verified (``backup verify``, or ``backup`` which verifies what it wrote)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import BackupReport

STALE_DAYS = 7


def age(days: int) -> str:
    if days <= 0:
        return _("aujourd'hui")
    return ngettext("il y a %(n)d jour", "il y a %(n)d jours", days) % {"n": days}


def last_verified(node_ids) -> dict[str, BackupReport]:
    out: dict[str, BackupReport] = {}
    for report in (BackupReport.objects.filter(node_id__in=list(node_ids), ok=True,
                                               verified_at__isnull=False, deleted=False)
                   .order_by("node_id", "-made_at")):
        out.setdefault(report.node_id, report)
    return out


def rows(peers, names: dict[str, str]) -> list[dict]:
    """``[{name, report, age, stale}]``: this node first, then its child nodes."""
    from yiri.sync.models import PeerRole

    nodes = [(settings.YIRI_NODE_ID, _("Ce nœud"))] + [
        (p.node_id, p.name or names.get(p.node_id) or p.node_id)
        for p in peers if p.role == PeerRole.CHILD]
    found = last_verified(n for n, _name in nodes)
    from .children import held

    kept = held(n for n, _name in nodes[1:])  # copies of the children's backups kept here
    now = timezone.now()
    out = []
    for node_id, name in nodes:
        report = found.get(node_id)
        days = (now - report.made_at).days if report else None
        out.append({"name": name, "report": report, "age": age(days) if report else "",
                    "stale": report is None or days > STALE_DAYS, "held": kept.get(node_id)})
    return out
