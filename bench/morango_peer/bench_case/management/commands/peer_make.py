"""Create cases on this node, as the application would (rows marked dirty, to be
serialised by the next sync). Answers from ``payload.case_answers`` or, with
``--payload-file``, from a JSON list of answer dicts (taken in turn). Prints JSON."""

import json

from django.core.management.base import BaseCommand
from django.db import transaction

from bench_case.models import BenchCase
from bench_case.node import dataset_id
from bench_case.payload import case_answers

BATCH = 1000


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--start", type=int, default=0, help="index of the first case drawn")
        parser.add_argument("--payload-file")

    def handle(self, *args, count, seed, start, payload_file, **options):
        dataset = dataset_id()
        given = None
        if payload_file:
            with open(payload_file, encoding="utf-8") as f:
                given = json.load(f)
        batch, made = [], 0
        for index in range(start, start + count):
            answers = given[index % len(given)] if given else case_answers(seed, index)
            case = BenchCase(dataset_id=dataset, answers=answers)
            case.id = case.calculate_uuid()  # what save() does; bulk_create does not call it
            batch.append(case)
            if len(batch) == BATCH or index == start + count - 1:
                with transaction.atomic():
                    BenchCase.objects.bulk_create(batch)
                made += len(batch)
                batch = []
        self.stdout.write(json.dumps({"created": made, "dataset": dataset}))
