"""CsvImport becomes a JobRow (archive_site.jobrows): `error_message` is renamed `error`, and
it gains the lifecycle's fields. Existing imports keep their error, are taken as queued
when they were created, and keep the three attempts they had (CsvImport.MAX_ATTEMPTS)."""
import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def fill_lifecycle_fields(apps, schema_editor):
    CsvImport = apps.get_model("collections", "CsvImport")
    CsvImport.objects.update(queued_at=F("created_at"), max_attempts=3)


class Migration(migrations.Migration):

    dependencies = [
        ("collections", "0005_csv_import_attempts"),
    ]

    operations = [
        migrations.RenameField(model_name="csvimport", old_name="error_message", new_name="error"),
        migrations.AlterField(
            model_name="csvimport",
            name="error",
            field=models.TextField(blank=True, help_text="Why the last attempt failed or was re-queued."),
        ),
        migrations.AddField(model_name="csvimport", name="cancel_requested", field=models.BooleanField(default=False)),
        migrations.AddField(model_name="csvimport", name="heartbeat_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(
            model_name="csvimport",
            name="max_attempts",
            field=models.PositiveSmallIntegerField(default=1, help_text="Runs allowed before it fails for good."),
        ),
        migrations.AddField(
            model_name="csvimport",
            name="queued_at",
            field=models.DateTimeField(default=django.utils.timezone.now, help_text="When it last entered the queue (a re-run or re-queue resets it)."),
        ),
        migrations.RunPython(fill_lifecycle_fields, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="csvimport",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, help_text="Runs started so far."),
        ),
        migrations.AlterField(
            model_name="csvimport",
            name="job_id",
            field=models.CharField(blank=True, help_text="The deterministic RQ job id; empty for work run in the foreground.", max_length=100),
        ),
        migrations.AlterField(
            model_name="csvimport",
            name="status",
            field=models.CharField(
                choices=[("queued", "Queued"), ("running", "Running"), ("succeeded", "Succeeded"), ("failed", "Failed"), ("cancelled", "Cancelled")],
                db_index=True, default="queued", max_length=12,
            ),
        ),
    ]
