"""Container health check for an RQ worker: a worker on this host is registered in Redis.

rq keeps a worker's registration alive with a TTL (its heartbeat while idle, the job's
timeout while busy), so a dead worker drops out on its own. It never enqueues: a GPU
worker busy with a day-long training run is healthy, it just cannot answer a ping job.
"""
import socket

import django_rq
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rq import Worker


class Command(BaseCommand):
    help = "Exit 0 when an RQ worker on this host is registered in Redis."

    def add_arguments(self, parser):
        parser.add_argument("--hostname", default=socket.gethostname())

    def handle(self, *args, hostname, **options):
        connection = django_rq.get_connection(next(iter(settings.RQ_QUEUES)))
        workers = [w for w in Worker.all(connection=connection) if w.hostname == hostname]
        if not workers:
            raise CommandError(f"no RQ worker registered on {hostname}")
        for worker in workers:
            self.stdout.write(f"{worker.name}: {worker.get_state()} on {', '.join(worker.queue_names())}")
