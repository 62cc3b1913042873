"""The archive's tables as they stand after the migrations 0001 to 0008 it replaces (squashed
by hand: one CreateModel a model, columns in the order the old migrations left them), the
trigger that keeps Photograph.search_vector current, and the roles' permissions.

`replaces` stays while any installation or migration may still name the old migrations
(docs/ARCHITECTURE.md, "Migrations"). The old 0006 filled the job-row fields of existing
imports; the table is created empty here, so that step has nothing to do and is gone."""
import django.contrib.postgres.fields
import django.contrib.postgres.fields.ranges
import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from archive_site.roles import grant

# Keep Photograph.search_vector current on every insert and update, whatever the write path
# (save, bulk_create, QuerySet.update, raw SQL). Weights: A title and identifier, B creator
# and subjects, C place, D description. The text search configuration is 'english'; the
# selectors query with the same one (selectors.SEARCH_CONFIG).
SEARCH_VECTOR_TRIGGER = r"""
CREATE FUNCTION collections_photograph_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.identifier, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.creator, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(array_to_string(NEW.subjects, ' '), '')), 'B') ||
        setweight(to_tsvector('english', coalesce(NEW.place, '')), 'C') ||
        setweight(to_tsvector('english', coalesce(NEW.description, '')), 'D');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER collections_photograph_search_vector
    BEFORE INSERT OR UPDATE ON collections_photograph
    FOR EACH ROW EXECUTE FUNCTION collections_photograph_search_vector();
"""

DROP_SEARCH_VECTOR_TRIGGER = r"""
DROP TRIGGER IF EXISTS collections_photograph_search_vector ON collections_photograph;
DROP FUNCTION IF EXISTS collections_photograph_search_vector();
"""

ROLE_PERMISSIONS = {
    "archivist": [
        "add_collection", "change_collection", "delete_collection", "view_collection",
        "add_photograph", "change_photograph", "delete_photograph", "view_photograph",
        "view_metadatachange", "add_csvimport", "view_csvimport",
        "view_unpublished",
    ],
    "colorist": ["view_collection", "view_photograph", "view_metadatachange", "view_unpublished"],
    "curator": ["view_collection", "view_photograph", "view_metadatachange", "view_unpublished"],
}


def grant_roles(apps, schema_editor):
    grant(apps, "collections", ROLE_PERMISSIONS)


class Migration(migrations.Migration):

    replaces = [
        ("collections", "0001_initial"), ("collections", "0002_search_vector_trigger"), ("collections", "0003_roles"),
        ("collections", "0004_photograph_date_range_and_indexes"), ("collections", "0005_csv_import_attempts"),
        ("collections", "0006_csv_import_job_row"), ("collections", "0007_tombstones_and_change_index"), ("collections", "0008_embargo"),
    ]
    initial = True
    dependencies = [("auth", "0012_alter_user_first_name_max_length"), ("contenttypes", "0002_remove_content_type_name"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name='Collection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=255)),
                ('slug', models.SlugField(max_length=120, unique=True)),
                ('description', models.TextField(blank=True)),
                ('path', models.CharField(db_index=True, default='', editable=False, max_length=1000)),
                ('is_published', models.BooleanField(db_index=True, default=False)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='collections.collection')),
                ('embargo_until', models.DateField(blank=True, help_text="Until this day the public gets the metadata only of its photographs (and its descendants').", null=True)),
            ],
            options={
                'ordering': ['path'],
                'permissions': [('view_unpublished', 'Can see unpublished collections and their photographs')],
                'indexes': [models.Index(fields=['path'], name='collections_path_prefix', opclasses=['varchar_pattern_ops'])],
            },
        ),
        migrations.CreateModel(
            name='CsvImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('csv_file', models.FileField(max_length=255, upload_to='imports/')),
                ('zip_file', models.FileField(blank=True, max_length=255, null=True, upload_to='imports/')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], db_index=True, default='queued', max_length=12)),
                ('total_rows', models.PositiveIntegerField(default=0)),
                ('processed_rows', models.PositiveIntegerField(default=0)),
                ('created_count', models.PositiveIntegerField(default=0)),
                ('updated_count', models.PositiveIntegerField(default=0)),
                ('unchanged_count', models.PositiveIntegerField(default=0)),
                ('error_count', models.PositiveIntegerField(default=0)),
                ('report', models.JSONField(blank=True, default=dict, help_text="{'rows': [...], 'errors': [...]}")),
                ('error', models.TextField(blank=True, help_text='Why the last attempt failed or was re-queued.')),
                ('job_id', models.CharField(blank=True, help_text='The deterministic RQ job id; empty for work run in the foreground.', max_length=100)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('collection', models.ForeignKey(blank=True, help_text='Used for rows without a collection column.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='csv_imports', to='collections.collection')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('attempts', models.PositiveSmallIntegerField(default=0, help_text='Runs started so far.')),
                ('cancel_requested', models.BooleanField(default=False)),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('max_attempts', models.PositiveSmallIntegerField(default=1, help_text='Runs allowed before it fails for good.')),
                ('queued_at', models.DateTimeField(default=django.utils.timezone.now, help_text='When it last entered the queue (a re-run or re-queue resets it).')),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='Photograph',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('identifier', models.CharField(help_text='Accession number, unique within the collection (dc:identifier).', max_length=120)),
                ('title', models.CharField(blank=True, max_length=500)),
                ('creator', models.CharField(blank=True, max_length=255)),
                ('date', models.CharField(blank=True, help_text='EDTF, e.g. 1920~ (circa 1920), 192X, 1914/1918.', max_length=100)),
                ('date_lower', models.DateField(blank=True, editable=False, null=True)),
                ('date_upper', models.DateField(blank=True, editable=False, null=True)),
                ('description', models.TextField(blank=True)),
                ('subjects', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=200), blank=True, default=list, size=None)),
                ('place', models.CharField(blank=True, help_text='Spatial coverage (dc:coverage).', max_length=255)),
                ('source', models.CharField(blank=True, max_length=500)),
                ('language', models.CharField(blank=True, max_length=50)),
                ('format', models.CharField(blank=True, help_text="dc:format; the master's MIME type unless given.", max_length=100)),
                ('rights_uri', models.CharField(choices=[('http://rightsstatements.org/vocab/InC/1.0/', 'In Copyright'), ('http://rightsstatements.org/vocab/InC-OW-EU/1.0/', 'In Copyright - EU Orphan Work'), ('http://rightsstatements.org/vocab/InC-EDU/1.0/', 'In Copyright - Educational Use Permitted'), ('http://rightsstatements.org/vocab/InC-NC/1.0/', 'In Copyright - Non-Commercial Use Permitted'), ('http://rightsstatements.org/vocab/InC-RUU/1.0/', 'In Copyright - Rights-holder(s) Unlocatable or Unidentifiable'), ('http://rightsstatements.org/vocab/NoC-CR/1.0/', 'No Copyright - Contractual Restrictions'), ('http://rightsstatements.org/vocab/NoC-NC/1.0/', 'No Copyright - Non-Commercial Use Only'), ('http://rightsstatements.org/vocab/NoC-OKLR/1.0/', 'No Copyright - Other Known Legal Restrictions'), ('http://rightsstatements.org/vocab/NoC-US/1.0/', 'No Copyright - United States'), ('http://rightsstatements.org/vocab/CNE/1.0/', 'Copyright Not Evaluated'), ('http://rightsstatements.org/vocab/UND/1.0/', 'Copyright Undetermined'), ('http://rightsstatements.org/vocab/NKC/1.0/', 'No Known Copyright'), ('https://creativecommons.org/publicdomain/zero/1.0/', 'CC0 1.0 Universal (Public Domain Dedication)'), ('https://creativecommons.org/publicdomain/mark/1.0/', 'Public Domain Mark 1.0')], default='http://rightsstatements.org/vocab/CNE/1.0/', max_length=120)),
                ('rights_note', models.TextField(blank=True)),
                ('extra_metadata', models.JSONField(blank=True, default=dict, help_text="Anything else; EXIF under 'exif'.")),
                ('master', models.FileField(max_length=255, upload_to='masters/')),
                ('original_filename', models.CharField(blank=True, max_length=255)),
                ('sha256', models.CharField(db_index=True, max_length=64)),
                ('file_size', models.BigIntegerField()),
                ('width', models.PositiveIntegerField()),
                ('height', models.PositiveIntegerField()),
                ('mode', models.CharField(help_text='Pillow mode, e.g. L, RGB, I;16.', max_length=16)),
                ('bit_depth', models.PositiveSmallIntegerField(help_text='Bits per channel.')),
                ('is_grayscale', models.BooleanField(db_index=True)),
                ('thumbnail', models.ImageField(blank=True, max_length=255, null=True, upload_to='derivatives/')),
                ('display', models.ImageField(blank=True, max_length=255, null=True, upload_to='derivatives/')),
                ('derivatives_status', models.CharField(choices=[('pending', 'Pending'), ('ready', 'Ready'), ('failed', 'Failed')], default='pending', max_length=10)),
                ('derivatives_error', models.TextField(blank=True)),
                ('has_approved_colorization', models.BooleanField(db_index=True, default=False)),
                ('search_vector', django.contrib.postgres.search.SearchVectorField(editable=False, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('collection', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='photographs', to='collections.collection')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('date_range', models.GeneratedField(db_persist=True, expression=models.Case(models.When(date_lower__isnull=True, date_upper__isnull=True, then=models.Value(None)), default=models.Func(models.F('date_lower'), models.F('date_upper'), models.Value('[]'), function='daterange'), output_field=django.contrib.postgres.fields.ranges.DateRangeField()), output_field=django.contrib.postgres.fields.ranges.DateRangeField())),
                ('embargo_until', models.DateField(blank=True, help_text='Until this day the public gets the metadata only.', null=True)),
            ],
            options={
                'ordering': ['collection_id', 'identifier'],
                'indexes': [
                    django.contrib.postgres.indexes.GinIndex(fields=['search_vector'], name='collections_photo_search_gin'),
                    django.contrib.postgres.indexes.GinIndex(fields=['subjects'], name='collections_photo_subjects_gin'),
                    models.Index(fields=['date_lower', 'date_upper'], name='collections_photo_dates'),
                    models.Index(fields=['date_upper'], name='collections_photo_date_upper'),
                    models.Index(fields=['rights_uri'], name='collections_photo_rights'),
                    models.Index(fields=['collection', 'created_at'], name='collections_photo_coll_created'),
                    django.contrib.postgres.indexes.GistIndex(fields=['date_range'], name='collections_photo_date_range'),
                    models.Index(fields=['identifier', 'id'], name='collections_photo_identifier'),
                    models.Index(fields=['updated_at', 'id'], name='collections_photo_changes'),
                ],
                'constraints': [
                    models.UniqueConstraint(fields=('collection', 'identifier'), name='collections_photograph_identifier_unique'),
                    models.UniqueConstraint(fields=('collection', 'sha256'), name='collections_photograph_sha256_unique'),
                ],
            },
        ),
        migrations.CreateModel(
            name='MetadataChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('changed_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('field', models.CharField(max_length=64)),
                ('old_value', models.TextField(blank=True)),
                ('new_value', models.TextField(blank=True)),
                ('source', models.CharField(choices=[('api', 'API'), ('portal', 'Portal'), ('admin', 'Admin'), ('csv', 'CSV import'), ('command', 'Management command'), ('system', 'System')], default='api', max_length=10)),
                ('collection', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='history', to='collections.collection')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('photograph', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='history', to='collections.photograph')),
            ],
            options={
                'ordering': ['-changed_at', '-id'],
                'constraints': [
                    models.CheckConstraint(condition=models.Q(models.Q(('collection__isnull', True), ('photograph__isnull', False)),
                    models.Q(('collection__isnull', False), ('photograph__isnull', True)), _connector='OR'), name='collections_metadatachange_one_subject'),
                ],
            },
        ),
        migrations.CreateModel(
            name='Tombstone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('photograph_id', models.BigIntegerField(help_text="The photograph's id (the row may be gone).", unique=True)),
                ('identifier', models.CharField(help_text='Its accession number.', max_length=120)),
                ('set_spec', models.CharField(help_text='Its OAI-PMH set when it was last public (parent:child slugs).', max_length=1000)),
                ('datestamp', models.DateTimeField(help_text='When it left public view.')),
                ('reason', models.CharField(choices=[('deleted', 'Deleted'), ('withdrawn', 'Withdrawn from public view')], max_length=10)),
                ('collection', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='collections.collection')),
            ],
            options={
                'ordering': ['datestamp', 'photograph_id'],
                'indexes': [models.Index(fields=['datestamp', 'photograph_id'], name='collections_tombstone_keyset')],
            },
        ),
        migrations.RunSQL(SEARCH_VECTOR_TRIGGER, DROP_SEARCH_VECTOR_TRIGGER),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
    ]
