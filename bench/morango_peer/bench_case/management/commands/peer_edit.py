"""Change one field of one case that both nodes hold, as a case worker would (``save()``,
which marks the row dirty). Prints the case id, the field and its new value as JSON."""

import json

from django.core.management.base import BaseCommand

from bench_case.models import BenchCase


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--field", default="risk_level")

    def handle(self, *args, field, **options):
        case = BenchCase.objects.order_by("id").first()
        if case is None:
            raise SystemExit("no case to edit")
        value = "high" if case.answers.get(field) != "high" else "low"
        case.answers[field] = value
        case.save()
        self.stdout.write(json.dumps({"id": case.id, "field": field, "value": value}))
