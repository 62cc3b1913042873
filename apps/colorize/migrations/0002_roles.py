from django.db import migrations

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


def forwards(apps, schema_editor):
    grant(apps, "colorize", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("colorize", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
