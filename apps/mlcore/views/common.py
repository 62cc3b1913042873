"""What the model app's portal pages share: streaming stored images, metric tables."""
from __future__ import annotations

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from ..gan.evaluate import COLUMNS

# Metrics where a lower value is better; the others (PSNR, SSIM, diversity) higher.
LOWER_IS_BETTER = {"delta_e2000", "ms_per_megapixel"}
SAMPLE_KINDS = ("original", "grayscale", "base", "candidate")


def comparison_rows(candidate: dict, base: dict) -> list[dict]:
    """Rows of a base-vs-candidate table: metric, both values, and which is better."""
    rows = []
    for key, title in COLUMNS:
        new, old = candidate.get(key), base.get(key)
        better = None
        if new is not None and old is not None and new != old:
            if key == "colourfulness_gap":
                better = abs(new) < abs(old)
            else:
                better = (new < old) if key in LOWER_IS_BETTER else (new > old)
        rows.append({"key": key, "title": title, "candidate": new, "base": old, "better": better})
    return rows


def stream(field_file_or_name):
    """A stored file (a FieldFile or a storage name) as a private, cacheable response."""
    name = getattr(field_file_or_name, "name", field_file_or_name)
    if not name or not default_storage.exists(name):
        raise Http404("No such image.")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
