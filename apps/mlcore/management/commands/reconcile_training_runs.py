"""`manage.py reconcile_training_runs`: re-queue (to resume) or fail training runs whose job was lost."""
from django.core.management.base import BaseCommand

from apps.mlcore import services


class Command(BaseCommand):
    help = (
        "Find queued or running training runs whose RQ job is gone (Redis flushed, worker killed, enqueue failed) "
        "and re-queue them to resume from their last checkpoint, or fail them when no attempts are left. "
        "Workers also run this every MLCORE_TRAINING_RECONCILE_INTERVAL seconds (apps.mlcore.jobs.start_reconciler)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=float, default=None, help="Seconds a queued run may lack its job before it counts as lost.")

    def handle(self, *args, grace=None, **options):
        actions = services.training_runs_reconcile(grace_seconds=grace)
        for run_id, action, reason in actions:
            self.stdout.write(f"run {run_id}: {action} ({reason})")
        self.stdout.write(self.style.SUCCESS(f"{len(actions)} training run{'s' if len(actions) != 1 else ''} reconciled."))
