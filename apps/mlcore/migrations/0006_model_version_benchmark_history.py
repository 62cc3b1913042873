"""Issue 13: benchmark scores on every model version, and the versions' history (who
activated what, and why when it was worse than the active one on the benchmark)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from archive_site.roles import grant

ROLE_PERMISSIONS = {"curator": ["view_modelversionevent"]}


def forwards(apps, schema_editor):
    grant(apps, "mlcore", ROLE_PERMISSIONS)
    # The history starts with what the rows already say: when each version was registered
    # and, for the active one, activated.
    ModelVersion = apps.get_model("mlcore", "ModelVersion")
    ModelVersionEvent = apps.get_model("mlcore", "ModelVersionEvent")
    for version in ModelVersion.objects.all():
        registered = ModelVersionEvent.objects.create(model_version=version, kind="registered", user_id=version.created_by_id, details={"backfilled": True})
        ModelVersionEvent.objects.filter(pk=registered.pk).update(created_at=version.created_at)
        if version.activated_at is not None:
            activated = ModelVersionEvent.objects.create(model_version=version, kind="activated", details={"backfilled": True})
            ModelVersionEvent.objects.filter(pk=activated.pk).update(created_at=version.activated_at)


class Migration(migrations.Migration):

    dependencies = [
        ('mlcore', '0003_squashed_0005_training_run_job_row'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name='modelversion',
            name='benchmark',
            field=models.JSONField(blank=True, default=dict, help_text='Scores on the fixed benchmark set, with its id, per seed and their spread (gan.benchmark.score).'),
        ),
        migrations.AlterField(
            model_name='curatedset',
            name='holdout_fraction',
            field=models.FloatField(default=0.1, help_text='Share of the colour photographs held out to evaluate a run (at least one).'),
        ),
        migrations.CreateModel(
            name='ModelVersionEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('registered', 'Registered'), ('benchmark_requested', 'Benchmark scoring requested'), ('benchmarked', 'Scored on the benchmark'), ('benchmark_failed', 'Benchmark scoring failed'), ('activated', 'Activated'), ('replaced', 'Replaced as the active version'), ('retired', 'Retired')], max_length=20)),
                ('reason', models.TextField(blank=True, help_text='Why, in the words of the person who did it (required to activate a worse version).')),
                ('details', models.JSONField(blank=True, default=dict, help_text='What the event concerned: the benchmark comparison, the other version, an error.')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('model_version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='mlcore.modelversion')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['created_at', 'pk'],
                'indexes': [models.Index(fields=['model_version', 'created_at'], name='mlcore_mve_version_time')],
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
