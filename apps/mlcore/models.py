from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from archive_site.jobrows import JobRow


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
    benchmark = models.JSONField(
        default=dict, blank=True, help_text="Scores on the fixed benchmark set, with its id, per seed and their spread (gan.benchmark.score).",
    )
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

    @property
    def input_multiple(self) -> int:
        """Working sizes and training crops must be multiples of this: the network's total
        stride, from the architecture config (``gan.effunet`` for the EfficientNet U-Net,
        ``2 ** depth`` for the thesis U-Net, whose configs name no architecture)."""
        if self.config.get("architecture") == "effunet-lite0":
            return 32
        return 2 ** int(self.config.get("depth", 1))


class ModelVersionEvent(models.Model):
    """The history of a version: registered, scored on the benchmark, activated (with the
    reason when it was activated although worse than the active one), replaced, retired."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", "Registered"
        BENCHMARK_REQUESTED = "benchmark_requested", "Benchmark scoring requested"
        BENCHMARKED = "benchmarked", "Scored on the benchmark"
        BENCHMARK_FAILED = "benchmark_failed", "Benchmark scoring failed"
        ACTIVATED = "activated", "Activated"
        REPLACED = "replaced", "Replaced as the active version"
        RETIRED = "retired", "Retired"

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True, help_text="Why, in the words of the person who did it (required to activate a worse version).")
    details = models.JSONField(default=dict, blank=True, help_text="What the event concerned: the benchmark comparison, the other version, an error.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["model_version", "created_at"], name="mlcore_mve_version_time")]

    def __str__(self) -> str:
        return f"{self.model_version}: {self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"


class CuratedSet(models.Model):
    """Images a curator chose to teach the model: colour photographs of the archive and approved variants.

    A draft set can be edited; freezing it fixes a deterministic train/hold-out split
    (`split`, item keys) that every training run of the set uses, so a run's provenance
    names exactly what it learned from and what it was judged on. It lives here, beside
    TrainingRun, rather than in apps.colorize (see docs/RETRAINING.md).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FROZEN = "frozen", "Frozen"

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    seed = models.PositiveIntegerField(default=0, help_text="Seeds the train/hold-out split.")
    holdout_fraction = models.FloatField(default=0.1, help_text="Share of the colour photographs held out to evaluate a run (at least one).")
    split = models.JSONField(default=dict, blank=True, help_text='Fixed when frozen: {"train": [item keys], "holdout": [item keys]}.')
    frozen_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(holdout_fraction__gt=0) & Q(holdout_fraction__lt=1), name="mlcore_curatedset_holdout_fraction_range"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_frozen(self) -> bool:
        return self.status == self.Status.FROZEN


class CuratedItem(models.Model):
    """One image of a curated set: a colour photograph (its master) or an approved variant.

    An approved variant's file already is the training image: its luma is the original
    scan's and its chroma the one the colorist approved.
    """

    class Kind(models.TextChoices):
        PHOTOGRAPH = "photograph", "Colour photograph"
        VARIANT = "variant", "Approved variant"

    curated_set = models.ForeignKey(CuratedSet, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    photograph = models.ForeignKey("collections.Photograph", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey("colorize.Variant", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="photograph", photograph__isnull=False, variant__isnull=True) | Q(kind="variant", variant__isnull=False, photograph__isnull=True)),
                name="mlcore_curateditem_kind_matches",
            ),
            models.UniqueConstraint(fields=["curated_set", "photograph"], name="mlcore_curateditem_photograph_once"),
            models.UniqueConstraint(fields=["curated_set", "variant"], name="mlcore_curateditem_variant_once"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        """Stable name of the item in a frozen split: "photograph:12" or "variant:34"."""
        return f"{self.kind}:{self.photograph_id if self.kind == self.Kind.PHOTOGRAPH else self.variant_id}"


class TrainingRun(JobRow):
    """Fine-tuning a base version on a frozen curated set: one job on the `training` queue.

    The row is the record: hyperparameters, progress (one TrainingProgress row per
    epoch), the checkpoint a killed run resumes from, the hold-out evaluation of the new
    weights beside the base's, and the candidate ModelVersion it produced.
    """

    JOB_FUNCTION = "apps.mlcore.jobs.run_training"
    JOB_LABEL = "training run"
    SETTINGS_PREFIX = "MLCORE_TRAINING"
    queue_name = "training"
    LOG_LINES = 200

    curated_set = models.ForeignKey(CuratedSet, on_delete=models.PROTECT, related_name="training_runs")
    base_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="training_runs")
    hyperparameters = models.JSONField(default=dict, help_text="Training settings of the run (fine-tuning defaults filled in).")
    progress = models.JSONField(default=dict, blank=True, help_text="Latest: stage, epoch, step, losses, validation metrics, ETA.")
    log_tail = models.TextField(blank=True, help_text="The last lines of the run's log.")
    result_version = models.OneToOneField(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="training_run")
    evaluation = models.JSONField(default=dict, blank=True, help_text="Hold-out metrics of the new weights and of the base version, samples.")
    data_summary = models.JSONField(default=dict, blank=True, help_text="What the run trained and was evaluated on.")
    checkpoint_path = models.CharField(max_length=500, blank=True, help_text="Training checkpoint a re-run resumes from.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="training_runs")
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Training run #{self.pk} on {self.curated_set} ({self.status})"

    def job_note(self, event: str, text: str) -> list[str]:
        stage = {"started": "loading data", "requeued": "re-queued", "succeeded": "done"}.get(event, event)
        self.progress = {**self.progress, "stage": stage, **({"attempt": self.attempts} if event == "started" else {})}
        if text:
            self.log(text)
        return ["progress", "log_tail"]

    def job_options(self) -> dict:
        return {"description": f"Training run {self.pk}: fine-tune {self.base_version_id} on curated set {self.curated_set_id}"}

    def log(self, text: str) -> None:
        """Append a timestamped line to the log tail (its last LOG_LINES lines are kept)."""
        lines = (self.log_tail.splitlines() if self.log_tail else []) + [log_line(text)]
        self.log_tail = "\n".join(lines[-self.LOG_LINES:])


def log_line(text: str) -> str:
    """A line of a training run's log: the time, then `text`."""
    return f"{timezone.now():%Y-%m-%d %H:%M:%S} {text}"


class TrainingProgress(models.Model):
    """What the trainer reported at the end of one epoch of a run."""

    training_run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="progress_events")
    epoch = models.PositiveIntegerField()
    epochs = models.PositiveIntegerField()
    step = models.PositiveIntegerField()
    total_steps = models.PositiveIntegerField()
    losses = models.JSONField(default=dict)
    val = models.JSONField(default=dict, help_text="Validation metrics on the hold-out crops.")
    elapsed_seconds = models.FloatField()
    eta_seconds = models.FloatField(null=True, blank=True)
    attempt = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["training_run_id", "epoch"]
        constraints = [models.UniqueConstraint(fields=["training_run", "epoch"], name="mlcore_trainingprogress_one_per_epoch")]

    def __str__(self) -> str:
        return f"Run {self.training_run_id} epoch {self.epoch}/{self.epochs}"
