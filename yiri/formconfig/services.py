"""Writers for form configuration."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from yiri.sync.models import seeded_id

from .models import Field, FormSection, Lookup, LookupValue
from .schema import clear_cache

DEFAULT_FORMS_FILE = Path(__file__).parent / "data" / "default_forms.json"
# The version of the shipped form set. A data migration that changes the default forms,
# lookups or labels raises it (see network/reference.py), and the seed file holds its result.
FORM_SET_VERSION = 1


@transaction.atomic
def load_form_set(path: Path = DEFAULT_FORMS_FILE) -> dict[str, int]:
    """Create the lookups, values, sections and fields of a form-set JSON file that are missing.

    Rows are matched by code; an existing row is never changed, so what an administrator
    edited stays (later shipped changes come as data migrations). Nothing is deleted.
    Returns counts of what was read.
    """
    spec = json.loads(Path(path).read_text(encoding="utf-8"))
    lookups: dict[str, Lookup] = {}
    n_values = 0
    for lk in spec.get("lookups", []):
        lookup, _ = Lookup.objects.get_or_create(
            code=lk["code"], defaults={"id": seeded_id("lookup", lk["code"]), "name_fr": lk["name"]["fr"], "name_en": lk["name"].get("en", "")}
        )
        lookups[lookup.code] = lookup
        for order, val in enumerate(lk["values"]):
            LookupValue.objects.get_or_create(
                lookup=lookup, code=val["code"],
                defaults={"id": seeded_id("lookup_value", lookup.code, val["code"]),
                          "label_fr": val["fr"], "label_en": val.get("en", ""), "order": order * 10},
            )
            n_values += 1
    n_sections = n_fields = 0
    for record_type, sections in spec.get("forms", {}).items():
        by_code: dict[str, FormSection] = {}
        for sec in sections:
            section, _ = FormSection.objects.get_or_create(
                record_type=record_type, code=sec["code"],
                defaults={
                    "id": seeded_id("form_section", record_type, sec["code"]),
                    "name_fr": sec["name"]["fr"], "name_en": sec["name"].get("en", ""),
                    "order": sec.get("order", 0), "is_subform": bool(sec.get("subform")),
                },
            )
            by_code[section.code] = section
            n_sections += 1
        for sec in sections:
            for order, f in enumerate(sec["fields"]):
                lookup = lookups.get(f["lookup"]) if f.get("lookup") else None
                if f.get("lookup") and lookup is None:
                    lookup = Lookup.objects.get(code=f["lookup"])
                Field.objects.get_or_create(
                    section=by_code[sec["code"]], code=f["code"],
                    defaults={
                        "id": seeded_id("field", record_type, sec["code"], f["code"]),
                        "type": f["type"],
                        "label_fr": f["label"]["fr"], "label_en": f["label"].get("en", ""),
                        "help_fr": f.get("help", {}).get("fr", ""),
                        "help_en": f.get("help", {}).get("en", ""),
                        "order": f.get("order", order * 10),
                        "required": bool(f.get("required")),
                        "identifying": bool(f.get("identifying")),
                        "matchable": bool(f.get("matchable")),
                        "lookup": lookup,
                        "subform": by_code.get(f["subform"]) if f.get("subform") else None,
                        "min_value": f.get("min"), "max_value": f.get("max"),
                        "no_future": bool(f.get("no_future")),
                        "decimals": bool(f.get("decimals")),
                        "visible_if": f.get("visible_if"),
                    },
                )
                n_fields += 1
    transaction.on_commit(clear_cache)
    clear_cache()
    return {"lookups": len(lookups), "values": n_values, "sections": n_sections, "fields": n_fields}
