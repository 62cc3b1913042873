"""A photograph or a collection as a record for machines: Dublin Core elements (for OAI-PMH
`oai_dc` and the DC XML record) and JSON-LD (dcterms and schema.org `Photograph`). Pure
functions of the row and the URLs it links to; the views decide who may see what."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse

from apps.collections.models import Collection, Photograph, RightsStatement

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
for prefix, uri in (("oai_dc", OAI_DC), ("dc", DC), ("xsi", XSI)):
    ET.register_namespace(prefix, uri)

# Absolute URL of a path (request.build_absolute_uri).
Absolute = Callable[[str], str]


def photograph_page_url(photograph: Photograph, absolute: Absolute) -> str:
    return absolute(reverse("collections:photograph", args=[photograph.pk]))


def collection_page_url(collection: Collection, absolute: Absolute) -> str:
    return absolute(reverse("collections:collection", args=[collection.slug]))


def photograph_dublin_core(photograph: Photograph, absolute: Absolute) -> list[tuple[str, str]]:
    """(element, value) pairs of the fifteen-element Dublin Core, empty ones left out."""
    rights_label = RightsStatement(photograph.rights_uri).label if photograph.rights_uri else ""
    elements = [
        ("title", photograph.display_title),
        ("creator", photograph.creator),
        *[("subject", subject) for subject in photograph.subjects],
        ("description", photograph.description),
        ("publisher", settings.OAI_REPOSITORY_NAME),
        ("date", photograph.date),
        ("type", "StillImage"),
        ("format", photograph.format or "image/jpeg"),
        ("identifier", photograph.identifier),
        ("identifier", photograph_page_url(photograph, absolute)),
        ("source", photograph.source),
        ("language", photograph.language),
        ("relation", collection_page_url(photograph.collection, absolute)),
        ("coverage", photograph.place),
        ("rights", photograph.rights_uri),
        ("rights", rights_label),
        ("rights", photograph.rights_note),
    ]
    return [(name, str(value).strip()) for name, value in elements if value and str(value).strip()]


def collection_dublin_core(collection: Collection, absolute: Absolute, parent: Collection | None = None) -> list[tuple[str, str]]:
    elements = [
        ("title", collection.title),
        ("description", collection.description),
        ("publisher", settings.OAI_REPOSITORY_NAME),
        ("type", "Collection"),
        ("identifier", collection.slug),
        ("identifier", collection_page_url(collection, absolute)),
        ("relation", collection_page_url(parent, absolute) if parent else ""),
    ]
    return [(name, value.strip()) for name, value in elements if value and value.strip()]


def oai_dc_element(elements: list[tuple[str, str]]) -> ET.Element:
    """<oai_dc:dc> holding the elements, as OAI-PMH's oai_dc schema defines it."""
    root = ET.Element(f"{{{OAI_DC}}}dc", {f"{{{XSI}}}schemaLocation": f"{OAI_DC} {OAI_DC_SCHEMA}"})
    for name, value in elements:
        ET.SubElement(root, f"{{{DC}}}{name}").text = value
    return root


def dublin_core_xml(elements: list[tuple[str, str]]) -> bytes:
    return ET.tostring(oai_dc_element(elements), encoding="utf-8", xml_declaration=True)


JSONLD_CONTEXT = {"@vocab": "https://schema.org/", "dcterms": "http://purl.org/dc/terms/"}


def photograph_json_ld(photograph: Photograph, absolute: Absolute, *, manifest_url: str | None) -> dict:
    """schema.org `Photograph` with the same facts as dcterms properties."""
    page = photograph_page_url(photograph, absolute)
    record: dict = {
        "@context": JSONLD_CONTEXT,
        "@id": page,
        "@type": "Photograph",
        "name": photograph.display_title,
        "dcterms:title": photograph.display_title,
        "identifier": photograph.identifier,
        "dcterms:identifier": photograph.identifier,
        "url": page,
        "dcterms:type": {"@id": "http://purl.org/dc/dcmitype/StillImage"},
        "isPartOf": {"@id": collection_page_url(photograph.collection, absolute), "@type": "Collection", "name": photograph.collection.title},
        "dcterms:isPartOf": {"@id": collection_page_url(photograph.collection, absolute)},
        "dateModified": photograph.updated_at.isoformat(),
        "dcterms:modified": photograph.updated_at.isoformat(),
    }
    optional = {
        ("creator", "dcterms:creator"): {"@type": "Person", "name": photograph.creator} if photograph.creator else None,
        ("temporalCoverage", "dcterms:date"): photograph.date or None,
        ("description", "dcterms:description"): photograph.description or None,
        ("keywords", "dcterms:subject"): list(photograph.subjects) or None,
        ("contentLocation", "dcterms:spatial"): {"@type": "Place", "name": photograph.place} if photograph.place else None,
        ("isBasedOn", "dcterms:source"): photograph.source or None,
        ("inLanguage", "dcterms:language"): photograph.language or None,
        ("encodingFormat", "dcterms:format"): photograph.format or None,
        ("license", "dcterms:rights"): {"@id": photograph.rights_uri} if photograph.rights_uri else None,
    }
    for (schema_name, dcterms_name), value in optional.items():
        if value:
            record[schema_name] = value
            record[dcterms_name] = value["name"] if isinstance(value, dict) and "name" in value else value
    if photograph.date_lower:
        record["dateCreated"] = photograph.date_lower.isoformat()  # the EDTF date's earliest possible day
    if photograph.rights_note:
        record["creditText"] = photograph.rights_note
    if manifest_url:
        record["subjectOf"] = {"@id": manifest_url, "@type": "CreativeWork", "encodingFormat": "application/ld+json", "name": "IIIF Presentation 3 Manifest"}
    return record


def collection_json_ld(collection: Collection, absolute: Absolute, *, parent: Collection | None, manifest_url: str) -> dict:
    page = collection_page_url(collection, absolute)
    record = {
        "@context": JSONLD_CONTEXT,
        "@id": page,
        "@type": "Collection",
        "name": collection.title,
        "dcterms:title": collection.title,
        "identifier": collection.slug,
        "url": page,
        "dateModified": collection.updated_at.isoformat(),
        "subjectOf": {"@id": manifest_url, "@type": "CreativeWork", "name": "IIIF Presentation 3 Collection"},
    }
    if collection.description:
        record["description"] = record["dcterms:description"] = collection.description
    if parent is not None:
        record["isPartOf"] = {"@id": collection_page_url(parent, absolute), "@type": "Collection", "name": parent.title}
        record["dcterms:isPartOf"] = {"@id": collection_page_url(parent, absolute)}
    return record
