from django.db import migrations

from archive_site.roles import grant

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


def forwards(apps, schema_editor):
    grant(apps, "collections", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("collections", "0002_search_vector_trigger"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
