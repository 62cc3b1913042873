"""Records for machines: Dublin Core XML and JSON-LD per photograph and collection, by
explicit URL and by content negotiation; manifests link to them (seeAlso), carry navDate and
offer the master (rendering) only where the access level allows it."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from apps.collections.models import RightsStatement
from tests.support.collections import CollectionFactory, PhotographFactory

pytestmark = pytest.mark.django_db
DC = "{http://purl.org/dc/elements/1.1/}"


@pytest.fixture
def photograph(fonds):
    series = CollectionFactory(parent=fonds, slug="plates", title="Glass plates", description="Negatives, 1900–1930")
    return PhotographFactory(
        collection=series, identifier="GP-7", title="Quay at dusk", creator="A. Photographer", date="1920~",
        subjects=["Quays", "Dusk"], place="Harbour", rights_uri=RightsStatement.CC0, original_filename="gp7.tif",
    )


def test_dublin_core_xml_of_a_photograph(photograph):
    response = Client().get(f"/records/photograph-{photograph.pk}.xml")
    assert response.status_code == 200 and response["Content-Type"] == "application/xml; charset=utf-8"
    assert "public" in response["Cache-Control"]
    root = ET.fromstring(response.content)
    values = [(e.tag.removeprefix(DC), e.text) for e in root]
    assert ("title", "Quay at dusk") in values and ("date", "1920~") in values and ("coverage", "Harbour") in values
    assert [v for k, v in values if k == "subject"] == ["Quays", "Dusk"]
    assert ("identifier", "GP-7") in values and ("rights", RightsStatement.CC0.value) in values
    assert ("relation", "http://testserver/collections/plates/") in values


def test_json_ld_of_a_photograph_is_a_schema_org_photograph_with_dcterms(photograph):
    record = Client().get(f"/records/photograph-{photograph.pk}.jsonld").json()
    assert record["@type"] == "Photograph" and record["@context"]["dcterms"] == "http://purl.org/dc/terms/"
    assert record["name"] == record["dcterms:title"] == "Quay at dusk"
    assert record["creator"] == {"@type": "Person", "name": "A. Photographer"} and record["dcterms:creator"] == "A. Photographer"
    assert record["dateCreated"] == "1919-01-01" and record["temporalCoverage"] == "1920~"
    assert record["license"] == {"@id": RightsStatement.CC0.value}
    assert record["isPartOf"]["@id"] == "http://testserver/collections/plates/"
    assert record["subjectOf"]["@id"] == f"http://testserver/iiif/3/manifest/photograph-{photograph.pk}"


def test_collection_records(photograph):
    record = Client().get("/records/collection-plates.jsonld").json()
    assert record["@type"] == "Collection" and record["description"] == "Negatives, 1900–1930"
    assert record["isPartOf"]["@id"] == "http://testserver/collections/harbour/"
    root = ET.fromstring(Client().get("/records/collection-plates.xml").content)
    assert root.find(f"{DC}title").text == "Glass plates"


@pytest.mark.parametrize("accept, target", [
    ("application/ld+json", ".jsonld"),
    ("application/xml", ".xml"),
    ("text/xml;q=0.9, application/ld+json;q=0.5", ".xml"),
    ("text/html,application/xhtml+xml", "page"),
    ("", "page"),
])
def test_content_negotiation_on_the_record_uri(photograph, accept, target):
    response = Client().get(f"/records/photograph-{photograph.pk}", HTTP_ACCEPT=accept)
    assert response.status_code == 303 and "Accept" in response["Vary"]
    expected = f"/photographs/{photograph.pk}/" if target == "page" else f"/records/photograph-{photograph.pk}{target}"
    assert response["Location"] == expected
    collection = Client().get("/records/collection-plates", HTTP_ACCEPT=accept)
    assert collection["Location"] == ("/collections/plates/" if target == "page" else f"/records/collection-plates{target}")


def test_records_follow_the_visibility_rule(hidden, archivist):
    secret = PhotographFactory(collection=hidden)
    for url in (f"/records/photograph-{secret.pk}", f"/records/photograph-{secret.pk}.jsonld", "/records/collection-unsorted.xml"):
        assert Client().get(url).status_code == 404
    staff = Client()
    staff.force_login(archivist)
    response = staff.get(f"/records/photograph-{secret.pk}.jsonld")
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    assert Client().get(f"/records/photograph-{secret.pk}.pdf").status_code == 404


def test_manifest_has_nav_date_see_also_and_the_master_where_rights_allow(photograph, fonds, archivist):
    manifest = Client().get(f"/iiif/3/manifest/photograph-{photograph.pk}").json()
    assert manifest["navDate"] == "1919-01-01T00:00:00Z"
    assert [(s["format"], s["id"]) for s in manifest["seeAlso"]] == [
        ("application/xml", f"http://testserver/records/photograph-{photograph.pk}.xml"),
        ("application/ld+json", f"http://testserver/records/photograph-{photograph.pk}.jsonld"),
    ]
    assert manifest["rendering"][0]["id"] == f"http://testserver/api/media/photographs/{photograph.pk}/master/"
    assert manifest["rendering"][0]["format"] == "image/tiff"
    in_copyright = PhotographFactory(collection=fonds, rights_uri=RightsStatement.IN_COPYRIGHT)
    restricted = Client().get(f"/iiif/3/manifest/photograph-{in_copyright.pk}").json()
    assert "rendering" not in restricted and "navDate" not in restricted  # undated: no navDate
    staff = Client()
    staff.force_login(archivist)
    assert "rendering" in staff.get(f"/iiif/3/manifest/photograph-{in_copyright.pk}").json()
    collection = Client().get("/iiif/3/collection/plates").json()
    assert collection["seeAlso"][1]["id"] == "http://testserver/records/collection-plates.jsonld"
