"""The colorist's workflow: requests run on GPU workers, the variants they make, their review.

The database row is the record of every colorization: Redis only carries the job (see
services.reconcile for what happens when it loses one).
"""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from rq import Retry

from archive_site.jobrows import JobRow


class ColorizationBatch(models.Model):
    """Requests asked for together (photographs selected in the portal, a collection, a search):
    their progress is followed as one."""

    label = models.CharField(max_length=200, blank=True, help_text="What was selected, in words (\"12 photographs selected in search\").")
    refused = models.JSONField(default=list, blank=True, help_text="Photographs left out, with why: [{photograph, message}].")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="colorization_batches")
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name_plural = "colorization batches"

    def __str__(self) -> str:
        return f"Batch #{self.pk}" + (f": {self.label}" if self.label else "")


class ColorizationRequest(JobRow):
    """N seeded variants of one photograph with one model version: one job on the `gpu` queue."""

    JOB_FUNCTION = "apps.colorize.jobs.run_colorization"
    JOB_LABEL = "colorization request"
    SETTINGS_PREFIX = "COLORIZE"
    # The request's stage when the lifecycle moves it.
    STAGES = {"started": "starting", "retrying": "waiting to retry", "requeued": "re-queued", "cancelling": "cancelling",
              "cancelled": "cancelled", "failed": "failed", "succeeded": "done"}

    photograph = models.ForeignKey("collections.Photograph", on_delete=models.CASCADE, related_name="colorization_requests")
    model_version = models.ForeignKey("mlcore.ModelVersion", on_delete=models.PROTECT, related_name="colorization_requests")
    seeds = models.JSONField(help_text="Seeds of the variants, in order (chosen at random and stored when only a count was asked).")
    working_size = models.PositiveIntegerField(default=256, help_text="Short side, in pixels, the chroma is predicted at.")
    params = models.JSONField(default=dict, blank=True, help_text="Other parameters; part of the request's identity.")
    # sha256 of (photograph, model version, sorted seeds, working size, params): the RQ job id
    # and the key that refuses an identical request while one is queued or running.
    fingerprint = models.CharField(max_length=64, db_index=True)
    progress = models.FloatField(default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    stage = models.CharField(max_length=40, blank=True)
    queue_name = models.CharField(max_length=40, default="gpu", help_text="Unprefixed RQ queue name.")
    timeout = models.PositiveIntegerField(help_text="Seconds one run may take (the queue's timeout when it was requested).")
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage of the last run (model load, network, storage …).")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="colorization_requests")
    requested_at = models.DateTimeField(auto_now_add=True)
    batch = models.ForeignKey(ColorizationBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status__in=["queued", "running"]),
                name="colorize_request_one_active_per_fingerprint",
            ),
            models.CheckConstraint(condition=Q(progress__gte=0) & Q(progress__lte=1), name="colorize_request_progress_range"),
        ]
        indexes = [models.Index(fields=["status", "queued_at"], name="colorize_req_status_queued")]

    def __str__(self) -> str:
        return f"Colorization #{self.pk} of photograph {self.photograph_id} ({self.status})"

    def job_note(self, event: str, text: str) -> list[str]:
        self.stage = self.STAGES.get(event, self.stage)
        if event in ("started", "requeued"):
            self.progress = 0.0
            return ["stage", "progress"]
        if event == "succeeded":
            self.progress = 1.0
            return ["stage", "progress"]
        return ["stage"]

    def job_options(self) -> dict:
        retries = self.max_attempts - self.attempts - 1
        return {
            "job_timeout": self.timeout,
            "retry": Retry(max=retries) if retries > 0 else None,
            "description": f"Colorize photograph {self.photograph_id} (request {self.pk})",
        }


class Variant(models.Model):
    """One colorization of a photograph from one seed, at the master's full resolution."""

    class ReviewState(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        # A sibling (another pending variant of the same photograph) was approved instead:
        # out of the queue, not judged bad; reopen or approve it like any other.
        NOT_CHOSEN = "not_chosen", "Not chosen"

    request = models.ForeignKey(ColorizationRequest, on_delete=models.CASCADE, related_name="variants")
    # Denormalised from the request so the database can hold "one approved per photograph".
    photograph = models.ForeignKey("collections.Photograph", on_delete=models.CASCADE, related_name="variants")
    seed = models.BigIntegerField()
    image = models.FileField(upload_to="colorizations/", max_length=255, help_text="Full-resolution PNG, provenance embedded.")
    image_sha256 = models.CharField(max_length=64)
    thumbnail = models.FileField(upload_to="colorizations/", max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    provenance = models.JSONField(help_text="Also embedded in the file: model, weights sha256, seed, parameters, request, label.")
    metrics = models.JSONField(default=dict, blank=True, help_text="colourfulness, diversity to siblings; ΔE2000 and colourfulness gap for colour originals.")
    review_state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.PENDING, db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["photograph"], condition=Q(review_state="approved"), name="colorize_variant_one_approved_per_photograph"),
            models.UniqueConstraint(fields=["request", "seed"], name="colorize_variant_request_seed_unique"),
        ]
        permissions = [("review_variant", "Can approve, reject and reopen variants")]

    def __str__(self) -> str:
        return f"Variant #{self.pk} (seed {self.seed}) of photograph {self.photograph_id}"

    @property
    def image_identifier(self) -> str:
        """Its identifier in the IIIF Image API."""
        return f"variant-{self.pk}"


class ReviewEvent(models.Model):
    """The review history of a variant: who approved, rejected, reopened or replaced it (or
    approved a sibling instead: `not_chosen`, with `replaced_by` the approved one), when."""

    class Action(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"
        REOPEN = "reopen", "Reopened"
        REPLACE = "replace", "Replaced by another approval"
        NOT_CHOSEN = "not_chosen", "Not chosen: a sibling was approved"

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="review_events")
    photograph = models.ForeignKey("collections.Photograph", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    from_state = models.CharField(max_length=10, choices=Variant.ReviewState.choices)
    to_state = models.CharField(max_length=10, choices=Variant.ReviewState.choices)
    replaced_by = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} variant {self.variant_id}"


class Annotation(models.Model):
    """A colorist's remark on a variant, optionally about a rectangle of it (normalised 0–1 coordinates)."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="annotations")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    x = models.FloatField(null=True, blank=True)
    y = models.FloatField(null=True, blank=True)
    w = models.FloatField(null=True, blank=True)
    h = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(x__isnull=True, y__isnull=True, w__isnull=True, h__isnull=True)
                    | Q(x__gte=0, y__gte=0, w__gt=0, h__gt=0, x__lte=1, y__lte=1, w__lte=1, h__lte=1)
                ),
                name="colorize_annotation_region_normalised",
            ),
        ]

    def __str__(self) -> str:
        return f"Annotation #{self.pk} on variant {self.variant_id}"

    @property
    def region(self) -> dict | None:
        if self.x is None:
            return None
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}
