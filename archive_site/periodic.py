"""A daemon thread that calls one action every few seconds: worker reconcilers and job heartbeats."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import connection

logger = logging.getLogger(__name__)


class PeriodicThread(threading.Thread):
    """Calls `action()` every `interval()` seconds until `stop()`. A failing call is logged
    and the loop goes on; the thread's own database connection is closed after each call,
    so a long-lived worker never keeps a stale one."""

    def __init__(self, name: str, interval: Callable[[], float], action: Callable[[], object]):
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.action = action
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval()):
            try:
                self.action()
            except Exception:
                logger.exception("%s failed", self.name)
            finally:
                connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join()
