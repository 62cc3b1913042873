"""`manage.py reconcile_jobs`: re-queue or fail colorization requests whose job was lost,
and re-enqueue the derivatives of photographs whose job was lost."""
from django.core.management.base import BaseCommand

from apps.collections.jobs import derivatives_reconcile
from apps.colorize import services


class Command(BaseCommand):
    help = (
        "Find queued or running colorization requests whose RQ job is gone (Redis flushed, worker "
        "killed, enqueue failed) and re-queue them, or fail them with the reason when no attempts are left. "
        "Workers also run this every COLORIZE_RECONCILE_INTERVAL seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace", type=int, default=None,
            help="Seconds a queued request may lack its job before it counts as lost (default COLORIZE_ENQUEUE_GRACE).",
        )

    def handle(self, *args, grace=None, **options):
        actions = services.colorization_requests_reconcile(grace_seconds=grace)
        for action in actions:
            self.stdout.write(f"request {action.request_id}: {action.action} ({action.reason})")
        self.stdout.write(self.style.SUCCESS(f"{len(actions)} request{'s' if len(actions) != 1 else ''} reconciled."))
        requeued = derivatives_reconcile(**({"grace_seconds": grace} if grace is not None else {}))
        self.stdout.write(f"{len(requeued)} photograph{'s' if len(requeued) != 1 else ''} with lost derivative jobs re-enqueued.")
