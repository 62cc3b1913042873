"""``manage.py evaluate_benchmark``: score model versions on the benchmark set and store the scores."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.mlcore import selectors, services
from apps.mlcore.gan.evaluate import COLUMNS
from apps.mlcore.models import ModelVersion


class Command(BaseCommand):
    help = (
        "Score model versions on the benchmark set (MLCORE_BENCHMARK_DIR) and store the scores on them, so every "
        "version compares in one table on /models/. Default: the versions not scored on it yet."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--model-version", type=int, action="append", dest="versions", metavar="ID", help="this version (repeatable), scored again if it was")
        which.add_argument("--all", action="store_true", help="every version that is not retired, scored again if it was")
        parser.add_argument("--queue", action="store_true", help="queue the scoring on the training queue instead of scoring here")

    def handle(self, *args, **options):
        try:
            benchmark = services.benchmark_configured(verify=not options["queue"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        versions = ModelVersion.objects.exclude(status=ModelVersion.Status.RETIRED).order_by("pk")
        if options["versions"]:
            versions = ModelVersion.objects.filter(pk__in=options["versions"]).order_by("pk")
            missing = set(options["versions"]) - set(versions.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"There is no model version {', '.join(map(str, sorted(missing)))}.")
        elif not options["all"]:
            versions = [v for v in versions if selectors.model_version_benchmark(v, benchmark.id) is None]
        versions = list(versions)
        if not versions:
            self.stdout.write(f"Every version is scored on {benchmark.id}.")
            return
        self.stdout.write(f"Benchmark {benchmark.id}: {len(benchmark.images)} images, seeds {list(benchmark.seeds)}, working size {benchmark.working_size}.")
        for version in versions:
            if options["queue"]:
                queued = services.model_version_benchmark_request(model_version=version)
                self.stdout.write(f"{version}: {'queued' if queued else 'already waiting'}.")
                continue
            with tqdm(total=len(benchmark.images), desc=str(version), unit="image", dynamic_ncols=True) as bar:
                try:
                    scored = services.model_version_benchmark(model_version=version, progress=lambda done, total: bar.update(done - bar.n))
                except ValidationError as error:
                    raise CommandError(" ".join(error.messages)) from error
            scores, spread = scored.benchmark["scores"], scored.benchmark["spread"]
            self.stdout.write(f"{version}: " + ", ".join(
                f"{title} {scores[key]:.3f}" + (f" ± {spread[key]:.3f}" if spread.get(key) is not None else "")
                for key, title in COLUMNS if scores.get(key) is not None
            ))
