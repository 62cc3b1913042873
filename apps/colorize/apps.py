from django.apps import AppConfig


class ColorizeConfig(AppConfig):
    name = "apps.colorize"
    label = "colorize"
    verbose_name = "Colorization"
