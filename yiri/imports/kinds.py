"""What each kind of import reads and writes: the fields a column may be mapped to, the
check of one row (the same validation as the forms), and the write.

- **cases**: the fields of the case form (``formconfig``), checked by
  ``validate_answers`` as a registration is, written by ``cases.services.
  bulk_create_records`` (sealed identifying answers, blind indexes, change log, one audit
  row per chunk). A row's key is a keyed hash (``row_key``) of the organisation and of the
  row's external id if a column is mapped to it, else of all its cleaned answers.
- **locations**, **organisations**, **users**: their code (or user name) is their key; a
  code already present is skipped. Written one by one through ``sync.log.save_logged``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import FormSchema, get_schema

from .models import ImportKind
from .reading import as_text

EXTERNAL_ID = "@external_id"
WRITE_CHUNK = 5000

_QUOTED = re.compile(r"«[^»]*»")


def fold(text: str) -> str:
    """Case, accents and punctuation left out: how a header or a label is compared."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^a-z0-9]+", "", text)


@dataclass
class Target:
    code: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass
class Checked:
    """One row after its check: ``values`` cleaned, ``key`` what makes it the same row
    again, ``errors`` ``{target code: [messages]}``."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


def row_key(kind: str, owner: str, material: Any) -> str:
    """A keyed hash of a row's identifying content under the search index key: equal rows
    give equal keys, and the database holds nothing readable (``cases.blind_index``)."""
    from yiri.cases.blind_index import ring

    key = ring().keys[0]
    message = b"yiri/import-row/v1\x00" + f"{kind}\x00{owner}\x00".encode() + json.dumps(
        material, sort_keys=True, ensure_ascii=False, default=str).encode()
    return key.id + hmac.new(key.secret, message, hashlib.sha256).hexdigest()[:56]


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", value.strip())
        if m:
            try:
                return dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
            except ValueError:
                return value
    return value


class Kind:
    code: str
    right: tuple[str, str]  # (action, record type or "system")

    def may_import(self, user) -> bool:
        return bool(user and user.is_authenticated and user.can(*self.right))

    def targets(self) -> list[Target]:
        raise NotImplementedError

    def start(self, user, owner: str) -> None:
        """Read what the checks of every row need (once per file)."""

    def check(self, line: int, values: dict[str, Any]) -> Checked:
        raise NotImplementedError

    def known(self, keys: list[str]) -> set[str]:
        """The keys among ``keys`` already in the database (rows to skip)."""
        raise NotImplementedError

    def write(self, user, rows: list[Checked], batch,
              progress: Callable[[int], None]) -> None:
        raise NotImplementedError

    def likely_duplicates(self, user, rows: Iterable[Checked]) -> list[dict]:
        return []


# ------------------------------------------------------------------------------ cases

@contextmanager
def roomy_sqlite_cache(kib: int = 131072):
    """On SQLite, a page cache of ``kib`` KiB while a large import writes (the default 2 MB
    makes every insert into the search-token indexes read pages back from disk); the
    connection's own size is put back after."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size={int(before)}")


class CaseKind(Kind):
    code = ImportKind.CASE
    right = ("import", "case")

    def __init__(self) -> None:
        self.schema: FormSchema = get_schema("case")

    def fields(self):
        for section in self.schema.main_sections:
            for f in section.fields:
                if f.type not in (FieldType.SUBFORM, FieldType.ATTACHMENT):
                    yield f

    def targets(self) -> list[Target]:
        out = [Target(EXTERNAL_ID, _("Identifiant dans votre fichier (pour les réimports)"),
                      aliases=("id", "identifiant", "numero", "no", "ref", "reference"))]
        # A header is recognised by the field's label, also without what is in brackets
        # ("Prénom" for "Prénom(s)", "Âge" for "Âge (en années)").
        out += [Target(f.code, f.label, f.required,
                       (f.label_fr, f.label_en, re.sub(r"\(.*?\)", "", f.label_fr),
                        re.sub(r"\(.*?\)", "", f.label_en or "")))
                for f in self.fields()]
        return out

    def start(self, user, owner: str) -> None:
        from yiri.network.models import Location

        self.user, self.owner = user, owner
        self.required_sections = {s.code for s in self.schema.main_sections}
        self.choices: dict[str, dict[str, str]] = {}
        for code, lookup in self.schema.lookups.items():
            table: dict[str, str] = {}
            for value, (fr, en) in lookup.values.items():
                for name in (en, fr, value):
                    if name:
                        table[fold(name)] = value
            self.choices[code] = table
        # A place is given by its code, or by its name when only one place bears it.
        self.places: dict[str, str | None] = {}
        for code, name in Location.objects.filter(deleted=False).values_list("code", "name"):
            folded = fold(name)
            self.places[folded] = None if folded in self.places else code
        self.codes = set(Location.objects.filter(deleted=False).values_list("code", flat=True))
        for code in self.codes:
            self.places[fold(code)] = code

    def _choice(self, lookup: str, value: Any) -> Any:
        """A choice given by its code or its label in French or English, or by the start
        of one when only one choice starts so ("F" for "Féminin")."""
        table = self.choices.get(lookup, {})
        folded = fold(value)
        if folded in table:
            return table[folded]
        if folded:
            codes = {code for name, code in table.items() if name.startswith(folded)}
            if len(codes) == 1:
                table[folded] = codes.pop()
                return table[folded]
        return as_text(value)

    def _convert(self, f, value: Any) -> Any:
        if value is None:
            return None
        if f.type == FieldType.SELECT:
            return self._choice(f.lookup or "", value)
        if f.type == FieldType.MULTISELECT:
            parts = value if isinstance(value, list) else re.split(r"[;,|]", str(value))
            return [self._choice(f.lookup or "", p) for p in parts if str(p).strip()]
        if f.type == FieldType.DATE:
            return _date(value)
        if f.type == FieldType.LOCATION:
            return self.places.get(fold(value)) or as_text(value)
        if f.type in (FieldType.TEXT, FieldType.TEXTAREA):
            return as_text(value)
        return value

    def check(self, line: int, values: dict[str, Any]) -> Checked:
        from yiri.formconfig.validation import AnswersInvalid, validate_answers

        answers = {}
        for code, value in values.items():
            if code != EXTERNAL_ID and value is not None:
                answers[code] = self._convert(self.schema.fields[code], value)
        row = Checked(line)
        try:
            row.values = validate_answers(self.schema, answers, places=self.codes,
                                          check_required_sections=self.required_sections)
        except AnswersInvalid as exc:
            # The form's messages quote the value refused; a batch's errors are stored in
            # clear, and a column mapped to the wrong field may hold a child's name.
            row.errors = {k.split(".")[0]: [_QUOTED.sub("« … »", str(m)) for m in v]
                          for k, v in exc.errors.items()}
            return row
        external = as_text(values.get(EXTERNAL_ID))
        row.key = row_key(self.code, self.owner,
                          {"id": external} if external else {"answers": row.values})
        return row

    def known(self, keys: list[str]) -> set[str]:
        from .models import ImportedRow

        found: set[str] = set()
        for start in range(0, len(keys), 500):
            found.update(ImportedRow.objects.filter(
                kind=self.code, key__in=keys[start:start + 500]).values_list("key", flat=True))
        return found

    def likely_duplicates(self, user, rows: Iterable[Checked]) -> list[dict]:
        """The rows the live duplicate check (``matching.check``) finds a likely match
        for among the cases already registered: ``{"line", "count", "shown"}`` (the
        numbers of the cases ``user`` may see; the others are only counted)."""
        from yiri.cases.models import Case
        from yiri.matching.check import live_check

        if not Case.objects.alive().exists():
            return []
        out = []
        for row in rows:
            check = live_check(user, row.values)
            if check:
                out.append({"line": row.line, "count": len(check.findings),
                            "shown": [f.case.short_id for f in check.shown]})
        return out

    def write(self, user, rows: list[Checked], batch, progress: Callable[[int], None]) -> None:
        from yiri.network.models import Location

        flagged = {d["line"] for d in batch.duplicates}
        # Every place once (``derive_columns`` would look each up on first use).
        places = {loc.code: loc for loc in Location.objects.filter(deleted=False)
                  .only("id", "code", "path")}
        with roomy_sqlite_cache():
            self._write(user, rows, batch, progress, flagged, places)

    def _write(self, user, rows, batch, progress, flagged, places) -> None:
        from yiri.cases.services import bulk_create_records
        from yiri.matching.check import live_check, queue_findings

        from .models import ImportedRow

        for start in range(0, len(rows), WRITE_CHUNK):
            chunk = rows[start:start + WRITE_CHUNK]
            records = bulk_create_records(user, "case", [r.values for r in chunk],
                                          validate=False, action="import",
                                          audit_details={"batch": str(batch.pk)},
                                          location_cache=places)
            ImportedRow.objects.bulk_create(
                [ImportedRow(kind=self.code, key=r.key, object_id=rec.pk, batch=batch)
                 for r, rec in zip(chunk, records, strict=True)], batch_size=2000)
            for r, rec in zip(chunk, records, strict=True):
                if r.line in flagged:
                    # The pairs go to the data manager's review queue, as after a
                    # registration saved in spite of the live check.
                    queue_findings(user, rec, live_check(user, r.values, exclude=rec))
            progress(start + len(chunk))


# ------------------------------------------------------------------ network and users

def _required(row: Checked, values: dict, code: str, label: str) -> str | None:
    value = as_text(values.get(code))
    if value is None:
        row.errors.setdefault(code, []).append(_("Ce champ est obligatoire : %(label)s.")
                                               % {"label": label})
    return value


def _max(row: Checked, code: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        row.errors.setdefault(code, []).append(
            _("Texte trop long : %(n)d caractères au plus.") % {"n": limit})


class _ByCode(Kind):
    """Rows whose key is a code (or user name): one already present is skipped, one
    repeated in the file is refused."""

    key_field = "code"

    def start(self, user, owner: str) -> None:
        self.user = user
        self.seen: dict[str, int] = {}

    def _key(self, row: Checked, value: str | None) -> None:
        if value is None:
            return
        folded = value.casefold()
        if folded in self.seen:
            row.errors.setdefault(self.key_field, []).append(
                _("« %(code)s » figure déjà à la ligne %(line)d du fichier.")
                % {"code": value[:40], "line": self.seen[folded]})
        else:
            self.seen[folded] = row.line
        row.key = value


class LocationKind(_ByCode):
    code = ImportKind.LOCATION
    right = ("manage_network", "system")

    def targets(self) -> list[Target]:
        return [Target("code", _("Code"), True), Target("name", _("Nom"), True, ("nom",)),
                Target("level", _("Niveau"), True, ("niveau", "type")),
                Target("parent", _("Code du lieu parent"), False, ("parent", "codeparent"))]

    def start(self, user, owner: str) -> None:
        from yiri.network.models import LEVEL_ORDER, Location, LocationLevel

        super().start(user, owner)
        self.levels = {fold(c.value): c.value for c in LocationLevel}
        self.levels.update({fold(c.label): c.value for c in LocationLevel})
        self.order = LEVEL_ORDER
        self.stored = dict(Location.objects.values_list("code", "level"))
        self.in_file: dict[str, str] = {}

    def check(self, line: int, values: dict[str, Any]) -> Checked:
        row = Checked(line)
        code = _required(row, values, "code", _("Code"))
        name = _required(row, values, "name", _("Nom"))
        raw_level = _required(row, values, "level", _("Niveau"))
        parent = as_text(values.get("parent"))
        _max(row, "code", code, 40)
        _max(row, "name", name, 120)
        if code is not None and not re.fullmatch(r"[A-Za-z0-9_-]+", code):
            row.errors.setdefault("code", []).append(
                _("Un code ne contient que des lettres sans accent, des chiffres, - et _."))
        level = self.levels.get(fold(raw_level)) if raw_level else None
        if raw_level and level is None:
            row.errors.setdefault("level", []).append(
                _("Niveau inconnu. Niveaux : %(levels)s.")
                % {"levels": ", ".join(self.order)})
        if parent is not None:
            parent_level = self.in_file.get(parent) or self.stored.get(parent)
            if parent_level is None:
                row.errors.setdefault("parent", []).append(
                    _("Lieu parent inconnu : il doit exister déjà ou figurer plus haut dans le "
                      "fichier."))
            elif level and self.order.index(parent_level) >= self.order.index(level):
                row.errors.setdefault("parent", []).append(
                    _("Le lieu parent doit être d'un niveau plus large."))
        elif level and level != self.order[0]:
            row.errors.setdefault("parent", []).append(
                _("Seul un pays peut être sans lieu parent."))
        self._key(row, code)
        if code is not None and level:
            self.in_file[code] = level
        row.values = {"code": code, "name": name, "level": level, "parent": parent}
        return row

    def known(self, keys: list[str]) -> set[str]:
        return {k for k in keys if k in self.stored}

    def write(self, user, rows: list[Checked], batch, progress) -> None:
        from yiri.network.models import Location
        from yiri.sync.log import save_logged

        by_code = {loc.code: loc for loc in Location.objects.filter(
            code__in={r.values["parent"] for r in rows if r.values["parent"]})}
        for n, r in enumerate(rows, start=1):
            v = r.values
            loc = Location(id=uuid.uuid4(), code=v["code"], name=v["name"], level=v["level"],
                           parent=by_code.get(v["parent"]) if v["parent"] else None)
            save_logged(user, loc, created=True)
            by_code[loc.code] = loc
            if n % 200 == 0:
                progress(n)
        progress(len(rows))


class OrganisationKind(_ByCode):
    code = ImportKind.ORGANISATION
    right = ("manage_network", "system")

    def targets(self) -> list[Target]:
        return [Target("code", _("Code"), True), Target("name", _("Nom"), True, ("nom",)),
                Target("acronym", _("Sigle"), False, ("sigle",)),
                Target("country", _("Pays"), True, ("pays",)),
                Target("regions", _("Régions d'intervention (codes séparés par ;)"), False,
                       ("regions",)),
                Target("contact_name", _("Personne de contact"), False, ("contact",)),
                Target("phone", _("Téléphone"), False, ("telephone", "tel")),
                Target("email", _("Courriel"), False, ("courriel", "email", "mail")),
                Target("address", _("Adresse"), False, ("adresse",))]

    def start(self, user, owner: str) -> None:
        from yiri.network.models import Agency, Location

        super().start(user, owner)
        self.stored = set(Agency.objects.values_list("code", flat=True))
        self.countries: dict[str, str] = {}
        self.regions: dict[str, str] = {}
        for pk, code, name, level in Location.objects.filter(
                deleted=False, level__in=["country", "region"]).values_list("pk", "code", "name", "level"):
            table = self.countries if level == "country" else self.regions
            table[fold(code)] = table[fold(name)] = str(pk)

    def check(self, line: int, values: dict[str, Any]) -> Checked:
        row = Checked(line)
        code = _required(row, values, "code", _("Code"))
        name = _required(row, values, "name", _("Nom"))
        country = _required(row, values, "country", _("Pays"))
        v = {k: as_text(values.get(k)) or "" for k in ("acronym", "contact_name", "phone",
                                                      "email", "address")}
        for k, limit in (("code", 30), ("name", 200), ("acronym", 30), ("contact_name", 120),
                         ("phone", 40), ("address", 250)):
            _max(row, k, code if k == "code" else name if k == "name" else v[k], limit)
        country_id = self.countries.get(fold(country)) if country else None
        if country and country_id is None:
            row.errors.setdefault("country", []).append(_("Pays inconnu : donnez son code (BF, TG…)."))
        regions = []
        for part in re.split(r"[;,|]", as_text(values.get("regions")) or ""):
            if part.strip():
                pk = self.regions.get(fold(part))
                if pk is None:
                    row.errors.setdefault("regions", []).append(
                        _("Région inconnue : « %(code)s ».") % {"code": part.strip()[:40]})
                else:
                    regions.append(pk)
        if v["email"]:
            try:
                validate_email(v["email"])
            except ValidationError:
                row.errors.setdefault("email", []).append(_("Adresse de courriel invalide."))
        self._key(row, code)
        row.values = {"code": code, "name": name, "country_id": country_id,
                      "regions": regions, **v}
        return row

    def known(self, keys: list[str]) -> set[str]:
        return {k for k in keys if k in self.stored}

    def write(self, user, rows: list[Checked], batch, progress) -> None:
        from yiri.network.models import Agency
        from yiri.sync.log import save_logged

        for n, r in enumerate(rows, start=1):
            v = dict(r.values)
            regions = v.pop("regions")
            agency = Agency(id=uuid.uuid4(), **v)
            save_logged(user, agency, created=True)
            if regions:
                agency._sync_author = user  # the author of the logged many-to-many change
                try:
                    agency.regions.set(regions)
                finally:
                    agency._sync_author = None
            if n % 200 == 0:
                progress(n)
        progress(len(rows))


class UserKind(_ByCode):
    code = ImportKind.USER
    right = ("manage_users", "system")
    key_field = "username"

    def targets(self) -> list[Target]:
        return [Target("username", _("Nom d'utilisateur"), True, ("identifiant", "login")),
                Target("first_name", _("Prénom"), False, ("prenom",)),
                Target("last_name", _("Nom"), False, ("nom",)),
                Target("email", _("Courriel"), False, ("courriel", "email", "mail")),
                Target("phone", _("Téléphone"), False, ("telephone", "tel")),
                Target("role", _("Rôle"), True, ("role",)),
                Target("agency", _("Organisation (code)"), False, ("organisation", "structure")),
                Target("language", _("Langue (fr ou en)"), False, ("langue",))]

    def start(self, user, owner: str) -> None:
        from yiri.accounts.models import Role, User
        from yiri.network.models import Agency

        super().start(user, owner)
        self.stored = {u.casefold() for u in User.objects.values_list("username", flat=True)}
        self.roles: dict[str, str] = {}
        for pk, code, fr, en in Role.objects.values_list("pk", "code", "name_fr", "name_en"):
            for name in (code, fr, en):
                self.roles[fold(name)] = str(pk)
        self.agencies = {fold(c): str(pk) for pk, c in Agency.objects.values_list("pk", "code")}
        self.validator = User.username_validator

    def check(self, line: int, values: dict[str, Any]) -> Checked:
        row = Checked(line)
        username = _required(row, values, "username", _("Nom d'utilisateur"))
        role = _required(row, values, "role", _("Rôle"))
        v = {k: as_text(values.get(k)) or "" for k in ("first_name", "last_name", "email",
                                                      "phone")}
        if username is not None:
            try:
                self.validator(username)
            except ValidationError:
                row.errors.setdefault("username", []).append(
                    _("Nom d'utilisateur invalide : lettres, chiffres et @ . + - _ seulement."))
            _max(row, "username", username, 150)
        for k, limit in (("first_name", 150), ("last_name", 150), ("phone", 40)):
            _max(row, k, v[k], limit)
        if v["email"]:
            try:
                validate_email(v["email"])
            except ValidationError:
                row.errors.setdefault("email", []).append(_("Adresse de courriel invalide."))
        role_id = self.roles.get(fold(role)) if role else None
        if role and role_id is None:
            row.errors.setdefault("role", []).append(_("Rôle inconnu."))
        agency = as_text(values.get("agency"))
        agency_id = self.agencies.get(fold(agency)) if agency else None
        if agency and agency_id is None:
            row.errors.setdefault("agency", []).append(_("Organisation inconnue : donnez son code."))
        language = (as_text(values.get("language")) or "fr").lower()[:2]
        if language not in ("fr", "en"):
            row.errors.setdefault("language", []).append(_("Langue : fr ou en."))
        self._key(row, username)
        row.key = username.casefold() if username else ""
        row.values = {"username": username, "role_id": role_id, "agency_id": agency_id,
                      "language": language, **v}
        return row

    def known(self, keys: list[str]) -> set[str]:
        return {k for k in keys if k in self.stored}

    def write(self, user, rows: list[Checked], batch, progress) -> None:
        from yiri.accounts.models import User
        from yiri.sync.log import save_logged

        for n, r in enumerate(rows, start=1):
            person = User(id=uuid.uuid4(), **r.values)
            # No password travels in a spreadsheet: the administrator sets one (or the
            # person gets one) before the first sign-in.
            person.set_unusable_password()
            save_logged(user, person, created=True)
            if n % 200 == 0:
                progress(n)
        progress(len(rows))


KINDS: dict[str, type[Kind]] = {
    ImportKind.CASE: CaseKind, ImportKind.LOCATION: LocationKind,
    ImportKind.ORGANISATION: OrganisationKind, ImportKind.USER: UserKind,
}


def kind_of(code: str) -> Kind:
    return KINDS[code]()
