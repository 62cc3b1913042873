from django.core.management.base import BaseCommand

from apps.mlcore.services import model_version_ensure_default


class Command(BaseCommand):
    help = "Register the model weights shipped in the repository and activate them if no version is active."

    def handle(self, *args, **options):
        version = model_version_ensure_default()
        if version is None:
            self.stdout.write(self.style.WARNING("No shipped weights found; colorization needs a model version (see docs/MODEL_CARD.md)."))
        else:
            self.stdout.write(f"Default model: {version} ({version.status}, sha256 {version.weights_sha256[:12]}…)")
