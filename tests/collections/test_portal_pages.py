"""Portal pages of the archive, through Django's test client: what each role sees and may
do, the search facets, the edit form, the upload form without JavaScript, CSV import."""
from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from apps.collections import services
from apps.collections.models import CsvImport, MetadataChange, Photograph
from tests.support import images
from tests.support.collections import CollectionFactory, PhotographFactory, upload

pytestmark = pytest.mark.django_db


def ingest(collection, user, name, seed=0, **metadata):
    data = images.jpeg_bytes(320, 240, seed=seed)
    return services.photograph_ingest(collection=collection, file=upload(name, data), filename=name, metadata=metadata, user=user).photograph


@pytest.fixture
def lighthouse(fonds, archivist):
    return ingest(fonds, archivist, "hb-001.jpg", seed=1, title="The lighthouse at dusk", creator="M. Keeper", date="1921",
                  subjects="Lighthouses|Harbours", place="North pier", rights_uri="http://rightsstatements.org/vocab/NKC/1.0/")


def test_home_shows_published_collections_and_a_search_box(client, fonds, hidden, lighthouse):
    page = client.get("/").content.decode()
    assert "Harbour Board fonds" in page
    assert "Unsorted donations" not in page
    assert 'action="/search/"' in page and 'name="q"' in page
    assert "The lighthouse at dusk" in page  # recently catalogued


def test_collection_tree_nests_series_and_hides_unpublished_ones(client, fonds, hidden, archivist):
    CollectionFactory(title="Quay series", slug="quay", parent=fonds)
    CollectionFactory(title="Draft series", slug="draft", parent=fonds, is_published=False)
    page = client.get("/collections/").content.decode()
    assert "Quay series" in page and "Draft series" not in page and "Unsorted donations" not in page
    client.force_login(archivist)
    page = client.get("/collections/").content.decode()
    assert "Draft series" in page and "Unsorted donations" in page and "Unpublished" in page


def test_collection_page_pages_its_grid_with_bounded_queries(client, fonds, django_assert_max_num_queries):
    series = CollectionFactory(title="Quay series", slug="quay", parent=fonds)
    PhotographFactory.create_batch(20, collection=fonds)
    PhotographFactory.create_batch(10, collection=series)
    with django_assert_max_num_queries(8):
        response = client.get("/collections/harbour/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="card photo-card"') == 24
    assert "Page 1 of 2" in page and "30 photographs" in page
    assert "Quay series" in page
    assert "/api/collections/harbour/export/?format=csv" in page
    export = client.get("/api/collections/harbour/export/?format=csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    second = client.get("/collections/harbour/?page=2").content.decode()
    assert second.count('class="card photo-card"') == 6
    PhotographFactory.create_batch(30, collection=fonds)
    with django_assert_max_num_queries(8):
        client.get("/collections/harbour/?page=3")


def test_hidden_collections_and_photographs_are_404_for_anonymous_users_and_viewers(client, hidden, viewer, archivist):
    photo = ingest(hidden, archivist, "ud-001.jpg", seed=2)
    for user in (None, viewer):
        if user:
            client.force_login(user)
        assert client.get("/collections/unsorted/").status_code == 404
        assert client.get(f"/photographs/{photo.pk}/").status_code == 404
        assert "ud-001" not in client.get("/search/?q=ud").content.decode()
    client.force_login(archivist)
    assert client.get(f"/photographs/{photo.pk}/").status_code == 200


def test_search_ranks_filters_and_counts_facets(client, fonds, archivist, django_assert_max_num_queries):
    other = CollectionFactory(title="Street life", slug="street")
    PhotographFactory(collection=fonds, title="Harbour lighthouse", date="1921", is_grayscale=True)
    PhotographFactory(collection=fonds, title="Fishing boats", description="Near the lighthouse", date="1935", is_grayscale=False)
    PhotographFactory(collection=other, title="Lighthouse street market", date="1938", is_grayscale=True)
    PhotographFactory(collection=other, title="Tram depot", date="1950")
    with django_assert_max_num_queries(12):
        response = client.get("/search/?q=lighthouse")
    page = response.content.decode()
    assert "3 photographs" in page
    assert page.index("Harbour lighthouse") < page.index("Fishing boats")  # title matches rank higher
    facets = response.context["facets"]
    assert [(link.label, link.count) for link in facets["Collection"]] == [("Harbour Board fonds", 2), ("Street life", 1)]
    assert [(link.label, link.count) for link in facets["Decade"]] == [("1920s", 1), ("1930s", 2)]
    assert [(link.label, link.count) for link in facets["Tone"]] == [("Black and white", 2), ("Colour", 1)]

    # Following a facet link filters and marks it selected; following it again removes it.
    decade = facets["Decade"][1]
    filtered = client.get(f"/search/{decade.url}")
    assert filtered.context["total"] == 2
    selected = [link for link in filtered.context["facets"]["Decade"] if link.selected]
    assert [link.label for link in selected] == ["1930s"]
    assert client.get(f"/search/{selected[0].url}").context["total"] == 3
    both = client.get("/search/?q=lighthouse&collection=street&grayscale=yes")
    assert [photo.title for photo in both.context["page"].object_list] == ["Lighthouse street market"]
    assert "/api/photographs/export/?format=csv&amp;q=lighthouse&amp;collection=street&amp;grayscale=yes" in both.content.decode()
    export = client.get("/api/photographs/export/?format=csv&q=lighthouse&collection=street&grayscale=yes")
    export = (b"".join(export.streaming_content) if export.streaming else export.content).decode()
    assert "Lighthouse street market" in export and "Harbour lighthouse" not in export


def test_photograph_page_shows_record_deep_zoom_downloads_and_history(client, lighthouse, archivist):
    page = client.get(f"/photographs/{lighthouse.pk}/").content.decode()
    assert "The lighthouse at dusk" in page and "M. Keeper" in page and "North pier" in page
    assert f'data-info-url="/iiif/3/photograph-{lighthouse.pk}/info.json"' in page
    assert "vendor/openseadragon/6.1.1/openseadragon.min.js" in page
    assert lighthouse.media_url("master") in page
    assert f"/iiif/3/manifest/photograph-{lighthouse.pk}" in page
    assert "History of changes" not in page  # anonymous users do not see who edited what
    assert "Edit metadata" not in page
    client.force_login(archivist)
    services.photograph_update(photograph=lighthouse, data={"title": "Lighthouse at dusk"}, user=archivist, source=MetadataChange.Source.PORTAL)
    page = client.get(f"/photographs/{lighthouse.pk}/").content.decode()
    assert "History of changes" in page and "The lighthouse at dusk" in page and "archie" in page
    assert "Edit metadata" in page


def test_photograph_page_includes_the_colorize_panel_only_when_it_exists(client, lighthouse, settings, tmp_path, monkeypatch):
    from apps.collections.views_portal import photographs

    monkeypatch.setattr(photographs, "COLORIZE_PANEL", "colorize/no_such_panel.html")
    response = client.get(f"/photographs/{lighthouse.pk}/")
    assert response.status_code == 200 and response.context["colorize_panel"] is None
    (tmp_path / "colorize").mkdir()
    (tmp_path / "colorize" / "no_such_panel.html").write_text('<section id="colorize-panel">Colorize {{ photograph.identifier }}</section>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    assert '<section id="colorize-panel">Colorize hb-001</section>' in client.get(f"/photographs/{lighthouse.pk}/").content.decode()


def test_edit_form_saves_through_the_service_and_shows_its_errors(client, lighthouse, archivist, viewer):
    url = f"/photographs/{lighthouse.pk}/edit/"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    assert client.post(url, {"identifier": "x"}).status_code == 403

    client.force_login(archivist)
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}  # as a browser posts it
    data.update(date="1920-13-45", title="Changed title")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "is not a date in EDTF" in response.content.decode()
    lighthouse.refresh_from_db()
    assert lighthouse.title == "The lighthouse at dusk"

    data.update(date="circa 1920", subjects="Lighthouses | Piers")
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == f"/photographs/{lighthouse.pk}/"
    lighthouse.refresh_from_db()
    assert (lighthouse.title, lighthouse.date, lighthouse.subjects) == ("Changed title", "1920~", ["Lighthouses", "Piers"])
    changed = set(lighthouse.history.values_list("field", flat=True))
    assert changed == {"title", "date", "subjects"}
    assert set(lighthouse.history.values_list("source", flat=True)) == {"portal"}


def test_upload_without_javascript_reports_each_file(client, fonds, archivist, viewer, lighthouse):
    assert client.get("/upload/")["Location"].startswith("/accounts/login/")
    client.force_login(viewer)
    assert client.get("/upload/").status_code == 403
    client.force_login(archivist)
    page = client.get("/upload/?collection=harbour").content.decode()
    assert 'id="dropzone"' in page and "multiple" in page
    files = [
        upload("hb-002.jpg", images.jpeg_bytes(100, 80, seed=5)),
        upload("copy-of-hb-001.jpg", lighthouse.master.open("rb").read()),
        upload("broken.jpg", images.truncated_jpeg()),
    ]
    response = client.post("/upload/", {"collection": fonds.pk, "files": files})
    results = {result.filename: result for result in response.context["results"]}
    assert results["hb-002.jpg"].status == "stored"
    assert results["copy-of-hb-001.jpg"].status == "duplicate" and results["copy-of-hb-001.jpg"].photograph_id == lighthouse.pk
    assert results["broken.jpg"].status == "refused" and results["broken.jpg"].message
    page = response.content.decode()
    assert "1 stored · 1 duplicate · 1 refused" in page
    assert Photograph.objects.filter(collection=fonds).count() == 2


def test_upload_answers_json_to_the_page_script(client, fonds, archivist):
    client.force_login(archivist)
    response = client.post("/upload/", {"collection": fonds.pk, "files": [upload("hb-009.png", images.png_bytes())]}, HTTP_ACCEPT="application/json")
    (result,) = response.json()["results"]
    assert result["status"] == "stored" and result["photograph_url"].startswith("/photographs/")
    response = client.post("/upload/", {"collection": fonds.pk}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "files" in response.json()["errors"]


def _zip(**files: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_csv_import_dry_run_reports_errors_by_row_and_column_then_runs(client, fonds, archivist, lighthouse, rq_worker, django_capture_on_commit_callbacks):
    client.force_login(archivist)
    assert client.get("/import/").status_code == 200
    csv_text = (
        "collection,dc:identifier,file,dc:title,dc:date\n"
        "harbour,hb-001,,Lighthouse (retitled),1921\n"
        "harbour,hb-010,hb-010.jpg,Crane,1930\n"
        "harbour,hb-011,hb-011.jpg,Dredger,1920-13-45\n"
    )
    response = client.post("/import/", {
        "action": "dry_run",
        "csv_file": upload("photos.csv", csv_text.encode()),
        "zip_file": upload("scans.zip", _zip(**{"hb-010.jpg": images.jpeg_bytes(seed=10), "hb-011.jpg": images.jpeg_bytes(seed=11)})),
    })
    page = response.content.decode()
    report = response.context["report"]
    assert [error["row"] for error in report["errors"]] == [4]
    assert report["errors"][0]["column"] == "dc:date"
    assert '<td class="num">4</td><td><code>dc:date</code></td>' in page
    assert not Photograph.objects.filter(identifier="hb-010").exists()  # a dry run writes nothing

    token = response.context["token"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/import/", {"action": "run", "token": token})
    csv_import = CsvImport.objects.get()
    assert response["Location"] == reverse("collections:csv-import-detail", args=[csv_import.pk])
    detail = client.get(response["Location"]).content.decode()
    assert 'data-status-url="/api/csv-imports/' in detail
    rq_worker()
    csv_import.refresh_from_db()
    assert (csv_import.status, csv_import.created_count, csv_import.updated_count, csv_import.error_count) == ("succeeded", 1, 1, 1)
    assert "Dredger" not in set(Photograph.objects.values_list("title", flat=True))
    detail = client.get(reverse("collections:csv-import-detail", args=[csv_import.pk])).content.decode()
    assert "Succeeded" in detail and '<td class="num">4</td><td><code>dc:date</code></td>' in detail
    report = client.get(f"/api/csv-imports/{csv_import.pk}/report/?format=csv")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    # The same dry run cannot be imported twice.
    again = client.post("/import/", {"action": "run", "token": token}, follow=True)
    assert "expired or was already imported" in again.content.decode()
