"""IIIF Presentation 3.0 documents: a Manifest per photograph, a Collection per collection.

A photograph's Manifest has one Canvas painted with the master through its image service;
when the photograph has an approved colorization, the painting body is a Choice of the
original and the colorization, the original first (the scan is the record, the
colorization a plausible guess). `navDate` is the earliest day of its EDTF date; `seeAlso`
points to its Dublin Core XML and JSON-LD records (apps.harvest); `rendering` offers the
master file when the requesting user's access level allows the master.
"""
from __future__ import annotations

import math
import mimetypes
from dataclasses import dataclass

import nh3
from django.urls import reverse

from apps.collections import iiif, selectors
from apps.collections.access import AccessLevel, photograph_access
from apps.collections.iiif_sources import photograph_image_identifier, photograph_image_size, service_limits
from apps.collections.models import RightsStatement

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
ARCHIVE_NAME = "Chroma Archive"
COLLECTION_PART_SIZE = 1000  # Manifests per Collection document; larger collections are split in parts
THUMBNAIL_BOX = 400


@dataclass(frozen=True)
class AlternativeImage:
    """An image shown as a choice beside the original on a photograph's Canvas."""

    image_identifier: str  # an identifier of the IIIF image service, e.g. "variant-12"
    width: int
    height: int
    label: str  # e.g. "AI colorization — model 1.2.0, seed 42"


def approved_colorization_for(photograph) -> AlternativeImage | None:
    """The photograph's approved colorization, for its Manifest.

    Hook for the colorize app: return an AlternativeImage for the photograph's approved
    variant (its image served under a prefix it registers with
    `iiif_sources.register_image_source`), or None when there is none.
    """
    return None


# Presentation 3.0 §4.4: a value that starts with "<" and ends with ">" is HTML, and only
# these elements and attributes may appear in it; everything else is removed.
HTML_TAGS = {"a", "b", "br", "i", "img", "p", "small", "span", "sub", "sup"}
HTML_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}


def presentation_html_clean(value: str) -> str:
    """`value` as IIIF clients will read it: plain text unchanged, HTML reduced to the
    Presentation 3 subset (scripts, styles, comments, other tags and attributes, and links
    other than http(s)/mailto removed), still wrapped in an element so it stays HTML."""
    text = value.strip()
    if not (text.startswith("<") and text.endswith(">")):
        return value
    cleaned = nh3.clean(
        text, tags=HTML_TAGS, attributes=HTML_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        link_rel=None, strip_comments=True,
    ).strip()
    return cleaned if cleaned.startswith("<") and cleaned.endswith(">") else f"<span>{cleaned}</span>"


def _text(value: str, language: str = "none") -> dict:
    return {language: [presentation_html_clean(value)]}


def _image_body(request, image_identifier: str, width: int, height: int, label: str | None = None) -> dict:
    service = request.build_absolute_uri(reverse("collections:iiif-image-base", args=[image_identifier]))
    max_width, max_height = iiif.max_size(width, height, service_limits())
    body = {
        "id": f"{service}/full/max/0/default.jpg",
        "type": "Image",
        "format": "image/jpeg",
        "width": max_width,
        "height": max_height,
        "service": [{"id": service, "type": "ImageService3", "profile": iiif.PROFILE}],
    }
    if label:
        body["label"] = _text(label, "en")
    return body


def image_request_path(image_identifier: str, width: int, height: int, box: int) -> str:
    """The path of a JPEG of the whole image that fits a box×box square (never upscaled)."""
    size = iiif.confined_size(width, height, box, box)
    return reverse("collections:iiif-image", args=[image_identifier, "full", size, "0", "default.jpg"])


def photograph_image_path(photograph, box: int) -> str:
    """The path of a JPEG of the whole photograph that fits a box×box square."""
    return image_request_path(photograph_image_identifier(photograph), *photograph_image_size(photograph), box)


def _thumbnail(request, image_identifier: str, width: int, height: int) -> list[dict]:
    service = request.build_absolute_uri(reverse("collections:iiif-image-base", args=[image_identifier]))
    return [
        {
            "id": request.build_absolute_uri(image_request_path(image_identifier, width, height, THUMBNAIL_BOX)),
            "type": "Image",
            "format": "image/jpeg",
            "service": [{"id": service, "type": "ImageService3", "profile": iiif.PROFILE}],
        }
    ]


def photograph_metadata(photograph) -> list[dict]:
    """Dublin Core fields as Presentation `metadata` label/value pairs, empty ones left out."""
    pairs = [
        ("Title", photograph.title),
        ("Identifier", photograph.identifier),
        ("Creator", photograph.creator),
        ("Date", photograph.date),
        ("Description", photograph.description),
        ("Subject", " | ".join(photograph.subjects)),
        ("Place", photograph.place),
        ("Source", photograph.source),
        ("Language", photograph.language),
        ("Format", photograph.format),
        ("Rights", RightsStatement(photograph.rights_uri).label if photograph.rights_uri else ""),
        ("Collection", photograph.collection.title),
    ]
    return [{"label": _text(label, "en"), "value": _text(str(value))} for label, value in pairs if value]


def photograph_manifest(photograph, *, request) -> dict:
    manifest_id = request.build_absolute_uri(reverse("collections:iiif-manifest", args=[photograph.pk]))
    canvas_id = f"{manifest_id}/canvas/1"
    width, height = photograph_image_size(photograph)
    original = _image_body(request, photograph_image_identifier(photograph), width, height)
    colorization = approved_colorization_for(photograph)
    if colorization is None:
        body = original
    else:
        original["label"] = _text("Original scan", "en")
        body = {
            "type": "Choice",
            "items": [original, _image_body(request, colorization.image_identifier, colorization.width, colorization.height, colorization.label)],
        }
    collection = photograph.collection
    attribution = f"{ARCHIVE_NAME}, {collection.title}"
    rights_label = RightsStatement(photograph.rights_uri).label if photograph.rights_uri else ""
    statement = ". ".join(part for part in (attribution, rights_label, photograph.rights_note.strip()) if part)
    manifest = {
        "@context": CONTEXT,
        "id": manifest_id,
        "type": "Manifest",
        "label": _text(photograph.display_title),
        "metadata": photograph_metadata(photograph),
        "requiredStatement": {"label": _text("Attribution", "en"), "value": _text(statement, "en")},
        "provider": [
            {
                "id": request.build_absolute_uri("/"),
                "type": "Agent",
                "label": _text(ARCHIVE_NAME, "en"),
                "homepage": [{"id": request.build_absolute_uri("/"), "type": "Text", "label": _text(ARCHIVE_NAME, "en"), "format": "text/html"}],
            }
        ],
        "homepage": [
            {
                "id": request.build_absolute_uri(reverse("collections:photograph", args=[photograph.pk])),
                "type": "Text",
                "label": _text(photograph.display_title),
                "format": "text/html",
            }
        ],
        "thumbnail": _thumbnail(request, photograph_image_identifier(photograph), width, height),
        "partOf": [{"id": request.build_absolute_uri(reverse("collections:iiif-collection", args=[collection.slug])), "type": "Collection"}],
        "items": [
            {
                "id": canvas_id,
                "type": "Canvas",
                "label": _text(photograph.display_title),
                "width": width,
                "height": height,
                "items": [
                    {
                        "id": f"{canvas_id}/page/1",
                        "type": "AnnotationPage",
                        "items": [
                            {
                                "id": f"{canvas_id}/page/1/annotation/1",
                                "type": "Annotation",
                                "motivation": "painting",
                                "body": body,
                                "target": canvas_id,
                            }
                        ],
                    }
                ],
            }
        ],
    }
    manifest["seeAlso"] = _see_also(request, "harvest:photograph-record-format", photograph.pk)
    if photograph.date_lower:
        manifest["navDate"] = f"{photograph.date_lower.isoformat()}T00:00:00Z"
    if photograph_access(photograph, request.user).allows(AccessLevel.MASTER):
        manifest["rendering"] = [{
            "id": request.build_absolute_uri(photograph.media_url("master")),
            "type": "Image",
            "label": _text("Master scan (original file)", "en"),
            "format": mimetypes.guess_type(photograph.original_filename or photograph.master.name)[0] or "application/octet-stream",
        }]
    if photograph.description:
        manifest["summary"] = _text(photograph.description)
    if photograph.rights_uri:
        manifest["rights"] = photograph.rights_uri
    return manifest


def _see_also(request, url_name: str, key) -> list[dict]:
    """The record as Dublin Core XML and as JSON-LD (schema.org), for machines."""
    return [
        {"id": request.build_absolute_uri(reverse(url_name, args=[key, "xml"])), "type": "Dataset", "format": "application/xml",
         "profile": "http://www.openarchives.org/OAI/2.0/oai_dc/", "label": _text("Dublin Core record", "en")},
        {"id": request.build_absolute_uri(reverse(url_name, args=[key, "jsonld"])), "type": "Dataset", "format": "application/ld+json",
         "profile": "https://schema.org/", "label": _text("JSON-LD record (schema.org, dcterms)", "en")},
    ]


def collection_document(collection, *, user, request, part: int | None = None) -> dict | None:
    """A IIIF Collection of the collection's sub-collections and photographs.

    Up to COLLECTION_PART_SIZE photographs are listed directly; a larger collection lists
    its photographs in part Collections of that size, so no document grows without bound.
    Returns None for a part that does not exist.
    """
    photographs = (
        selectors.photograph_visible_to(user)
        .filter(collection=collection)
        .order_by("identifier", "pk")
        .only("pk", "title", "identifier", "width", "height", "extra_metadata")
    )
    total = photographs.count()
    parts = math.ceil(total / COLLECTION_PART_SIZE)
    base_id = request.build_absolute_uri(reverse("collections:iiif-collection", args=[collection.slug]))
    if part is not None:
        if not 1 <= part <= parts or parts <= 1:
            return None
        start = (part - 1) * COLLECTION_PART_SIZE
        return {
            "@context": CONTEXT,
            "id": request.build_absolute_uri(reverse("collections:iiif-collection-part", args=[collection.slug, part])),
            "type": "Collection",
            "label": _text(f"{collection.title} — part {part} of {parts}", "en"),
            "partOf": [{"id": base_id, "type": "Collection"}],
            "items": [_manifest_reference(request, photo) for photo in photographs[start : start + COLLECTION_PART_SIZE]],
        }
    children = selectors.collection_visible_to(user).filter(parent=collection).order_by("title")
    items = [
        {
            "id": request.build_absolute_uri(reverse("collections:iiif-collection", args=[child.slug])),
            "type": "Collection",
            "label": _text(child.title),
        }
        for child in children
    ]
    if parts <= 1:
        items += [_manifest_reference(request, photo) for photo in photographs]
    else:
        items += [
            {
                "id": request.build_absolute_uri(reverse("collections:iiif-collection-part", args=[collection.slug, number])),
                "type": "Collection",
                "label": _text(f"{collection.title} — part {number} of {parts}", "en"),
            }
            for number in range(1, parts + 1)
        ]
    document = {
        "@context": CONTEXT,
        "id": base_id,
        "type": "Collection",
        "label": _text(collection.title),
        "requiredStatement": {"label": _text("Attribution", "en"), "value": _text(f"{ARCHIVE_NAME}, {collection.title}", "en")},
        "homepage": [
            {
                "id": request.build_absolute_uri(reverse("collections:collection", args=[collection.slug])),
                "type": "Text",
                "label": _text(collection.title),
                "format": "text/html",
            }
        ],
        "items": items,
        "seeAlso": _see_also(request, "harvest:collection-record-format", collection.slug),
    }
    if collection.description:
        document["summary"] = _text(collection.description)
    if collection.parent_id:
        document["partOf"] = [{"id": request.build_absolute_uri(reverse("collections:iiif-collection", args=[collection.parent.slug])), "type": "Collection"}]
    return document


def _manifest_reference(request, photograph) -> dict:
    return {
        "id": request.build_absolute_uri(reverse("collections:iiif-manifest", args=[photograph.pk])),
        "type": "Manifest",
        "label": _text(photograph.display_title),
        "thumbnail": _thumbnail(request, photograph_image_identifier(photograph), *photograph_image_size(photograph)),
    }
