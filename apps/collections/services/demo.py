"""The demo collection a newcomer sees on first start: real photographs shipped inside
scikit-image (no download), catalogued with their creators and licences as scikit-image's
`skimage.data` documents them, ingested through the ordinary ingest service."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from ..models import Collection, MetadataChange, Photograph, RightsStatement
from .collections import collection_create
from .ingest import IngestRefused, photograph_ingest

FONDS = {"slug": "demo", "title": "Sample photographs (scikit-image)", "description": (
    "Photographs from the sample data that ships with the scikit-image Python package, "
    "used here as a small demonstration archive. Creators and licences are those given in "
    "scikit-image's documentation of skimage.data."
)}
SERIES = {
    "bw": {"slug": "demo-black-and-white", "title": "Black-and-white photographs", "description": "Grayscale photographs: candidates for colorization."},
    "colour": {"slug": "demo-colour", "title": "Colour photographs", "description": "Colour photographs: ground truth for training and evaluation."},
}

# (series, file in skimage/data, metadata). Licence notes quote skimage.data's docstrings.
PHOTOGRAPHS: list[tuple[str, str, dict]] = [
    ("bw", "camera.png", {
        "identifier": "SKI-001", "title": "Photographer with a camera on a tripod", "creator": "Varshney, Lav",
        "subjects": ["Photographers", "Cameras", "Tripods"], "rights_uri": RightsStatement.CC0,
        "rights_note": "No copyright restrictions. CC0 by the photographer (Lav Varshney).",
        "description": "The gray-level 'camera' image of scikit-image (since version 0.18).",
    }),
    ("bw", "coins.png", {
        "identifier": "SKI-002", "title": "Greek coins from Pompeii", "creator": "Brooklyn Museum",
        "subjects": ["Coins", "Numismatics", "Antiquities"], "place": "Pompeii, Italy",
        "rights_uri": RightsStatement.NO_KNOWN_COPYRIGHT,
        "rights_note": "No known copyright restrictions. From the Brooklyn Museum Collection.",
        "description": "Several coins outlined against a gray background.",
        "source": "https://www.brooklynmuseum.org/opencollection/archives/image/51611",
    }),
    ("bw", "clock_motion.png", {
        "identifier": "SKI-003", "title": "Wall clock, motion blurred", "creator": "van der Walt, Stefan",
        "subjects": ["Clocks", "Motion blur"], "rights_uri": RightsStatement.PUBLIC_DOMAIN_MARK,
        "rights_note": "Released into the public domain by the photographer (Stefan van der Walt).",
        "description": "Taken while moving the camera in an approximately horizontal direction.",
    }),
    ("bw", "brick.png", {
        "identifier": "SKI-004", "title": "Brick wall", "creator": "CC0Textures",
        "subjects": ["Brick walls", "Textures"], "rights_uri": RightsStatement.CC0,
        "rights_note": "Licensed under the Creative Commons CC0 License (CC0Textures, Bricks25); perspective-transformed, rotated and cropped by scikit-image.",
        "source": "https://cc0textures.com/view.php?tex=Bricks25",
    }),
    ("colour", "astronaut.png", {
        "identifier": "SKI-101", "title": "Astronaut Eileen Collins", "creator": "NASA",
        "subjects": ["Astronauts", "Portraits", "Space Shuttle program"], "rights_uri": RightsStatement.PUBLIC_DOMAIN_MARK,
        "rights_note": "No known copyright restrictions, released into the public domain (NASA Great Images database).",
        "description": "Eileen Collins, selected as an astronaut in 1992, first piloted the space shuttle on STS-63 in 1995.",
        "source": "https://flic.kr/p/r9qvLn", "language": "en",
    }),
    ("colour", "coffee.png", {
        "identifier": "SKI-102", "title": "Coffee cup", "creator": "Michetti, Rachel",
        "subjects": ["Coffee", "Cups"], "rights_uri": RightsStatement.CC0,
        "rights_note": "No copyright restrictions. CC0 by the photographer (Rachel Michetti). Courtesy of Pikolo Espresso Bar.",
    }),
    ("colour", "chelsea.png", {
        "identifier": "SKI-103", "title": "Chelsea the cat", "creator": "van der Walt, Stefan",
        "subjects": ["Cats"], "rights_uri": RightsStatement.CC0,
        "rights_note": "No copyright restrictions. CC0 by the photographer (Stefan van der Walt).",
    }),
    ("colour", "rocket.jpg", {
        "identifier": "SKI-104", "title": "Launch of DSCOVR on Falcon 9", "creator": "SpaceX", "date": "2015-02-11",
        "subjects": ["Rockets", "Space launches"], "place": "Space Launch Complex 40, Cape Canaveral Air Force Station, Florida",
        "rights_uri": RightsStatement.PUBLIC_DOMAIN_MARK,
        "rights_note": "Captured by SpaceX and released into the public domain.",
        "source": "https://www.flickr.com/photos/spacexphotos/16511594820/",
    }),
    ("colour", "hubble_deep_field.jpg", {
        "identifier": "SKI-105", "title": "Hubble eXtreme Deep Field", "creator": "NASA", "date": "2012",
        "subjects": ["Galaxies", "Astronomy"], "rights_uri": RightsStatement.PUBLIC_DOMAIN_MARK,
        "rights_note": "Captured by NASA; may be freely used in the public domain.",
        "source": "http://hubblesite.org/newscenter/archive/releases/2012/37/image/a/",
    }),
]


@dataclass(frozen=True)
class DemoResult:
    created: int
    skipped: int
    reason: str = ""


def _data_dir() -> Path:
    from skimage import data

    return Path(data.data_dir)


@transaction.atomic
def demo_data_load(*, user=None, if_empty: bool = False) -> DemoResult:
    """Create the published demo fonds with its two series and photographs. Running it again
    adds only what is missing; with `if_empty`, nothing happens when any photograph exists."""
    if if_empty and Photograph.objects.exists():
        return DemoResult(created=0, skipped=0, reason="the archive is not empty")
    fonds = Collection.objects.filter(slug=FONDS["slug"]).first() or collection_create(user=user, is_published=True, **FONDS)
    series = {
        key: Collection.objects.filter(slug=spec["slug"]).first() or collection_create(user=user, parent=fonds, is_published=True, **spec)
        for key, spec in SERIES.items()
    }
    created = skipped = 0
    for key, filename, metadata in PHOTOGRAPHS:
        path = _data_dir() / filename
        if not path.is_file() or Photograph.objects.filter(collection=series[key], identifier=metadata["identifier"]).exists():
            skipped += 1
            continue
        with open(path, "rb") as master:
            try:
                photograph_ingest(
                    collection=series[key], file=master, filename=filename, user=user, source=MetadataChange.Source.COMMAND,
                    metadata={**metadata, "source": metadata.get("source") or f"scikit-image sample data (skimage/data/{filename})"},
                )
            except IngestRefused:
                skipped += 1
                continue
        created += 1
    return DemoResult(created=created, skipped=skipped)
