"""Enqueue a ping job on each queue and wait until a worker has run it: proves that a
worker process serves the queues this process enqueues to."""
import time

import django_rq
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive_site.health import ping


class Command(BaseCommand):
    help = "Enqueue archive_site.health.ping on the given queues (default: all) and wait for a worker to run it."

    def add_arguments(self, parser):
        parser.add_argument("queues", nargs="*", help="queue names without the RQ_QUEUE_PREFIX (default: all)")
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each job")

    def handle(self, *args, queues, timeout, **options):
        prefix = settings.RQ_QUEUE_PREFIX
        names = [f"{prefix}{name}" for name in queues] if queues else list(settings.RQ_QUEUES)
        unknown = [name for name in names if name not in settings.RQ_QUEUES]
        if unknown:
            raise CommandError(f"unknown queues: {', '.join(unknown)}")
        for name in names:
            job = django_rq.get_queue(name).enqueue(ping, result_ttl=60, failure_ttl=60)
            deadline = time.monotonic() + timeout
            while not (job.is_finished or job.is_failed):
                if time.monotonic() > deadline:
                    job.cancel()
                    raise CommandError(f"{name}: no worker ran the ping job within {timeout:g}s")
                time.sleep(0.1)
                job.refresh()
            if job.is_failed:
                raise CommandError(f"{name}: the ping job failed")
            result = job.return_value()
            self.stdout.write(f"{name}: ran by worker process {result['pid']} on {result['host']}")
