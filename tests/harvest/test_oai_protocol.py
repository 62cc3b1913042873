"""OAI-PMH 2.0 over HTTP, read as XML: every verb, the protocol's error cases, sets with
hierarchy, from/until, resumption tokens that survive inserts, and deleted records."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from apps.collections import services
from apps.collections.models import Photograph
from tests.support.collections import CollectionFactory, PhotographFactory

pytestmark = pytest.mark.django_db

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/", "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/"}


def oai(method="get", **arguments) -> ET.Element:
    response = getattr(Client(), method)("/oai", arguments)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(response.content)


def error_code(root: ET.Element) -> str | None:
    error = root.find("oai:error", NS)
    return error.get("code") if error is not None else None


def identifiers(root: ET.Element) -> list[str]:
    return [e.text for e in root.iterfind(".//oai:header/oai:identifier", NS)]


@pytest.fixture
def archive(fonds):
    series = CollectionFactory(parent=fonds, slug="series", title="Series", description="Glass plates", is_published=True)
    closed = CollectionFactory(slug="closed", is_published=False)
    public = [PhotographFactory(collection=c, title=f"Public {i}", subjects=["Harbours"]) for i, c in enumerate((fonds, fonds, series))]
    private = PhotographFactory(collection=closed, title="Private")
    # Spread the change timestamps so from/until select between them.
    base = timezone.now() - dt.timedelta(days=10)
    for i, photograph in enumerate([*public, private]):
        Photograph.objects.filter(pk=photograph.pk).update(updated_at=base + dt.timedelta(days=i))
    return public, private, series


def test_identify_describes_the_repository(archive, settings):
    root = oai(verb="Identify")
    identify = root.find("oai:Identify", NS)
    assert identify.findtext("oai:baseURL", namespaces=NS) == "http://testserver/oai"
    assert identify.findtext("oai:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("oai:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("oai:adminEmail", namespaces=NS) == settings.OAI_ADMIN_EMAIL
    public, _, _ = archive
    earliest = Photograph.objects.get(pk=public[0].pk).updated_at
    assert identify.findtext("oai:earliestDatestamp", namespaces=NS) == earliest.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert root.find("oai:request", NS).get("verb") == "Identify"


def test_sets_are_public_collections_with_nested_specs(archive):
    sets = oai(verb="ListSets").findall(".//oai:set", NS)
    assert [s.findtext("oai:setSpec", namespaces=NS) for s in sets] == ["harbour", "harbour:series"]
    assert sets[1].find(".//dc:description", NS).text == "Glass plates"


def test_list_records_gives_only_public_photographs_in_oai_dc(archive):
    public, private, _ = archive
    root = oai(verb="ListRecords", metadataPrefix="oai_dc")
    assert identifiers(root) == [f"oai:chroma-archive.example.org:photograph-{p.pk}" for p in public]
    record = root.find(".//oai:record", NS)
    dc = record.find("oai:metadata/oai_dc:dc", NS)
    assert dc.findtext("dc:title", namespaces=NS) == "Public 0"
    assert dc.findtext("dc:subject", namespaces=NS) == "Harbours"
    assert dc.findtext("dc:type", namespaces=NS) == "StillImage"
    assert f"http://testserver/photographs/{public[0].pk}/" in [e.text for e in dc.findall("dc:identifier", NS)]
    assert record.findtext("oai:header/oai:setSpec", namespaces=NS) == "harbour"
    # POST works the same (harvesters may use either).
    assert identifiers(oai("post", verb="ListIdentifiers", metadataPrefix="oai_dc")) == identifiers(root)


def test_sets_hold_their_subsets_and_from_until_select_by_change(archive):
    public, _, _ = archive
    assert identifiers(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set="harbour:series")) == [
        f"oai:chroma-archive.example.org:photograph-{public[2].pk}"
    ]
    assert len(identifiers(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set="harbour"))) == 3
    second = Photograph.objects.get(pk=public[1].pk).updated_at
    day = second.strftime("%Y-%m-%d")
    assert identifiers(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": day, "until": day})) == [
        f"oai:chroma-archive.example.org:photograph-{public[1].pk}"
    ]
    seconds = second.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(identifiers(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": seconds}))) == 2
    assert len(identifiers(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", until=seconds))) == 2


def test_get_record_and_list_metadata_formats(archive):
    public, private, _ = archive
    root = oai(verb="GetRecord", identifier=f"oai:chroma-archive.example.org:photograph-{public[0].pk}", metadataPrefix="oai_dc")
    assert root.find(".//oai:record/oai:metadata/oai_dc:dc/dc:title", NS).text == "Public 0"
    formats = oai(verb="ListMetadataFormats").findall(".//oai:metadataPrefix", NS)
    assert [f.text for f in formats] == ["oai_dc"]
    # A photograph the public never saw does not exist for harvesters.
    assert error_code(oai(verb="GetRecord", identifier=f"oai:chroma-archive.example.org:photograph-{private.pk}", metadataPrefix="oai_dc")) == "idDoesNotExist"
    assert error_code(oai(verb="ListMetadataFormats", identifier="oai:elsewhere:photograph-1")) == "idDoesNotExist"


@pytest.mark.parametrize("arguments, code", [
    ({}, "badVerb"),
    ({"verb": "Harvest"}, "badVerb"),
    ({"verb": ["Identify", "Identify"]}, "badVerb"),
    ({"verb": "Identify", "extra": "1"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01", "until": "2020-01-01T00:00:00Z"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2021-01-01", "until": "2020-01-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "metadataPrefix": "mods", "identifier": "oai:chroma-archive.example.org:photograph-1"}, "cannotDisseminateFormat"),
    ({"verb": "ListRecords", "resumptionToken": "forged"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2099-01-01"}, "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "no-such-set"}, "noRecordsMatch"),
])
def test_protocol_errors(archive, arguments, code):
    root = oai(**arguments)
    assert error_code(root) == code
    if code in ("badVerb", "badArgument"):
        assert root.find("oai:request", NS).attrib == {}  # §3.6: no attributes echoed


def test_resumption_tokens_page_and_survive_inserts(archive, settings, fonds):
    settings.OAI_PAGE_SIZE = 2
    public, _, _ = archive
    first = oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.find(".//oai:resumptionToken", NS)
    assert len(identifiers(first)) == 2 and token.get("cursor") == "0" and token.text
    # Inserts and an edit of an already-harvested record between two pages: nothing is
    # skipped; what changed comes after what was there, in change order.
    added = PhotographFactory(collection=fonds)
    services.photograph_update(photograph=public[0], data={"title": "Edited meanwhile"}, user=None)
    seen = identifiers(first)
    while token is not None and token.text:
        page = oai(verb="ListIdentifiers", resumptionToken=token.text)
        seen += identifiers(page)
        token = page.find(".//oai:resumptionToken", NS)
    assert token is not None and token.text is None and token.get("cursor") == "4"  # the last page: an empty token
    expected = [public[0], public[1], public[2], added, public[0]]
    assert seen == [f"oai:chroma-archive.example.org:photograph-{p.pk}" for p in expected]


def test_deleted_and_withdrawn_photographs_are_persistent_deleted_records(archive, archivist):
    public, _, series = archive
    since = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    gone = public[0].pk
    services.photograph_delete(photograph=public[0], user=archivist)
    services.collection_publish(collection=series, is_published=False, user=archivist)
    root = oai(verb="ListRecords", metadataPrefix="oai_dc", **{"from": since})
    records = root.findall(".//oai:record", NS)
    assert [(r.find("oai:header", NS).get("status"), r.findtext("oai:header/oai:identifier", namespaces=NS)) for r in records] == [
        ("deleted", f"oai:chroma-archive.example.org:photograph-{gone}"),
        ("deleted", f"oai:chroma-archive.example.org:photograph-{public[2].pk}"),
    ]
    assert all(r.find("oai:metadata", NS) is None for r in records)
    # Still known by identifier, and still in its former set.
    deleted = oai(verb="GetRecord", identifier=f"oai:chroma-archive.example.org:photograph-{public[2].pk}", metadataPrefix="oai_dc")
    assert deleted.find(".//oai:header", NS).get("status") == "deleted"
    assert identifiers(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set="harbour:series")) == [
        f"oai:chroma-archive.example.org:photograph-{public[2].pk}"
    ]
