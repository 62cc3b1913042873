import io

import numpy as np
import pytest
from PIL import Image

from apps.mlcore.gan.provenance import FORMATS, IPTC_SOURCE_TYPE, read_provenance, save_variant

RECORD = {
    "model_name": "chroma-unet",
    "model_version": "1.0.0",
    "weights_sha256": "ab" * 32,
    "seed": 1234567890123,
    "parameters": {"working_size": 256},
    "request_id": "f3a1-é",
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_provenance_round_trips(tmp_path, rgb_image, fmt):
    path = tmp_path / f"variant{FORMATS[fmt]}"
    save_variant(rgb_image, path, format=fmt, provenance=RECORD)
    assert read_provenance(path) == {**RECORD, "label": "AI-colorized"}
    with Image.open(path) as image:
        assert image.format == {"png": "PNG", "tiff": "TIFF", "jpeg": "JPEG"}[fmt]
        assert image.size == rgb_image.size
        xmp = image.info["xmp"]
        assert IPTC_SOURCE_TYPE.encode() in (xmp if isinstance(xmp, bytes) else xmp.encode())
        if fmt != "jpeg":  # lossless formats keep every pixel
            np.testing.assert_array_equal(np.asarray(image.convert("RGB")), np.asarray(rgb_image))


def test_label_cannot_be_overridden(rgb_image):
    buffer = io.BytesIO()
    save_variant(rgb_image, buffer, format="png", provenance={"label": "original photograph", "seed": 1})
    buffer.seek(0)
    assert read_provenance(buffer)["label"] == "AI-colorized"


def test_xmp_alone_is_enough(rgb_image):
    buffer = io.BytesIO()
    save_variant(rgb_image, buffer, format="jpeg", provenance=RECORD)
    buffer.seek(0)
    stripped = io.BytesIO()
    with Image.open(buffer) as image:  # re-save keeping XMP but no EXIF
        image.save(stripped, format="JPEG", xmp=image.info["xmp"])
    stripped.seek(0)
    assert read_provenance(stripped)["seed"] == RECORD["seed"]


def test_file_without_provenance_reads_as_empty(rgb_image):
    buffer = io.BytesIO()
    rgb_image.save(buffer, format="PNG")
    buffer.seek(0)
    assert read_provenance(buffer) == {}


def test_unknown_format_is_refused(rgb_image):
    with pytest.raises(ValueError, match="format"):
        save_variant(rgb_image, io.BytesIO(), format="gif", provenance=RECORD)
