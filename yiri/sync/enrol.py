"""A node's identity, its enrolment under a parent and its revocation.

Enrolment is three files a person can carry (on a USB stick, by e-mail), each signed:

1. the **request**, written by the child (``manage.py node enrol-request``): its id, kind,
   name and public keys, signed with its own key; the child's operator reads its
   fingerprint to the parent's operator over the phone;
2. the **grant**, written by the parent once its operator typed that fingerprint as heard
   (``manage.py node enrol`` or the page "Nœuds"): the parent records the child, its keys
   and its scope (organisations and their regions) and gives it a code, unique in the
   network (the prefix of its readable record ids); the grant carries the parent's
   address and keys, signed with the parent's key; the parent's fingerprint is read back;
3. the child **joins** (``manage.py node join``): it checks the grant's signature, that it
   is addressed to this node and its keys, and that the parent's fingerprint is the one
   its operator heard; then records its parent and takes its code.

A parent **revokes** a child (``manage.py node revoke``): the child's exchanges are refused
from then on, and a ``NodeRevocation`` synchronised like configuration tells the nodes
above, which refuse it too (``is_revoked``).

Every refusal says in French what to do, and changes nothing.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import identity
from .models import NodeRevocation, Peer, PeerRole

NODE_FILE = "node.json"
KINDS = ("office", "relay", "national")
KIND_NAMES = {"office": "bureau", "relay": "cellule de relais", "national": "nœud national"}
RANK = {"office": 0, "relay": 1, "national": 2}
REQUEST = "yiri-enrol-request"
GRANT = "yiri-enrol-grant"
MAX_FILE = 64 * 1024
CODE_RE = re.compile(r"[A-Z0-9]{2,12}")


class EnrolError(Exception):
    """A refused step; the message (French) says what to do. Nothing was changed."""


# --------------------------------------------------------------------- identity


def node_file() -> Path:
    return Path(settings.DATA_DIR) / NODE_FILE


def node_info() -> dict:
    """This node's kind and name (``node.json``; the kind from the settings, which the
    environment may override)."""
    try:
        data = json.loads(node_file().read_text())
    except (FileNotFoundError, ValueError):
        data = {}
    return {"kind": settings.YIRI_NODE_KIND, "name": str(data.get("name") or "")}


def init_node(kind: str, name: str) -> identity.Identity:
    """Give this installation its keys and write its kind and name (``node init``)."""
    name = (name or "").strip()
    if kind not in KINDS:
        raise EnrolError("Type de nœud inconnu : choisissez office, relay ou national.")
    if not name or len(name) > 200:
        raise EnrolError("Donnez un nom au nœud (--name), 200 caractères au plus : il est "
                         "lu par les opérateurs des autres nœuds.")
    forced = os.environ.get("YIRI_NODE_KIND")
    if forced and forced != kind:
        raise EnrolError(f"YIRI_NODE_KIND vaut « {forced} » dans l'environnement : il "
                         f"l'emporterait sur --kind {kind}. Retirez-le ou donnez le même type.")
    if identity.has_keys() or node_file().exists():
        raise EnrolError("Ce nœud est déjà initialisé : ses clés sont son identité, elles ne "
                         "sont pas remplacées (manage.py node show).")
    ident = identity.create()
    fd = os.open(node_file(), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"kind": kind, "name": name}, fh, ensure_ascii=False)
    return ident


def load_identity() -> identity.Identity:
    try:
        return identity.load()
    except identity.IdentityError as exc:
        raise EnrolError(str(exc)) from exc


def describe() -> dict:
    """What ``node show`` prints."""
    from yiri.network.services import node_code

    ident = load_identity()
    info = node_info()
    return {"node_id": settings.YIRI_NODE_ID, "kind": info["kind"], "name": info["name"],
            "code": node_code(), "sign_key": ident.sign_key, "box_key": ident.box_key,
            "fingerprint": ident.fingerprint}


# ------------------------------------------------------------------ signed files


def _canonical(kind: str, body: dict) -> bytes:
    text = json.dumps({k: v for k, v in body.items() if k != "signature"}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return f"{kind}\n".encode() + text.encode()


def _write(kind: str, body: dict, ident: identity.Identity) -> str:
    body = {"type": kind, "v": 1, **body}
    body["signature"] = ident.sign(_canonical(kind, body))
    return json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _parse(text: str | bytes, kind: str, what: str) -> dict:
    if isinstance(text, bytes):
        if len(text) > MAX_FILE:
            raise EnrolError(f"Ce fichier est trop grand pour être {what}.")
        try:
            text = text.decode()
        except UnicodeDecodeError:
            raise EnrolError(f"Ce fichier n'est pas {what} (contenu illisible).") from None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("type") != kind:
        raise EnrolError(f"Ce fichier n'est pas {what} de Yiri : vérifiez que vous avez pris "
                         "le bon fichier.")
    if data.get("v") != 1:
        raise EnrolError(f"Version de {what} inconnue : mettez Yiri à jour.")
    return data


def _keys_ok(sign_key, box_key) -> bool:
    try:
        return (isinstance(sign_key, str) and isinstance(box_key, str)
                and len(identity.unb64(sign_key)) == 32 and len(identity.unb64(box_key)) == 32)
    except identity.IdentityError:
        return False


def _text(value, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def same_fingerprint(typed: str, expected: str) -> bool:
    def norm(x: str) -> str:
        return re.sub(r"[\s\-]", "", (x or "")).upper()

    return bool(norm(typed)) and norm(typed) == norm(expected)


# ----------------------------------------------------------------- 1. request


@dataclass(frozen=True)
class EnrolRequest:
    node_id: str
    kind: str
    name: str
    sign_key: str
    box_key: str
    url: str
    created: str
    text: str

    @property
    def fingerprint(self) -> str:
        return identity.fingerprint(self.sign_key, self.box_key)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)


def make_request(url: str = "") -> str:
    """The child's enrolment request, signed with its own key."""
    ident = load_identity()
    info = node_info()
    if not info["name"]:
        raise EnrolError("Ce nœud n'a pas de nom : lancez d'abord « manage.py node init ».")
    if info["kind"] == "national":
        raise EnrolError("Le nœud national n'a pas de nœud parent : il n'est pas enrôlé.")
    return _write(REQUEST, {
        "node_id": settings.YIRI_NODE_ID, "kind": info["kind"], "name": info["name"],
        "sign_key": ident.sign_key, "box_key": ident.box_key, "url": url or "",
        "created": timezone.now().isoformat(timespec="seconds")}, ident)


def read_request(text: str | bytes) -> EnrolRequest:
    """A request whose self-signature holds, or ``EnrolError``."""
    what = "une demande d'enrôlement"
    data = _parse(text, REQUEST, what)
    if not (_text(data.get("node_id"), 64) and data.get("kind") in KINDS
            and _text(data.get("name"), 200) and _keys_ok(data.get("sign_key"), data.get("box_key"))
            and isinstance(data.get("url", ""), str) and isinstance(data.get("created", ""), str)):
        raise EnrolError("Demande d'enrôlement incomplète ou mal formée : demandez au nœud "
                         "d'en écrire une nouvelle (manage.py node enrol-request).")
    if not identity.verify(data["sign_key"], _canonical(REQUEST, data), data.get("signature", "")):
        raise EnrolError("Demande d'enrôlement invalide : sa signature ne correspond pas à son "
                         "contenu (fichier modifié ?). Demandez-en une nouvelle au nœud.")
    return EnrolRequest(data["node_id"], data["kind"], data["name"], data["sign_key"],
                        data["box_key"], data.get("url", ""), data.get("created", ""),
                        text if isinstance(text, str) else text.decode())


# ------------------------------------------------------------------- 2. grant


def grantable_organisations(user=None):
    """The organisations this node may grant a child: its own scope (all on the national
    node), and for a relay-cell data manager only the cell's member organisations."""
    from yiri.network.models import Agency

    from . import scope

    qs = Agency.objects.filter(deleted=False)
    mine = scope.local_scope()
    if mine is not None:
        qs = qs.filter(pk__in=mine)
    if user is not None and not user.is_superuser and getattr(user, "relay_cell_id", None):
        qs = qs.filter(pk__in=user.relay_cell.members.values_list("pk", flat=True))
    return qs.order_by("code")


def next_code() -> str:
    """This node's code and the next free two-digit suffix: unique in the network because
    every parent's code is (the national node's comes from its installation)."""
    from yiri.network.services import node_code

    mine = node_code()
    taken = set(Peer.objects.exclude(code="").values_list("code", flat=True))
    for n in range(1, 100):
        code = f"{mine}{n:02d}"
        if code not in taken:
            return code
    raise EnrolError("Plus de code libre pour un nœud enfant (99 déjà attribués).")


def enrol(request_text: str | bytes, organisations: list[str], fingerprint: str, *,
          url: str = "", user=None) -> tuple[Peer, str]:
    """Accept a child: record it and return (its peer, the grant file's text)."""
    from yiri.network.models import Agency

    req = read_request(request_text)
    if not fingerprint:
        raise EnrolError(f"Empreinte de la demande : {req.fingerprint}. Faites-la lire au "
                         "téléphone par l'opérateur du nœud qui demande ; si elle est la même, "
                         f"relancez avec --fingerprint {req.fingerprint}.")
    if not same_fingerprint(fingerprint, req.fingerprint):
        raise EnrolError("L'empreinte saisie ne correspond pas à celle de la demande : ce n'est "
                         "peut-être pas le nœud qui vous a appelé. N'acceptez pas ce fichier ; "
                         "demandez-en un nouveau et relisez l'empreinte au téléphone.")
    ident = load_identity()
    mine = settings.YIRI_NODE_KIND
    if req.node_id == settings.YIRI_NODE_ID:
        raise EnrolError("Cette demande vient de ce nœud lui-même : il ne s'enrôle pas sous lui.")
    if RANK[req.kind] >= RANK[mine]:
        raise EnrolError(f"Un nœud de type {req.kind_name} ne peut pas être enrôlé sous un "
                         f"nœud de type {KIND_NAMES[mine]} (bureau → cellule de relais → "
                         "nœud national).")
    if mine != "national" and not Peer.objects.filter(role=PeerRole.PARENT).exists():
        raise EnrolError("Ce nœud n'a pas encore rejoint son nœud parent : sa portée n'est pas "
                         "connue, il n'enrôle personne avant (manage.py node join).")
    codes = sorted({c.strip().upper() for c in organisations if c and c.strip()})
    if not codes:
        raise EnrolError("Indiquez les organisations du nœud enfant (sa portée).")
    known = {a.code: a for a in Agency.objects.filter(code__in=codes, deleted=False)}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise EnrolError(f"Organisation inconnue : {', '.join(unknown)}. Vérifiez les codes.")
    allowed = set(grantable_organisations(user).values_list("code", flat=True))
    outside = [c for c in codes if c not in allowed]
    if outside:
        who = ("de votre cellule de relais" if user is not None and getattr(user, "relay_cell_id", None)
               else "de ce nœud")
        raise EnrolError(f"Organisation hors de la portée {who} : {', '.join(outside)}. "
                         "Un nœud ne donne à ses enfants que ce qu'il tient lui-même.")
    if url and not re.match(r"https?://", url):
        raise EnrolError("Adresse du nœud parent invalide : elle commence par https:// "
                         "(ou http:// pour un essai).")
    places = sorted(set(Agency.regions.through.objects.filter(
        agency__in=known.values()).values_list("location__code", flat=True)))
    with transaction.atomic():
        peer = Peer.objects.select_for_update().filter(node_id=req.node_id).first()
        if peer is not None:
            if peer.role != PeerRole.CHILD:
                raise EnrolError("Ce nœud est le nœud parent de celui-ci : il ne peut pas en "
                                 "être l'enfant.")
            if peer.revoked:
                raise EnrolError("Ce nœud a été révoqué : il n'est pas enrôlé à nouveau. Il "
                                 "lui faut une nouvelle installation (nouvel identifiant).")
            if (peer.sign_key, peer.box_key) != (req.sign_key, req.box_key) and peer.sign_key:
                raise EnrolError("Un nœud de cet identifiant est déjà enrôlé avec d'autres clés : "
                                 "révoquez-le d'abord s'il a été remplacé.")
        else:
            peer = Peer(node_id=req.node_id, role=PeerRole.CHILD)
        code = peer.code or next_code()
        peer.name, peer.kind = req.name, req.kind
        peer.code = code
        peer.url = req.url if req.url.startswith(("http://", "https://")) else ""
        peer.sign_key, peer.box_key = req.sign_key, req.box_key
        peer.organisations, peer.places = codes, places
        peer.enrolled_at = timezone.now()
        peer.save()
    info = node_info()
    grant = _write(GRANT, {
        "parent": {"node_id": settings.YIRI_NODE_ID, "kind": mine, "name": info["name"],
                   "url": url or "", "sign_key": ident.sign_key, "box_key": ident.box_key},
        "child": {"node_id": req.node_id, "kind": req.kind, "name": req.name, "code": code,
                  "sign_key": req.sign_key, "box_key": req.box_key},
        "organisations": codes, "places": places,
        "created": timezone.now().isoformat(timespec="seconds")}, ident)
    return peer, grant


# -------------------------------------------------------------------- 3. join


def read_grant(text: str | bytes) -> dict:
    what = "un accord d'enrôlement"
    data = _parse(text, GRANT, what)
    parent, child = data.get("parent"), data.get("child")
    ok = (isinstance(parent, dict) and isinstance(child, dict)
          and _text(parent.get("node_id"), 64) and parent.get("kind") in KINDS
          and isinstance(parent.get("name", ""), str) and isinstance(parent.get("url", ""), str)
          and _keys_ok(parent.get("sign_key"), parent.get("box_key"))
          and _text(child.get("node_id"), 64) and isinstance(child.get("code"), str)
          and isinstance(data.get("organisations"), list) and isinstance(data.get("places"), list)
          and all(isinstance(c, str) for c in data["organisations"] + data["places"]))
    if not ok:
        raise EnrolError("Accord d'enrôlement incomplet ou mal formé : demandez-en un nouveau "
                         "au nœud parent.")
    if not identity.verify(parent["sign_key"], _canonical(GRANT, data), data.get("signature", "")):
        raise EnrolError("Accord d'enrôlement invalide : sa signature ne correspond pas à son "
                         "contenu (fichier modifié ?). Demandez-en un nouveau au nœud parent.")
    data["fingerprint"] = identity.fingerprint(parent["sign_key"], parent["box_key"])
    return data


def join(grant_text: str | bytes, fingerprint: str, *, url: str = "") -> Peer:
    """The child records its parent from the grant (``node join``)."""
    from yiri.network.services import set_node_code

    grant = read_grant(grant_text)
    parent, child = grant["parent"], grant["child"]
    ident = load_identity()
    if child["node_id"] != settings.YIRI_NODE_ID:
        raise EnrolError("Cet accord d'enrôlement est destiné à un autre nœud "
                         f"(« {child.get('name') or child['node_id']} ») : il n'est pas pour "
                         "celui-ci. Vérifiez le fichier.")
    if (child.get("sign_key"), child.get("box_key")) != (ident.sign_key, ident.box_key):
        raise EnrolError("Cet accord d'enrôlement a été établi pour d'autres clés que celles de "
                         "ce nœud : demandez-en un nouveau à partir d'une nouvelle demande.")
    if not fingerprint:
        raise EnrolError(f"Empreinte du nœud parent : {grant['fingerprint']}. Faites-la lire au "
                         "téléphone par l'opérateur du nœud parent ; si elle est la même, relancez "
                         f"avec --fingerprint {grant['fingerprint']}.")
    if not same_fingerprint(fingerprint, grant["fingerprint"]):
        raise EnrolError("L'empreinte saisie ne correspond pas à celle du nœud parent dans "
                         "l'accord : ce fichier ne vient peut-être pas de lui. Ne le rejoignez "
                         "pas ; appelez l'opérateur du nœud parent.")
    mine = settings.YIRI_NODE_KIND
    if RANK[parent["kind"]] <= RANK[mine]:
        raise EnrolError(f"Un nœud de type {KIND_NAMES[mine]} ne rejoint pas un nœud de type "
                         f"{KIND_NAMES[parent['kind']]}.")
    code = child["code"]
    if not CODE_RE.fullmatch(code):
        raise EnrolError("Code de nœud invalide dans l'accord : demandez-en un nouveau.")
    address = url or parent.get("url") or ""
    if not re.match(r"https?://", address):
        raise EnrolError("L'accord ne donne pas l'adresse du nœud parent : relancez avec "
                         "--url https://… (l'adresse que son opérateur vous donne).")
    with transaction.atomic():
        existing = Peer.objects.select_for_update().filter(role=PeerRole.PARENT).first()
        if existing is not None and existing.node_id == parent["node_id"]:
            raise EnrolError(f"Ce nœud a déjà rejoint « {existing.name or existing.node_id} » : "
                             "rien à faire.")
        if existing is not None:
            raise EnrolError(f"Ce nœud a déjà un nœud parent (« {existing.name or existing.node_id} ») : "
                             "un nœud n'a qu'un parent.")
        if Peer.objects.filter(node_id=parent["node_id"]).exists():
            raise EnrolError("Ce nœud parent est enregistré ici comme nœud enfant : refusé.")
        try:
            set_node_code(code)
        except ValueError:
            raise EnrolError(f"Le code {code} est déjà celui d'un autre nœud connu ici : "
                             "demandez un nouvel accord au nœud parent.") from None
        return Peer.objects.create(
            node_id=parent["node_id"], role=PeerRole.PARENT, name=parent.get("name", ""),
            kind=parent["kind"],
            url=address, sign_key=parent["sign_key"], box_key=parent["box_key"],
            organisations=sorted(set(grant["organisations"])), places=sorted(set(grant["places"])),
            code="", enrolled_at=timezone.now())


# -------------------------------------------------------------------- revoke


def find_child(ref: str) -> Peer:
    ref = (ref or "").strip()
    found = list(Peer.objects.filter(role=PeerRole.CHILD, node_id=ref)) or list(
        Peer.objects.filter(role=PeerRole.CHILD, code=ref.upper())) or list(
        Peer.objects.filter(role=PeerRole.CHILD, name=ref))
    if not found:
        raise EnrolError(f"Aucun nœud enfant « {ref} » : donnez son identifiant, son code ou son "
                         "nom (manage.py sync status les liste).")
    if len(found) > 1:
        raise EnrolError(f"Plusieurs nœuds enfants s'appellent « {ref} » : donnez son code ou "
                         "son identifiant.")
    return found[0]


def revoke(ref: str, reason: str = "", user=None) -> Peer:
    """Revoke a child: refused from its next exchange on, here and, once the revocation
    travelled, on every node above."""
    peer = find_child(ref)
    if peer.revoked:
        raise EnrolError(f"Le nœud « {peer} » est déjà révoqué.")
    with transaction.atomic():
        Peer.objects.filter(pk=peer.pk).update(revoked=True)
        revocation = NodeRevocation(node_id=peer.node_id, code=peer.code, name=peer.name,
                                    revoked_at=timezone.now(), reason=(reason or "").strip())
        if user is not None:
            revocation._sync_author = user
        revocation.save()
    peer.refresh_from_db()
    return peer


def is_revoked(node_id: str) -> bool:
    """Whether ``node_id`` was revoked, here (its parent) or on any node that told this one
    through synchronisation: its exchanges and bundles are refused."""
    if not node_id:
        return False
    return (Peer.objects.filter(node_id=node_id, revoked=True).exists()
            or NodeRevocation.objects.filter(node_id=node_id, deleted=False).exists())
