"""The RQ worker class of the GPU workers and the one-command dev start.

A SimpleWorker runs each job in the worker process itself: no fork after CUDA
initialisation, and what a job loads (the colorizer registry's cached models) stays in
memory for the next job. Because the process lives for days, it drops database
connections that went stale between jobs, as Django does between requests, and it rides
out a Redis outage: it waits with exponential backoff (rq's `exponential_backoff_factor`,
up to `max_connection_wait_time`) instead of exiting, and registers again when Redis comes
back without its registration (a restart without persistence).
"""
from __future__ import annotations

import logging
import time

import redis
from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string
from rq.exceptions import StopRequested
from rq.worker import SimpleWorker

logger = logging.getLogger(__name__)

REDIS_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


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
        except REDIS_UNREACHABLE as exc:
            # The job ran (or failed) but rq could not record it. It is not run again here:
            # its row's reconcile pass (archive_site.rqjobs) finds the lost job.
            logger.warning("worker %s: lost Redis around job %s (%s)", self.name, job.id, exc)
            self._riding_out_redis(self.connection.ping)
        finally:
            close_old_connections()

    # --- riding out a Redis outage: every Redis call of the work loop goes through here ----------

    def _riding_out_redis(self, call, *args, **kwargs):
        wait, outage = 1.0, False
        while True:
            try:
                if outage:
                    self._register_again_if_forgotten()
                return call(*args, **kwargs)
            except REDIS_UNREACHABLE as exc:
                if self._stop_requested:
                    raise StopRequested from exc
                logger.warning("worker %s: could not reach Redis (%s); trying again in %.0f s", self.name, exc, wait)
                time.sleep(wait)
                wait, outage = min(wait * self.exponential_backoff_factor, self.max_connection_wait_time), True

    def _register_again_if_forgotten(self) -> None:
        if not self.connection.hexists(self.key, "birth"):
            self.connection.delete(self.key)  # a heartbeat may have left a partial hash
            self.register_birth()
            logger.info("worker %s: registered again after the Redis outage", self.name)

    def heartbeat(self, *args, **kwargs):
        return self._riding_out_redis(super().heartbeat, *args, **kwargs)

    def check_for_suspension(self, *args, **kwargs):
        return self._riding_out_redis(super().check_for_suspension, *args, **kwargs)

    def run_maintenance_tasks(self, *args, **kwargs):
        return self._riding_out_redis(super().run_maintenance_tasks, *args, **kwargs)

    def dequeue_job_and_maintain_ttl(self, *args, **kwargs):
        return self._riding_out_redis(super().dequeue_job_and_maintain_ttl, *args, **kwargs)
