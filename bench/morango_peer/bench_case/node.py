"""What the management commands of a node share."""

import json

from morango.models.certificates import Certificate, ScopeDefinition

from .models import PROFILE, SCOPE


def ensure_scope():
    """The one scope of the benchmark: a whole data set, read and write (``${dataset}``)."""
    ScopeDefinition.objects.get_or_create(
        id=SCOPE,
        defaults=dict(
            profile=PROFILE, version=1, primary_scope_param_key="dataset",
            description="Bench data set ${dataset}", read_filter_template="",
            write_filter_template="", read_write_filter_template="${dataset}",
        ),
    )


def dataset_id():
    """The data set this node holds: the id of its root certificate (its own or received)."""
    root = Certificate.objects.filter(parent=None, scope_definition_id=SCOPE).first()
    if root is None:
        raise SystemExit("this node holds no data set: run peer_init, or peer_pair")
    return root.id


def own_certificate(dataset):
    """A certificate of the data set this node holds the private key of, the root excepted
    when there is another (a paired node signs with the certificate it was given)."""
    owned = [c for c in Certificate.objects.filter(scope_definition_id=SCOPE).exclude(_private_key=None)
             if json.loads(c.scope_params).get("dataset") == dataset]
    if not owned:
        raise SystemExit("this node owns no certificate for the data set: run peer_pair")
    owned.sort(key=lambda c: c.parent_id is None)
    return owned[0]


def memory_kb():
    """VmRSS and VmHWM (peak) of this process, in kB, from /proc (Linux)."""
    out = {}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out
