"""Colorization requests, variants, their review and annotations as they stand after the
migrations 0001 to 0003 it replaces (squashed by hand: one CreateModel a model, columns in the
order the old migrations left them), and the roles' permissions.

`replaces` stays while any installation or migration may still name the old migrations
(docs/ARCHITECTURE.md, "Migrations")."""
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from archive_site.roles import grant

ROLE_PERMISSIONS = {
    "colorist": [
        "add_colorizationrequest", "change_colorizationrequest", "view_colorizationrequest",
        "view_variant", "review_variant", "view_reviewevent",
        "add_annotation", "view_annotation",
    ],
    "curator": ["view_colorizationrequest", "view_variant", "view_reviewevent", "view_annotation"],
    "archivist": ["view_colorizationrequest", "view_variant", "view_reviewevent", "view_annotation"],
}


def grant_roles(apps, schema_editor):
    grant(apps, "colorize", ROLE_PERMISSIONS)


class Migration(migrations.Migration):

    replaces = [("colorize", "0001_initial"), ("colorize", "0002_roles"), ("colorize", "0003_job_row")]
    initial = True
    # auth and contenttypes (the roles' permissions) come before collections' migration.
    dependencies = [("collections", "0001_squashed_0008_embargo"), ("mlcore", "0001_squashed_0002_roles"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name='ColorizationRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seeds', models.JSONField(help_text='Seeds of the variants, in order (chosen at random and stored when only a count was asked).')),
                ('working_size', models.PositiveIntegerField(default=256, help_text='Short side, in pixels, the chroma is predicted at.')),
                ('params', models.JSONField(blank=True, default=dict, help_text="Other parameters; part of the request's identity.")),
                ('fingerprint', models.CharField(db_index=True, max_length=64)),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], db_index=True, default='queued', max_length=12)),
                ('progress', models.FloatField(default=0.0, validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)])),
                ('stage', models.CharField(blank=True, max_length=40)),
                ('error', models.TextField(blank=True, help_text='Why the last attempt failed or was re-queued.')),
                ('queue_name', models.CharField(default='gpu', help_text='Unprefixed RQ queue name.', max_length=40)),
                ('job_id', models.CharField(blank=True, help_text='The deterministic RQ job id; empty for work run in the foreground.', max_length=100)),
                ('attempts', models.PositiveSmallIntegerField(default=0, help_text='Runs started so far.')),
                ('max_attempts', models.PositiveSmallIntegerField(default=1, help_text='Runs allowed before it fails for good.')),
                ('timeout', models.PositiveIntegerField(help_text="Seconds one run may take (the queue's timeout when it was requested).")),
                ('cancel_requested', models.BooleanField(default=False)),
                ('timings', models.JSONField(blank=True, default=dict, help_text='Seconds per stage of the last run (model load, network, storage …).')),
                ('requested_at', models.DateTimeField(auto_now_add=True)),
                ('queued_at', models.DateTimeField(default=django.utils.timezone.now, help_text='When it last entered the queue (a re-run or re-queue resets it).')),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('model_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='colorization_requests', to='mlcore.modelversion')),
                ('photograph', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='colorization_requests', to='collections.photograph')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='colorization_requests', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-requested_at', '-pk'],
                'indexes': [models.Index(fields=['status', 'queued_at'], name='colorize_req_status_queued')],
                'constraints': [
                    models.UniqueConstraint(condition=models.Q(('status__in', ['queued', 'running'])), fields=('fingerprint',), name='colorize_request_one_active_per_fingerprint'),
                    models.CheckConstraint(condition=models.Q(('progress__gte', 0), ('progress__lte', 1)), name='colorize_request_progress_range'),
                ],
            },
        ),
        migrations.CreateModel(
            name='Variant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seed', models.BigIntegerField()),
                ('image', models.FileField(help_text='Full-resolution PNG, provenance embedded.', max_length=255, upload_to='colorizations/')),
                ('image_sha256', models.CharField(max_length=64)),
                ('thumbnail', models.FileField(max_length=255, upload_to='colorizations/')),
                ('width', models.PositiveIntegerField()),
                ('height', models.PositiveIntegerField()),
                ('provenance', models.JSONField(help_text='Also embedded in the file: model, weights sha256, seed, parameters, request, label.')),
                ('metrics', models.JSONField(blank=True, default=dict, help_text='colourfulness, diversity to siblings; ΔE2000 and colourfulness gap for colour originals.')),
                ('review_state', models.CharField(choices=[('pending', 'Pending review'), ('approved', 'Approved'), ('rejected', 'Rejected')], db_index=True, default='pending', max_length=10)),
                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('photograph', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='variants', to='collections.photograph')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='variants', to='colorize.colorizationrequest')),
                ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['request_id', 'pk'],
                'permissions': [('review_variant', 'Can approve, reject and reopen variants')],
                'constraints': [
                    models.UniqueConstraint(condition=models.Q(('review_state', 'approved')), fields=('photograph',), name='colorize_variant_one_approved_per_photograph'),
                    models.UniqueConstraint(fields=('request', 'seed'), name='colorize_variant_request_seed_unique'),
                ],
            },
        ),
        migrations.CreateModel(
            name='ReviewEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('approve', 'Approved'), ('reject', 'Rejected'), ('reopen', 'Reopened'), ('replace', 'Replaced by another approval')], max_length=10)),
                ('from_state', models.CharField(choices=[('pending', 'Pending review'), ('approved', 'Approved'), ('rejected', 'Rejected')], max_length=10)),
                ('to_state', models.CharField(choices=[('pending', 'Pending review'), ('approved', 'Approved'), ('rejected', 'Rejected')], max_length=10)),
                ('note', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('photograph', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='collections.photograph')),
                ('replaced_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='colorize.variant')),
                ('variant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='review_events', to='colorize.variant')),
            ],
            options={
                'ordering': ['created_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='Annotation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField()),
                ('x', models.FloatField(blank=True, null=True)),
                ('y', models.FloatField(blank=True, null=True)),
                ('w', models.FloatField(blank=True, null=True)),
                ('h', models.FloatField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('variant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='annotations', to='colorize.variant')),
            ],
            options={
                'ordering': ['created_at', 'pk'],
                'constraints': [
                    models.CheckConstraint(condition=models.Q(models.Q(('h__isnull', True), ('w__isnull', True), ('x__isnull', True), ('y__isnull', True)),
                    models.Q(('h__gt', 0), ('h__lte', 1), ('w__gt', 0), ('w__lte', 1), ('x__gte', 0), ('x__lte', 1), ('y__gte', 0), ('y__lte', 1)), _connector='OR'), name='colorize_annotation_region_normalised'),
                ],
            },
        ),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
    ]
