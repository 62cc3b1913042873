from django.db import migrations

from archive_site.roles import grant

ROLE_PERMISSIONS = {
    "curator": ["view_modelversion", "add_modelversion", "change_modelversion"],
    "colorist": ["view_modelversion"],
    "archivist": ["view_modelversion"],
}


def forwards(apps, schema_editor):
    grant(apps, "mlcore", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("mlcore", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length"), ("contenttypes", "0002_remove_content_type_name")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
