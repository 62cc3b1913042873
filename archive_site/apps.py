from django.apps import AppConfig


class ArchiveSiteConfig(AppConfig):
    """The project itself as an app: it hosts the project-wide management commands
    (ensure_admin, start, ping_worker)."""

    name = "archive_site"
    label = "archive_site"
    verbose_name = "Chroma Archive"
