from django.apps import AppConfig


class HarvestConfig(AppConfig):
    """Records for machines: OAI-PMH 2.0 and per-record Dublin Core XML / JSON-LD. No models:
    it reads the archive (apps.collections) through its selectors, tombstones included."""

    name = "apps.harvest"
    label = "harvest"
    verbose_name = "Harvesting"
