"""Curated sets and training runs as they stand after the migrations 0003 to 0005 it replaces
(squashed by hand: one CreateModel a model, columns in the order the old migrations left
them), and the curators' permissions on them.

`replaces` stays while any installation or migration may still name the old migrations
(docs/ARCHITECTURE.md, "Migrations")."""
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from archive_site.roles import grant

# Curators build curated sets, start and cancel training runs and read their progress;
# a run's rows are written by the worker only (no add/change for progress rows).
ROLE_PERMISSIONS = {
    "curator": [
        "view_curatedset", "add_curatedset", "change_curatedset", "delete_curatedset",
        "view_curateditem", "add_curateditem", "change_curateditem", "delete_curateditem",
        "view_trainingrun", "add_trainingrun", "change_trainingrun",
        "view_trainingprogress",
    ],
}


def grant_roles(apps, schema_editor):
    grant(apps, "mlcore", ROLE_PERMISSIONS)


class Migration(migrations.Migration):

    replaces = [("mlcore", "0003_curated_sets_training_runs"), ("mlcore", "0004_training_roles"), ("mlcore", "0005_training_run_job_row")]
    # auth and contenttypes (the roles' permissions) come before collections' migration.
    dependencies = [
        ("mlcore", "0001_squashed_0002_roles"), ("collections", "0001_squashed_0008_embargo"), ("colorize", "0001_squashed_0003_job_row"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CuratedSet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True)),
                ('description', models.TextField(blank=True)),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('frozen', 'Frozen')], default='draft', max_length=8)),
                ('seed', models.PositiveIntegerField(default=0, help_text='Seeds the train/hold-out split.')),
                ('holdout_fraction', models.FloatField(default=0.1, help_text='Share of the items held out to evaluate a run (at least one).')),
                ('split', models.JSONField(blank=True, default=dict, help_text='Fixed when frozen: {"train": [item keys], "holdout": [item keys]}.')),
                ('frozen_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('holdout_fraction__gt', 0), ('holdout_fraction__lt', 1)), name='mlcore_curatedset_holdout_fraction_range')],
            },
        ),
        migrations.CreateModel(
            name='CuratedItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('photograph', 'Colour photograph'), ('variant', 'Approved variant')], max_length=10)),
                ('added_at', models.DateTimeField(auto_now_add=True)),
                ('added_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('photograph', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='collections.photograph')),
                ('variant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='colorize.variant')),
                ('curated_set', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='mlcore.curatedset')),
            ],
            options={
                'ordering': ['pk'],
                'constraints': [
                    models.CheckConstraint(condition=models.Q(models.Q(('kind', 'photograph'), ('photograph__isnull', False), ('variant__isnull', True)),
                    models.Q(('kind', 'variant'), ('photograph__isnull', True), ('variant__isnull', False)), _connector='OR'), name='mlcore_curateditem_kind_matches'),
                    models.UniqueConstraint(fields=('curated_set', 'photograph'), name='mlcore_curateditem_photograph_once'),
                    models.UniqueConstraint(fields=('curated_set', 'variant'), name='mlcore_curateditem_variant_once'),
                ],
            },
        ),
        migrations.CreateModel(
            name='TrainingRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hyperparameters', models.JSONField(default=dict, help_text='Training settings of the run (fine-tuning defaults filled in).')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], db_index=True, default='queued', max_length=12)),
                ('progress', models.JSONField(blank=True, default=dict, help_text='Latest: stage, epoch, step, losses, validation metrics, ETA.')),
                ('log_tail', models.TextField(blank=True, help_text="The last lines of the run's log.")),
                ('error', models.TextField(blank=True, help_text='Why the last attempt failed or was re-queued.')),
                ('evaluation', models.JSONField(blank=True, default=dict, help_text='Hold-out metrics of the new weights and of the base version, samples.')),
                ('data_summary', models.JSONField(blank=True, default=dict, help_text='What the run trained and was evaluated on.')),
                ('checkpoint_path', models.CharField(blank=True, help_text='Training checkpoint a re-run resumes from.', max_length=500)),
                ('cancel_requested', models.BooleanField(default=False)),
                ('job_id', models.CharField(blank=True, help_text='The deterministic RQ job id; empty for work run in the foreground.', max_length=100)),
                ('attempts', models.PositiveSmallIntegerField(default=0, help_text='Runs started so far.')),
                ('max_attempts', models.PositiveSmallIntegerField(default=1, help_text='Runs allowed before it fails for good.')),
                ('requested_at', models.DateTimeField(auto_now_add=True)),
                ('queued_at', models.DateTimeField(default=django.utils.timezone.now, help_text='When it last entered the queue (a re-run or re-queue resets it).')),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('base_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='training_runs', to='mlcore.modelversion')),
                ('curated_set', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='training_runs', to='mlcore.curatedset')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='training_runs', to=settings.AUTH_USER_MODEL)),
                ('result_version', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='training_run', to='mlcore.modelversion')),
            ],
            options={
                'ordering': ['-requested_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='TrainingProgress',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('epoch', models.PositiveIntegerField()),
                ('epochs', models.PositiveIntegerField()),
                ('step', models.PositiveIntegerField()),
                ('total_steps', models.PositiveIntegerField()),
                ('losses', models.JSONField(default=dict)),
                ('val', models.JSONField(default=dict, help_text='Validation metrics on the hold-out crops.')),
                ('elapsed_seconds', models.FloatField()),
                ('eta_seconds', models.FloatField(blank=True, null=True)),
                ('attempt', models.PositiveSmallIntegerField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('training_run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='progress_events', to='mlcore.trainingrun')),
            ],
            options={
                'ordering': ['training_run_id', 'epoch'],
                'constraints': [models.UniqueConstraint(fields=('training_run', 'epoch'), name='mlcore_trainingprogress_one_per_epoch')],
            },
        ),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
    ]
