"""A real harvester (pyoai's client) harvests the demo archive from a live server, end to
end, then harvests incrementally after an edit, an unpublished series and a deletion."""
from __future__ import annotations

import datetime as dt

import pytest
from oaipmh.client import Client
from oaipmh.error import BadArgumentError, CannotDisseminateFormatError, IdDoesNotExistError, NoRecordsMatchError
from oaipmh.metadata import MetadataRegistry, oai_dc_reader

from apps.collections import services
from apps.collections.models import Collection, Photograph
from apps.collections.services.demo import demo_data_load

pytestmark = pytest.mark.slow


@pytest.fixture
def harvester(live_server, settings):
    settings.OAI_PAGE_SIZE = 4  # the nine demo photographs take three pages: tokens are followed
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    return Client(f"{live_server.url}/oai", registry)


@pytest.fixture
def demo(rq_queues):
    demo_data_load()
    # The load happened "yesterday", so the incremental harvest below sees only what follows.
    Photograph.objects.update(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    return {p.original_filename.removesuffix(".png"): p for p in Photograph.objects.select_related("collection")}


def test_a_harvester_harvests_the_demo_archive_then_incrementally(harvester, demo, archivist):
    identify = harvester.identify()
    assert identify.repositoryName() == "Chroma Archive"
    assert identify.deletedRecord() == "persistent"
    harvester.updateGranularity()
    assert [prefix for prefix, _, _ in harvester.listMetadataFormats()] == ["oai_dc"]
    sets = {spec: name for spec, name, _ in harvester.listSets()}
    assert sets == {
        "demo": "Sample photographs (scikit-image)",
        "demo:demo-black-and-white": "Black-and-white photographs",
        "demo:demo-colour": "Colour photographs",
    }

    records = list(harvester.listRecords(metadataPrefix="oai_dc"))
    assert len(records) == len(demo) == 9
    by_title = {metadata.getField("title")[0]: (header, metadata) for header, metadata, _ in records}
    assert {p.display_title for p in demo.values()} == set(by_title)
    header, metadata = by_title[demo["camera"].display_title]
    assert header.identifier() == f"oai:chroma-archive.example.org:photograph-{demo['camera'].pk}"
    assert header.setSpec() == ["demo:demo-black-and-white"] and not header.isDeleted()
    assert metadata.getField("rights")[0].startswith("http")
    assert len(list(harvester.listIdentifiers(metadataPrefix="oai_dc", set="demo:demo-colour"))) == 5
    header, metadata, _ = harvester.getRecord(identifier=header.identifier(), metadataPrefix="oai_dc")
    assert metadata.getField("identifier")[0] == demo["camera"].identifier == "SKI-001"

    # Between two harvests: an edit, a series unpublished, a deletion.
    last_harvest = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    services.photograph_update(photograph=demo["astronaut"], data={"title": "Astronaut, retitled"}, user=archivist)
    services.collection_publish(collection=Collection.objects.get(slug="demo-black-and-white"), is_published=False, user=archivist)
    deleted_pk = demo["coffee"].pk
    services.photograph_delete(photograph=demo["coffee"], user=archivist)

    changes = {header.identifier(): (header, metadata) for header, metadata, _ in harvester.listRecords(metadataPrefix="oai_dc", from_=last_harvest)}
    expected = {demo[name].pk for name in ("astronaut", "camera", "coins", "clock_motion", "brick")} | {deleted_pk}
    assert set(changes) == {f"oai:chroma-archive.example.org:photograph-{pk}" for pk in expected}
    edited_header, edited = changes[f"oai:chroma-archive.example.org:photograph-{demo['astronaut'].pk}"]
    assert not edited_header.isDeleted() and edited.getField("title") == ["Astronaut, retitled"]
    for name in ("camera", "coins", "clock_motion", "brick"):
        withdrawn, metadata = changes[f"oai:chroma-archive.example.org:photograph-{demo[name].pk}"]
        assert withdrawn.isDeleted() and metadata is None and withdrawn.setSpec() == ["demo:demo-black-and-white"]
    assert changes[f"oai:chroma-archive.example.org:photograph-{deleted_pk}"][0].isDeleted()

    # The protocol's errors reach the harvester as its own exceptions.
    with pytest.raises(CannotDisseminateFormatError):
        list(harvester.listRecords(metadataPrefix="marc21"))
    with pytest.raises(IdDoesNotExistError):
        harvester.getRecord(identifier="oai:chroma-archive.example.org:photograph-999999", metadataPrefix="oai_dc")
    with pytest.raises(NoRecordsMatchError):
        list(harvester.listIdentifiers(metadataPrefix="oai_dc", from_=dt.datetime(2099, 1, 1)))
    with pytest.raises(BadArgumentError):
        list(harvester.listIdentifiers(metadataPrefix="oai_dc", from_=dt.datetime(2030, 1, 1), until=dt.datetime(2020, 1, 1)))
