import io

import numpy as np
import pytest
from PIL import Image

from apps.mlcore.gan.imageio import ImageReadError, luma_image, open_image


def _saved(image: Image.Image, fmt: str, **params) -> io.BytesIO:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("L", "PNG"), ("RGB", "PNG"), ("RGBA", "PNG"), ("P", "PNG"), ("LA", "PNG"), ("CMYK", "TIFF"), ("RGB", "JPEG"), ("1", "PNG")],
)
def test_every_eight_bit_mode_opens_and_reduces_to_luma(mode, fmt, make_rgb):
    source = make_rgb(40, 30, texture=0.0 if fmt == "JPEG" else 8.0)
    image = open_image(_saved(source.convert(mode), fmt, **({"quality": 95} if fmt == "JPEG" else {})))
    assert image.mode == mode and image.size == (40, 30)
    luma = luma_image(image)
    assert luma.mode == "L" and luma.size == (40, 30)
    expected = np.asarray(source.convert(mode).convert("RGB").convert("L"), dtype=int)
    error = np.abs(np.asarray(luma, dtype=int) - expected)
    assert (error.mean() < 1.5 and error.max() <= 8) if fmt == "JPEG" else error.max() == 0


@pytest.mark.parametrize("mode", ["I;16", "I"])
def test_sixteen_bit_scans_keep_sixteen_bit_luma(tmp_path, mode):
    samples = (np.arange(50 * 20, dtype=np.uint32).reshape(20, 50) * 61 + 7).astype(np.uint16)
    path = tmp_path / "scan.tif"
    source = Image.fromarray(samples)
    (source if mode == "I;16" else source.convert("I")).save(path)
    image = open_image(path)
    assert image.mode == mode
    luma = luma_image(image)
    assert luma.mode == "I;16"
    np.testing.assert_array_equal(np.asarray(luma), samples)


def test_exif_orientation_is_applied(make_rgb):
    source = make_rgb(60, 20, texture=0.0)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, displayed rotated 90° clockwise
    image = open_image(_saved(source, "JPEG", exif=exif, quality=95))
    assert image.size == (20, 60)
    luma = np.asarray(luma_image(image), dtype=int)

    def error(transpose):
        return np.abs(luma - np.asarray(source.transpose(transpose).convert("L"), dtype=int)).mean()

    assert error(Image.Transpose.ROTATE_270) < 1.5 < error(Image.Transpose.ROTATE_90)


@pytest.mark.parametrize(
    "payload",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40],
    ids=["empty", "text", "broken-png-header"],
)
def test_corrupt_input_raises_the_one_error(payload):
    with pytest.raises(ImageReadError):
        open_image(io.BytesIO(payload))


def test_truncated_jpeg_raises_the_one_error(tmp_path, make_rgb):
    data = _saved(make_rgb(200, 150), "JPEG").getvalue()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="cut.jpg"):
        open_image(path)


def test_missing_file_raises_the_one_error(tmp_path):
    with pytest.raises(ImageReadError):
        open_image(tmp_path / "nope.png")


def test_pixel_limit_refuses_before_decoding():
    buffer = _saved(Image.new("L", (300, 200)), "PNG")
    with pytest.raises(ImageReadError, match="megapixels"):
        open_image(buffer, max_pixels=300 * 200 - 1)
    buffer.seek(0)
    assert open_image(buffer, max_pixels=300 * 200).size == (300, 200)


def test_float_images_are_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "float.tif"
    Image.fromarray(np.zeros((4, 4), dtype=np.float32)).save(path)
    with pytest.raises(ImageReadError, match="mode F"):
        open_image(path)
