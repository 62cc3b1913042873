from django.db import migrations

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


def forwards(apps, schema_editor):
    grant(apps, "mlcore", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("mlcore", "0003_curated_sets_training_runs"), ("auth", "0012_alter_user_first_name_max_length"), ("contenttypes", "0002_remove_content_type_name")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
