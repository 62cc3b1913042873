"""`manage.py reconcile_jobs`: nothing stuck forever. Re-queue or fail the job rows of every
kind (colorization requests, training runs, CSV imports) whose job was lost, and re-enqueue
lost derivative jobs."""
from collections import Counter

from django.core.management.base import BaseCommand

from archive_site import rqjobs


class Command(BaseCommand):
    help = (
        "Find queued or running colorization requests, training runs and CSV imports whose RQ job is gone "
        "(Redis flushed, worker killed, enqueue failed) and re-queue them, or fail them with the reason when "
        "no attempts are left; re-enqueue lost derivative jobs. Workers also do this every JOB_RECONCILE_INTERVAL seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace", type=float, default=None,
            help="Seconds a queued row may lack its job before it counts as lost (default: each kind's ENQUEUE_GRACE setting).",
        )

    def handle(self, *args, grace=None, **options):
        actions = rqjobs.reconcile(grace_seconds=grace)
        for action in actions:
            self.stdout.write(str(action))
        counts = Counter(action.action for action in actions)
        summary = ", ".join(f"{count} {action}" for action, count in sorted(counts.items())) or "nothing to do"
        self.stdout.write(self.style.SUCCESS(f"Reconciled: {summary}."))
