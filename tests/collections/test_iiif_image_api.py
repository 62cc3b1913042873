"""The IIIF Image API 3.0 parser, planner and renderer (apps/collections/iiif.py), without Django."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from apps.collections import iiif
from apps.collections.iiif import IIIFError, info_document, parse_request, plan_request, render

# A 10×10 grid of distinct colours, like the validator's test image: square (col, row) = COLOURS[col][row].
COLOURS = [[((col * 25) % 256, (row * 25) % 256, ((col + row) * 12) % 256) for row in range(10)] for col in range(10)]


def grid_image(width: int = 1000, height: int = 1000, fmt: str = "PNG", mode: str = "RGB") -> bytes:
    image = Image.new("RGB", (width, height))
    sw, sh = width // 10, height // 10
    for col in range(10):
        for row in range(10):
            image.paste(COLOURS[col][row], (col * sw, row * sh, (col + 1) * sw, (row + 1) * sh))
    if mode != "RGB":
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def request_plan(path: str, width: int = 1000, height: int = 1000, **kwargs) -> iiif.Plan:
    return plan_request(parse_request(*path.split("/")), width, height, **kwargs)


def rendered(path: str, master: bytes, **kwargs) -> Image.Image:
    image = Image.open(io.BytesIO(master))
    plan = request_plan(path, *image.size, **kwargs)
    return Image.open(io.BytesIO(render(plan, io.BytesIO(master))))


def centre_colour(image: Image.Image) -> tuple:
    return image.convert("RGB").getpixel((image.width // 2, image.height // 2))


def close(a, b, tolerance=6) -> bool:
    return all(abs(x - y) < tolerance for x, y in zip(a, b))


@pytest.mark.parametrize(
    ("path", "region", "size"),
    [
        ("full/max/0/default.jpg", (0, 0, 1000, 600), (1000, 600)),
        ("square/max/0/default.jpg", (200, 0, 600, 600), (600, 600)),
        ("10,20,300,200/max/0/default.jpg", (10, 20, 300, 200), (300, 200)),
        ("900,500,300,300/max/0/default.jpg", (900, 500, 100, 100), (100, 100)),  # clipped to the image
        ("pct:10,50,50,50/max/0/default.jpg", (100, 300, 500, 300), (500, 300)),
        ("full/500,/0/default.jpg", (0, 0, 1000, 600), (500, 300)),
        ("full/,300/0/default.jpg", (0, 0, 1000, 600), (500, 300)),
        ("full/400,400/0/default.jpg", (0, 0, 1000, 600), (400, 400)),
        ("full/!400,400/0/default.jpg", (0, 0, 1000, 600), (400, 240)),
        ("full/^!4000,4000/0/default.jpg", (0, 0, 1000, 600), (4000, 2400)),
        ("full/pct:25/0/default.jpg", (0, 0, 1000, 600), (250, 150)),
        ("full/^pct:150/0/default.jpg", (0, 0, 1000, 600), (1500, 900)),
        ("full/^1200,/0/default.jpg", (0, 0, 1000, 600), (1200, 720)),
        ("full/^max/0/default.jpg", (0, 0, 1000, 600), (1000, 600)),
    ],
)
def test_plan_resolves_region_and_size(path, region, size):
    plan = request_plan(path, 1000, 600)
    assert plan.region == region
    assert (plan.width, plan.height) == size


@pytest.mark.parametrize(
    "path",
    [
        "bogus/max/0/default.jpg",
        "0,0,0,10/max/0/default.jpg",  # empty region
        "1000,0,10,10/max/0/default.jpg",  # starts outside a 1000-wide image
        "pct:101,0,10,10/max/0/default.jpg",
        "-1,0,10,10/max/0/default.jpg",
        "full/full/0/default.jpg",  # 2.x syntax, gone in 3.0
        "full/1200,/0/default.jpg",  # upscaling without ^
        "full/!4000,4000/0/default.jpg",  # confined beyond the region is upscaling too (validator: size_noup)
        "full/pct:101/0/default.jpg",
        "full/!100,/0/default.jpg",
        "full/,/0/default.jpg",
        "full/0,/0/default.jpg",
        "full/pct:0/0/default.jpg",
        "full/max/361/default.jpg",
        "full/max/-90/default.jpg",
        "full/max/abc/default.jpg",
        "full/max/0/sepia.jpg",
        "full/max/0/default.bmp",
        "full/max/0/default",
    ],
)
def test_invalid_requests_are_400(path):
    with pytest.raises(IIIFError) as caught:
        request_plan(path, 1000, 600)
    assert caught.value.status == 400
    assert caught.value.message


AREA_ONLY = iiif.Limits(max_width=100_000, max_height=100_000, max_area=3_000_000)


def test_pixel_limit_scales_max_down_and_refuses_larger_explicit_sizes():
    plan = request_plan("full/max/0/default.jpg", 4000, 3000, limits=AREA_ONLY)
    assert plan.width * plan.height <= 3_000_000
    assert abs(plan.width / plan.height - 4 / 3) < 0.01
    with pytest.raises(IIIFError):
        request_plan("full/4000,3000/0/default.jpg", 4000, 3000, limits=AREA_ONLY)
    with pytest.raises(IIIFError):
        request_plan("full/^pct:1000/0/default.jpg", 1000, 1000, limits=AREA_ONLY)


LIMITS = iiif.Limits(max_width=10_000, max_height=10_000, max_area=100_000_000)


def test_limits_apply_to_the_output_after_rotation():
    # 9999×9999 fits every limit before rotation; turned 45° it is 14141×14141 (200 MP).
    request_plan("full/^9999,9999/0/default.png", limits=LIMITS)
    with pytest.raises(IIIFError) as caught:
        request_plan("full/^9999,9999/45/default.png", limits=LIMITS)
    assert "after rotation" in caught.value.message and "maxArea" in caught.value.message
    # A quarter turn swaps the sides: maxWidth applies to the height asked for.
    tall = iiif.Limits(max_width=1000, max_height=4000, max_area=100_000_000)
    request_plan("full/^1000,4000/0/default.jpg", limits=tall)
    with pytest.raises(IIIFError):
        request_plan("full/^1000,4000/90/default.jpg", limits=tall)
    # "max" is scaled down until the rotated image fits.
    plan = request_plan("full/max/45/default.jpg", 8000, 8000, limits=LIMITS)
    rotated = iiif.rotated_size(plan.width, plan.height, plan.degrees)
    assert LIMITS.fits(*rotated) and rotated[0] > 9_000


def test_rotated_size_is_the_size_rendered():
    master = grid_image(300, 200)
    for degrees in (0, 30, 45, 90, 137.5, 180, 270, 359):
        plan = request_plan(f"full/max/{degrees}/default.png", 300, 200)
        image = Image.open(io.BytesIO(render(plan, io.BytesIO(master))))
        assert image.size == iiif.rotated_size(300, 200, plan.degrees), degrees


@pytest.mark.parametrize(("path", "side"), [("full/^1,66000/0/default.jpg", 65_535), ("full/^1,20000/0/default.webp", 16_383), ("full/^20000,1/90/default.webp", 16_383)])
def test_sizes_past_the_encoders_limits_are_400(path, side):
    unlimited = iiif.Limits(max_width=10**9, max_height=10**9, max_area=10**12)
    with pytest.raises(IIIFError) as caught:
        request_plan(path, limits=unlimited)
    assert caught.value.status == 400 and f"at most {side} pixels" in caught.value.message


def test_confined_size_never_asks_for_upscaling():
    assert iiif.confined_size(300, 200, 400, 400) == "max"
    assert iiif.confined_size(3000, 200, 400, 400) == "!400,400"
    request_plan(f"full/{iiif.confined_size(300, 200, 400, 400)}/0/default.jpg", 300, 200)


def test_canonical_form():
    assert request_plan("full/max/0/default.jpg").canonical == "full/max/0/default.jpg"
    assert request_plan("pct:0,0,100,100/pct:50/360/color.png").canonical == "full/500,500/0/color.png"
    assert request_plan("square/!200,300/!90.50/gray.webp", 1000, 600).canonical == "200,0,600,600/200,200/!90.5/gray.webp"
    assert request_plan("0,0,100,100/^200,/0/default.jpg").canonical == "0,0,100,100/^200,200/0/default.jpg"


def test_render_region_and_size_keep_the_right_pixels():
    master = grid_image()
    image = rendered("300,700,100,100/50,50/0/default.png", master)
    assert image.size == (50, 50)
    assert close(centre_colour(image), COLOURS[3][7])
    image = rendered("pct:50,20,10,10/max/0/default.jpg", master)
    assert image.format == "JPEG" and image.size == (100, 100)
    assert close(centre_colour(image), COLOURS[5][2])


def test_render_from_jpeg_uses_reduced_decoding_and_maps_coordinates():
    master = grid_image(4000, 4000, fmt="JPEG")
    # A 1/8-scale request decodes the JPEG at 500×500; the region must still land on square (6, 1).
    image = rendered("2400,400,400,400/50,/0/default.png", master)
    assert image.size == (50, 50)
    assert close(centre_colour(image), COLOURS[6][1], tolerance=8)
    source = Image.open(io.BytesIO(master))
    source.draft(None, (500, 500))
    assert source.size == (500, 500)  # what render relies on: libjpeg's DCT scaling


def test_render_rotation_and_mirroring():
    master = grid_image()
    for rotation, expected_top_left in (("90", COLOURS[0][9]), ("180", COLOURS[9][9]), ("270", COLOURS[9][0]), ("!0", COLOURS[9][0]), ("!180", COLOURS[0][9])):
        image = rendered(f"full/max/{rotation}/default.png", master)
        assert image.size == (1000, 1000)
        assert close(image.convert("RGB").getpixel((50, 50)), expected_top_left), rotation
    tilted = rendered("full/max/45/default.png", master)
    assert tilted.size[0] > 1400 and tilted.mode == "RGBA"
    assert tilted.getpixel((2, 2))[3] == 0  # transparent corner
    tilted_jpeg = rendered("full/max/45/default.jpg", master)
    assert close(tilted_jpeg.getpixel((2, 2)), (255, 255, 255))


def test_render_qualities_and_formats():
    master = grid_image(200, 200)
    assert rendered("full/max/0/gray.png", master).mode == "L"
    assert rendered("full/max/0/color.png", master).mode == "RGB"
    bitonal = rendered("full/max/0/bitonal.png", master)
    assert {value for _, value in bitonal.convert("L").getcolors()} <= {0, 255}
    assert rendered("full/max/0/default.webp", master).format == "WEBP"
    assert rendered("full/max/0/default.tif", master).format == "TIFF"


def test_grayscale_and_16_bit_masters_stay_gray_by_default():
    gray = grid_image(200, 200, mode="L")
    assert rendered("full/max/0/default.jpg", gray).mode == "L"
    assert rendered("full/max/0/color.jpg", gray).mode == "RGB"
    pixels = np.zeros((64, 64), dtype=np.uint16)
    pixels[:, :32] = 40000
    deep = Image.fromarray(pixels)
    assert deep.mode == "I;16"
    buffer = io.BytesIO()
    deep.save(buffer, "TIFF")
    image = rendered("full/max/0/default.png", buffer.getvalue())
    assert image.mode == "L"
    assert abs(image.getpixel((10, 10)) - 40000 // 256) <= 1 and image.getpixel((50, 10)) == 0


def sideways_jpeg() -> bytes:
    """200×100 pixels, red left half, blue right half, tagged "rotate 90° clockwise to view"."""
    image = Image.new("RGB", (200, 100), (220, 20, 20))
    image.paste((20, 20, 220), (100, 0, 200, 100))
    exif = Image.Exif()
    exif[iiif.EXIF_ORIENTATION] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def test_exif_orientation_is_applied_like_the_derivatives_do():
    assert iiif.oriented_size(200, 100, 6) == (100, 200) and iiif.oriented_size(200, 100, 3) == (200, 100)
    master = sideways_jpeg()
    plan = request_plan("full/max/0/default.png", *iiif.oriented_size(200, 100, 6))
    upright = Image.open(io.BytesIO(render(plan, io.BytesIO(master))))
    assert upright.size == (100, 200)
    assert close(upright.getpixel((50, 40)), (220, 20, 20), 20) and close(upright.getpixel((50, 160)), (20, 20, 220), 20)
    plan = request_plan("0,100,100,100/50,/0/default.png", 100, 200)  # the lower half, upright: blue
    assert close(Image.open(io.BytesIO(render(plan, io.BytesIO(master)))).convert("RGB").getpixel((25, 25)), (20, 20, 220), 20)


def test_info_document_lists_tiles_and_sizes():
    info = info_document("https://example.org/iiif/3/photograph-1", 5000, 3000, rights="http://rightsstatements.org/vocab/NKC/1.0/")
    assert info["@context"] == "http://iiif.io/api/image/3/context.json"
    assert info["type"] == "ImageService3" and info["protocol"] == "http://iiif.io/api/image"
    assert info["profile"] == "level2" and (info["width"], info["height"]) == (5000, 3000)
    assert info["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1, 2, 4, 8, 16]}]
    assert info["sizes"][0] == {"width": 40, "height": 24} and info["sizes"][-1] == {"width": 5000, "height": 3000}
    assert "maxArea" not in info and "maxWidth" not in info
    assert info["rights"].startswith("http")
    limited = info_document("https://example.org/x", 20000, 20000, limits=LIMITS)
    assert (limited["maxWidth"], limited["maxHeight"], limited["maxArea"]) == (10_000, 10_000, 100_000_000)
    assert all(LIMITS.fits(size["width"], size["height"]) for size in limited["sizes"])


def test_a_master_past_pillows_bomb_limit_is_not_decoded_but_503():
    """Before its pyramid exists, a master Pillow refuses to open (over ~179 MP) answers
    503 (try again), not 500; its pyramid serves it once the derivatives job has run."""
    from tests.support import images

    plan = request_plan("0,0,512,512/512,/0/default.jpg", 30000, 30000)
    with pytest.raises(IIIFError) as caught:
        render(plan, io.BytesIO(images.png_bomb()))
    assert caught.value.status == 503 and "try again" in caught.value.message
