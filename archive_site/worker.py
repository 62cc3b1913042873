"""The RQ worker class of the GPU workers and the one-command dev start.

A SimpleWorker runs each job in the worker process itself: no fork after CUDA
initialisation, and what a job loads (the colorizer registry's cached models) stays in
memory for the next job. Because the process lives for days, it drops database
connections that went stale between jobs, as Django does between requests.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string
from rq.worker import SimpleWorker

logger = logging.getLogger(__name__)


class ArchiveWorker(SimpleWorker):
    def bootstrap(self, *args, **kwargs):
        super().bootstrap(*args, **kwargs)
        self.warm_up()

    def warm_up(self) -> None:
        """Run the callables named in settings.RQ_WORKER_WARMUP (e.g. load the active model).
        An entry "path@gpu,training" runs only in a worker that listens to one of those
        queues (so CPU workers on `default` never load the model). A failing warm-up is
        logged, not fatal: the first job loads what it needs itself."""
        prefix = settings.RQ_QUEUE_PREFIX
        listening = {name[len(prefix):] if name.startswith(prefix) else name for name in self.queue_names()}
        for entry in settings.RQ_WORKER_WARMUP:
            path, _, only = entry.partition("@")
            if only and not listening & set(only.split(",")):
                logger.info("worker warm-up %s skipped: not listening to %s", path, only)
                continue
            try:
                import_string(path)()
            except Exception:
                logger.exception("worker warm-up %s failed", path)
            else:
                logger.info("worker warm-up %s done", path)
        close_old_connections()

    def execute_job(self, job, queue):
        close_old_connections()
        try:
            return super().execute_job(job, queue)
        finally:
            close_old_connections()
