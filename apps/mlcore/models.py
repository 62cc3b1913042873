from django.conf import settings
from django.db import models
from django.db.models import Q


class ModelVersion(models.Model):
    """One trained generator: its weights, their fixity, its config, where it came from and how it scores."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=100)
    version = models.CharField(max_length=40, help_text="Semantic version, e.g. 1.0.0")
    weights = models.FileField(upload_to="models/", max_length=255)
    weights_sha256 = models.CharField(max_length=64, db_index=True)
    config = models.JSONField(default=dict, help_text="Architecture config, also stored inside the checkpoint.")
    training_data = models.JSONField(default=dict, blank=True, help_text="Summary of the data it was trained on.")
    metrics = models.JSONField(default=dict, blank=True, help_text="Evaluation metrics (evaluate_gan).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CANDIDATE)
    base_version = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="mlcore_modelversion_name_version_unique"),
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="mlcore_modelversion_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"
