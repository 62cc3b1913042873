"""The model registry (ModelVersion) as it stands after the migrations 0001 and 0002 it
replaces, and the roles' permissions on it. The curated sets and training runs are the next
squashed migration: they point at colorize's variants, whose requests point back at
ModelVersion, so one migration for all of mlcore would be a dependency cycle.

`replaces` stays while any installation or migration may still name the old migrations
(docs/ARCHITECTURE.md, "Migrations")."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from archive_site.roles import grant

ROLE_PERMISSIONS = {
    "curator": ["view_modelversion", "add_modelversion", "change_modelversion"],
    "colorist": ["view_modelversion"],
    "archivist": ["view_modelversion"],
}


def grant_roles(apps, schema_editor):
    grant(apps, "mlcore", ROLE_PERMISSIONS)


class Migration(migrations.Migration):

    replaces = [("mlcore", "0001_initial"), ("mlcore", "0002_roles")]
    initial = True
    dependencies = [("auth", "0012_alter_user_first_name_max_length"), ("contenttypes", "0002_remove_content_type_name"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name='ModelVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('version', models.CharField(help_text='Semantic version, e.g. 1.0.0', max_length=40)),
                ('weights', models.FileField(max_length=255, upload_to='models/')),
                ('weights_sha256', models.CharField(db_index=True, max_length=64)),
                ('config', models.JSONField(default=dict, help_text='Architecture config, also stored inside the checkpoint.')),
                ('training_data', models.JSONField(blank=True, default=dict, help_text='Summary of the data it was trained on.')),
                ('metrics', models.JSONField(blank=True, default=dict, help_text='Evaluation metrics (evaluate_gan).')),
                ('status', models.CharField(choices=[('candidate', 'Candidate'), ('active', 'Active'), ('retired', 'Retired')], default='candidate', max_length=12)),
                ('notes', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('activated_at', models.DateTimeField(blank=True, null=True)),
                ('base_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='derived', to='mlcore.modelversion')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at'],
                'constraints': [
                    models.UniqueConstraint(fields=('name', 'version'), name='mlcore_modelversion_name_version_unique'),
                    models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('status',), name='mlcore_modelversion_one_active'),
                ],
            },
        ),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
    ]
