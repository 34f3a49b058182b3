"""Answers of a child-protection case, the size of a Yiri case: 60 fields and 3 subforms.

Pure Python (no Django), reproducible: ``case_answers(seed, index)`` always returns the same
dict for the same pair. The values look like what a case worker in Burkina Faso or Togo
types (names with the spellings registers hold, communes, dates, short French notes); the
field codes are those of Yiri's case form where it has them.

60 top-level fields besides the subforms: identity, consent, protection concerns,
trafficking, care, tracing, assessment, case plan, closure. The 3 subforms are family
members (2 or 3 rows), services (2 to 4 rows) and follow-ups (1 to 3 rows), each row
with its ``_id`` as Yiri's subform rows have.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

FIELDS = 60  # top-level answers besides the subforms
SUBFORMS = ("family_details", "services", "followups")

FIRST = {
    "female": ["Awa", "Aminata", "Fatimata", "Salimata", "Mariam", "Rasmata", "Adjaratou",
               "Akossiwa", "Ablavi", "Essi", "Afi", "Kafui", "Mawuena", "Ramatou", "Habibou"],
    "male": ["Issouf", "Boukary", "Souleymane", "Moussa", "Adama", "Abdoul Karim", "Seydou",
             "Kodjo", "Komi", "Yao", "Kossi", "Edem", "Mawuli", "Ousmane", "Hamidou"],
}
LAST = ["Ouédraogo", "Wedraogo", "Sawadogo", "Kaboré", "Kabore", "Compaoré", "Zongo",
        "Yaméogo", "Nikiéma", "Traoré", "Ouattara", "Diallo", "Jallo", "Sidibé", "Cissé",
        "Agbodjan", "Mensah", "Lawson", "Amavi", "Kpatcha", "Tchalla", "Bawa", "Akakpo"]
COMMUNES = {
    "BF": ["BF-KAD-OUA-01", "BF-HBS-BOB-02", "BF-NOR-OUH-03", "BF-EST-FAD-01",
           "BF-SAH-DOR-02", "BF-CNO-KOU-04", "BF-BMH-DED-01"],
    "TG": ["TG-MAR-LOM-01", "TG-PLA-ATK-02", "TG-CEN-SOK-01", "TG-KAR-KAR-03",
           "TG-SAV-DAP-02"],
}
TOWNS = {
    "BF": ["Ouagadougou", "Bobo-Dioulasso", "Ouahigouya", "Fada N'Gourma", "Kaya", "Dori",
           "Koudougou", "Banfora", "Pô"],
    "TG": ["Lomé", "Atakpamé", "Sokodé", "Kara", "Dapaong", "Kpalimé", "Aného"],
}
ADDRESS = {
    "BF": ["Secteur {n}, derrière le marché", "Quartier Tanghin, rue {n}",
           "Cour familiale près de la mosquée, secteur {n}", "Non loin du CSPS, secteur {n}"],
    "TG": ["Quartier Bè, von {n}", "Agoè-Nyivé, près de l'école {n}",
           "Quartier Kodjoviakopé, maison {n}", "Près du marché de Hédzranawoé, lot {n}"],
}
PHRASES = {
    "narrative": [
        "Confié à un oncle pour aller à l'école, l'enfant a été placé comme aide-ménagère "
        "sans salaire pendant deux ans.",
        "Recruté au village par un intermédiaire qui promettait un travail sur un site "
        "d'orpaillage ; l'enfant y travaillait de nuit.",
        "Envoyé chez un maître coranique en ville, l'enfant mendiait chaque jour et devait "
        "rapporter une somme fixée.",
    ],
    "summary": [
        "Enfant en bonne santé apparente, craintif au premier entretien, souhaite revoir sa "
        "mère. Besoin d'un hébergement sûr en attendant la recherche familiale.",
        "Enfant déscolarisé depuis un an, blessures anciennes aux mains. La famille est "
        "joignable par le chef de village.",
    ],
    "wishes": ["Retourner à l'école et vivre avec sa mère.",
               "Apprendre la couture à Ouagadougou.", "Rentrer au village avant la saison des pluies."],
    "goal": ["Réunification familiale sécurisée et reprise de la scolarité avant la rentrée.",
             "Stabiliser la prise en charge en famille d'accueil et engager la procédure judiciaire."],
    "service_notes": ["Rendez-vous honoré, l'enfant était accompagné par l'éducatrice.",
                      "Kit scolaire remis, frais d'inscription payés pour l'année."],
    "followup_notes": ["Visite à domicile : l'enfant va à l'école, la mère est satisfaite.",
                       "L'enfant n'était pas présent, revenir la semaine prochaine."],
    "closure": ["Objectifs du plan atteints, enfant réintégré dans sa famille.",
                "Cas transféré à l'action sociale de la province d'origine."],
}
CONCERNS = ["trafficked", "worst_forms_child_labour", "street_child", "unaccompanied",
            "separated", "physically_abused", "neglected", "migrant", "child_marriage"]
SERVICES = ["safe_house", "health", "psychosocial", "legal", "family_reunification",
            "education", "vocational_training", "food", "registration", "nfi"]
PROVIDERS = {"BF": ["Action sociale", "CSPS du secteur", "Brigade des mineurs", "Tribunal pour enfants",
                    "Association Keoogo", "CHU Yalgado"],
             "TG": ["Direction préfectorale de l'action sociale", "CMS du quartier",
                    "Brigade pour mineurs", "Tribunal pour enfants", "CHU Sylvanus Olympio"]}


def _day(rng: random.Random, start: dt.date, days: int) -> str:
    return (start + dt.timedelta(days=rng.randint(0, days))).isoformat()


def _phone(rng: random.Random, country: str) -> str:
    if country == "BF":
        return f"+226 {rng.choice('567')}{rng.randint(0, 9)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    return f"+228 9{rng.randint(0, 9)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def case_answers(seed: int, index: int) -> dict:
    """The answers of case ``index`` of the stream drawn from ``seed``."""
    rng = random.Random(f"{seed}:{index}")
    country = rng.choice(["BF", "BF", "BF", "TG"])
    sex = rng.choice(["female", "male"])
    first, last = rng.choice(FIRST[sex]), rng.choice(LAST)
    registered = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 1700))
    age = rng.randint(5, 17)
    birth = registered - dt.timedelta(days=365 * age + rng.randint(0, 364))
    here = rng.choice(COMMUNES[country])
    origin = rng.choice(COMMUNES[country])
    concerns = rng.sample(CONCERNS, rng.randint(1, 3))
    towns = rng.sample(TOWNS[country], 3)
    caregiver = f"{rng.choice(FIRST['female'])} {last}"
    a = {
        # identity
        "name_first": first,
        "name_last": last,
        "name_middle": rng.choice(FIRST[sex]),
        "name_nickname": rng.choice(["Petit", "Ti-Moussa", "Bébé", "Kadi", "Yaya"]),
        "sex": sex,
        "date_of_birth": birth.isoformat(),
        "age": age,
        "age_estimated": rng.random() < 0.4,
        "registration_date": registered.isoformat(),
        "nationality": [country.lower()],
        "language": [rng.choice(["moore", "dioula", "fulfulde", "ewe", "kabiye"]), "french"],
        "location_current": here,
        "address_current": rng.choice(ADDRESS[country]).format(n=rng.randint(1, 30)),
        "phone": _phone(rng, country),
        "birth_registered": rng.choice(["yes", "no", "unknown"]),
        "other_id_type": "birth_certificate",
        "other_id_no": f"{rng.randint(1, 4999)}/{birth.year}",
        # consent
        "consent_source": rng.choice(["caregiver", "child_and_caregiver", "child"]),
        "consent_date": registered.isoformat(),
        "consent_for_services": True,
        "consent_reporting": rng.random() < 0.8,
        "consent_tracing": rng.random() < 0.9,
        "disclosure_other_orgs": True,
        "share_with": rng.sample(["other_organisations", "authorities", "family"], 2),
        # protection concerns
        "protection_concerns": concerns,
        "protection_status": rng.choice(["unaccompanied", "separated", "none"]),
        "risk_level": rng.choice(["high", "medium", "low"]),
        "urgent_protection_concern": rng.random() < 0.3,
        "displacement_status": rng.choice(["resident", "idp", "returnee", "foreign_national"]),
        # trafficking and exploitation
        "exploitation_type": [rng.choice(["gold_mining", "domestic_work", "begging", "agriculture"])],
        "exploitation_place": f"Site d'orpaillage de {rng.choice(TOWNS[country])}",
        "exploitation_country": country.lower(),
        "exploitation_start_date": _day(rng, registered - dt.timedelta(days=700), 680),
        "trafficking_scope": rng.choice(["internal", "cross_border"]),
        "route_origin": origin,
        "route_transit": " → ".join(towns[:2]),
        "route_destination": towns[2],
        "intermediary_relation": rng.choice(["relative", "stranger", "koranic_teacher", "employer"]),
        "identified_on": _day(rng, registered - dt.timedelta(days=10), 10),
        "identified_by": rng.choice(["police", "gendarmerie", "ngo", "community", "border_post"]),
        "exploitation_narrative": rng.choice(PHRASES["narrative"]),
        # care and tracing
        "care_arrangement_type": rng.choice(["transit_centre", "foster", "kinship"]),
        "care_arrangement_started_on": _day(rng, registered, 30),
        "caregiver_relation": rng.choice(["aunt", "uncle", "grandmother"]),
        "caregiver_name": caregiver,
        "caregiver_phone": _phone(rng, country),
        "tracing_status": rng.choice(["open", "tracing_in_progress", "verified", "reunified"]),
        "separation_date": _day(rng, registered - dt.timedelta(days=800), 790),
        "separation_cause": rng.choice(["trafficking", "confiage", "migration", "poverty"]),
        "separation_place": rng.choice(TOWNS[country]),
        # assessment and case plan
        "assessment_requested_on": _day(rng, registered, 5),
        "needs_identified": rng.sample(SERVICES, 3),
        "child_wishes": rng.choice(PHRASES["wishes"]),
        "assessment_summary": rng.choice(PHRASES["summary"]),
        "case_plan_date": _day(rng, registered + dt.timedelta(days=5), 25),
        "case_plan_due_date": _day(rng, registered + dt.timedelta(days=14), 20),
        "case_plan_goal": rng.choice(PHRASES["goal"]),
        # closure
        "closure_reason": rng.choice(["reunified", "formal_closing", "transferred"]),
        "closure_date": _day(rng, registered + dt.timedelta(days=60), 400),
        "closure_details": rng.choice(PHRASES["closure"]),
    }
    assert len(a) == FIELDS, len(a)
    family = [
        {"_id": _uuid(rng), "relation": "mother", "relation_name": f"{rng.choice(FIRST['female'])} {rng.choice(LAST)}",
         "alive": "alive", "relation_sex": "female", "relation_location": origin,
         "relation_phone": _phone(rng, country), "relation_age": age + rng.randint(17, 40),
         "is_caregiver": False, "lives_with_child": False},
        {"_id": _uuid(rng), "relation": "father", "relation_name": f"{rng.choice(FIRST['male'])} {last}",
         "alive": rng.choice(["alive", "dead", "unknown"]), "relation_sex": "male",
         "relation_location": origin},
    ]
    if rng.random() < 0.5:
        family.append({"_id": _uuid(rng), "relation": "aunt", "relation_name": caregiver,
                       "is_caregiver": True, "lives_with_child": True})
    a["family_details"] = family
    a["services"] = [
        {"_id": _uuid(rng), "response_type": "service_provision", "service_type": service,
         "response_time_frame": rng.choice(["one_day", "three_days"]),
         "appointment_date": _day(rng, registered + dt.timedelta(days=10), 60),
         "provider_agency": rng.choice(PROVIDERS[country]), "implemented": True,
         "implemented_on": _day(rng, registered + dt.timedelta(days=10), 60),
         "delivery_location": here, "service_notes": rng.choice(PHRASES["service_notes"])}
        for service in rng.sample(SERVICES, rng.randint(2, 4))
    ]
    a["followups"] = [
        {"_id": _uuid(rng), "followup_type": rng.choice(["for_service", "after_reunification", "in_care"]),
         "needed_by": _day(rng, registered + dt.timedelta(days=30), 90),
         "done_on": _day(rng, registered + dt.timedelta(days=30), 90), "child_seen": True,
         "followup_notes": rng.choice(PHRASES["followup_notes"])}
        for _ in range(rng.randint(1, 3))
    ]
    return a
