"""Change one field of one case that both nodes hold, as a case worker would (``save()``,
which marks the row dirty). Prints the case id, the field and its new value as JSON.

With ``--edits-file`` (a JSON list of ``[k, field, choices]``, as ``bench/bench_sync.py``
writes it), one edit per entry: field ``field`` of the ``k``-th case by id gets the value
of ``choices`` after its current one (the first if it holds none of them), so every edit
changes something. Prints the number of edits and of cases changed."""

import json

from django.core.management.base import BaseCommand

from bench_case.models import BenchCase


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--field", default="risk_level")
        parser.add_argument("--edits-file")

    def handle(self, *args, field, edits_file, **options):
        if edits_file:
            with open(edits_file, encoding="utf-8") as f:
                edits = json.load(f)
            ids = list(BenchCase.objects.order_by("id").values_list("id", flat=True))
            for k, name, choices in edits:
                case = BenchCase.objects.get(id=ids[k])
                current = case.answers.get(name)
                case.answers[name] = (choices[(choices.index(current) + 1) % len(choices)]
                                      if current in choices else choices[0])
                case.save()
            self.stdout.write(json.dumps({"edits": len(edits),
                                          "cases": len({k for k, _, _ in edits})}))
            return
        case = BenchCase.objects.order_by("id").first()
        if case is None:
            raise SystemExit("no case to edit")
        value = "high" if case.answers.get(field) != "high" else "low"
        case.answers[field] = value
        case.save()
        self.stdout.write(json.dumps({"id": case.id, "field": field, "value": value}))
