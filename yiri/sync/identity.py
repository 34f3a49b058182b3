"""This node's keys: an Ed25519 key that signs what it sends and an X25519 key that others
encrypt to (PyNaCl, i.e. libsodium: no cryptography of our own).

The keys live in the data folder (``node_keys``, owner-only like everything there), never in
the database, so a backup of the database carries no key. ``manage.py node init`` creates
them; a node without keys can neither exchange with another node nor read a bundle.

Other nodes are known by their two public keys (``Peer.sign_key``, ``Peer.box_key``, in
base64) and by a fingerprint of both, short enough to read aloud over the phone when an
operator confirms an enrolment.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey

KEY_FILE = "node_keys"


class IdentityError(Exception):
    """A missing or unreadable key; the message says what to do."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise IdentityError("Clé ou signature illisible.") from exc


def fingerprint(sign_key: str, box_key: str) -> str:
    """Four groups of four base32 characters (A–Z, 2–7: no 0 or 1 to mistake for O or I),
    80 bits of SHA-256 over both public keys: read aloud over the phone to confirm an
    enrolment."""
    digest = hashlib.sha256(b"yiri-node\n" + unb64(sign_key) + unb64(box_key)).digest()
    text = base64.b32encode(digest[:10]).decode()
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class Identity:
    signing: SigningKey
    box: PrivateKey

    @property
    def sign_key(self) -> str:
        return b64(bytes(self.signing.verify_key))

    @property
    def box_key(self) -> str:
        return b64(bytes(self.box.public_key))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sign_key, self.box_key)

    def sign(self, data: bytes) -> str:
        return b64(self.signing.sign(data).signature)

    def unseal(self, data: bytes) -> bytes:
        """Decrypt what another node encrypted to this node's key (``seal``)."""
        try:
            return SealedBox(self.box).decrypt(data)
        except CryptoError as exc:
            raise IdentityError("Contenu chiffré illisible : il n'est pas destiné à ce nœud "
                                "ou il a été modifié.") from exc


def key_path() -> Path:
    return Path(settings.DATA_DIR) / KEY_FILE


def create() -> Identity:
    """Generate this node's keys; refuses if it has some (they are its identity)."""
    path = key_path()
    identity = Identity(SigningKey.generate(), PrivateKey.generate())
    data = json.dumps({"signing": b64(bytes(identity.signing)), "box": b64(bytes(identity.box))})
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise IdentityError("Ce nœud a déjà ses clés : elles sont son identité, elles ne sont "
                            "pas remplacées.") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(data)
    load.cache_clear()
    return identity


@cache
def load() -> Identity:
    """This node's keys, or ``IdentityError`` saying to run ``manage.py node init``."""
    path = key_path()
    try:
        data = json.loads(path.read_text())
        return Identity(SigningKey(unb64(data["signing"])), PrivateKey(unb64(data["box"])))
    except FileNotFoundError:
        raise IdentityError("Ce nœud n'a pas encore de clés : lancez « manage.py node init ».") from None
    except (ValueError, KeyError, TypeError, CryptoError) as exc:
        raise IdentityError(f"Fichier de clés du nœud illisible ({path.name}) : restaurez-le "
                            "depuis sa copie de sécurité.") from exc


def has_keys() -> bool:
    return key_path().exists()


def verify(sign_key: str, data: bytes, signature: str) -> bool:
    """Whether ``signature`` is ``data`` signed by the node whose public key is ``sign_key``."""
    try:
        VerifyKey(unb64(sign_key)).verify(data, unb64(signature))
        return True
    except (BadSignatureError, IdentityError, ValueError, CryptoError):
        return False


def seal(box_key: str, data: bytes) -> bytes:
    """Encrypt ``data`` so that only the node whose public key is ``box_key`` reads it."""
    return SealedBox(PublicKey(unb64(box_key))).encrypt(data)
