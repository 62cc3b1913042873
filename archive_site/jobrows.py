"""What the rows of long-running work (colorization requests, training runs) share."""
from __future__ import annotations


class JobRowMixin:
    """`is_active` / `is_finished` from the model's ACTIVE_STATUSES / FINISHED_STATUSES."""

    ACTIVE_STATUSES: tuple = ()
    FINISHED_STATUSES: tuple = ()

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES
