"""`manage.py reconcile_jobs`: nothing stuck forever. Re-queue or fail colorization requests,
training runs and CSV imports whose job was lost, and re-enqueue lost derivative jobs."""
from django.core.management.base import BaseCommand

from apps.collections.jobs import csv_imports_reconcile, derivatives_reconcile
from apps.colorize import services
from apps.mlcore.services import training_runs_reconcile


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


class Command(BaseCommand):
    help = (
        "Find queued or running colorization requests, training runs and CSV imports whose RQ job is gone "
        "(Redis flushed, worker killed, enqueue failed) and re-queue them, or fail them with the reason when "
        "no attempts are left; re-enqueue lost derivative jobs. Workers also do this periodically."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace", type=int, default=None,
            help="Seconds a queued row may lack its job before it counts as lost "
                 "(defaults: COLORIZE_ENQUEUE_GRACE, MLCORE_TRAINING_ENQUEUE_GRACE, 300 for archive jobs).",
        )

    def handle(self, *args, grace=None, **options):
        given = {"grace_seconds": grace} if grace is not None else {}
        actions = services.colorization_requests_reconcile(grace_seconds=grace)
        for action in actions:
            self.stdout.write(f"request {action.request_id}: {action.action} ({action.reason})")
        self.stdout.write(self.style.SUCCESS(f"{_plural(len(actions), 'request')} reconciled."))
        for label, reconcile in (("training run", training_runs_reconcile), ("CSV import", csv_imports_reconcile)):
            rows = reconcile(**given)
            for row_id, action, reason in rows:
                self.stdout.write(f"{label} {row_id}: {action} ({reason})")
            self.stdout.write(f"{_plural(len(rows), label)} reconciled.")
        requeued = derivatives_reconcile(**given)
        self.stdout.write(f"{_plural(len(requeued), 'photograph')} with lost derivative jobs re-enqueued.")
