from django.apps import AppConfig


class MlcoreConfig(AppConfig):
    name = "apps.mlcore"
    label = "mlcore"
    verbose_name = "Models"
