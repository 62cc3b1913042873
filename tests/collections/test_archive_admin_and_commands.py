"""Admin (through the services) and the management commands import_photos and load_demo_data."""
from __future__ import annotations

import csv

import pytest
from django.core.management import CommandError, call_command

from apps.collections.models import Collection, MetadataChange, Photograph, RightsStatement
from tests.support import images
from tests.support.collections import PhotographFactory, upload

pytestmark = pytest.mark.django_db
INLINE = {"history-TOTAL_FORMS": "0", "history-INITIAL_FORMS": "0"}  # the read-only history inline


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_admin_lists_searches_and_filters(admin_client, fonds):
    PhotographFactory(collection=fonds, title="Pier at night")
    PhotographFactory(collection=fonds, title="Market")
    response = admin_client.get("/admin/collections/photograph/", {"q": "pier", "is_grayscale__exact": "1"})
    assert response.status_code == 200
    assert b"Pier at night" in response.content and b"Market" not in response.content
    for model in ("collection", "metadatachange", "csvimport"):
        assert admin_client.get(f"/admin/collections/{model}/").status_code == 200


def test_admin_adds_through_ingest_and_refuses_bad_files(admin_client, fonds, media_files):
    data = images.jpeg_bytes(seed=21)
    form = {
        "collection": fonds.pk, "identifier": "", "title": "From the admin", "subjects": "Ships, sailing|Tugs",
        "rights_uri": RightsStatement.CC0, "extra_metadata": "{}", **INLINE,
    }
    response = admin_client.post("/admin/collections/photograph/add/", {**form, "upload": upload("adm-1.jpg", data)})
    assert response.status_code == 302, response.context["adminform"].form.errors
    photograph = Photograph.objects.get()
    assert (photograph.identifier, photograph.subjects, photograph.sha256[:8]) == ("adm-1", ["Ships, sailing", "Tugs"], __import__("hashlib").sha256(data).hexdigest()[:8])

    again = admin_client.post("/admin/collections/photograph/add/", {**form, "upload": upload("copy.jpg", data)})
    assert again.status_code == 200 and "already in" in str(again.context["adminform"].form.errors["upload"])
    bad = admin_client.post("/admin/collections/photograph/add/", {**form, "date": "someday", "upload": upload("x.jpg", images.jpeg_bytes(seed=22))})
    assert bad.status_code == 200 and "date" in bad.context["adminform"].form.errors
    assert Photograph.objects.count() == 1 and len([f for f in media_files() if f.startswith("masters/")]) == 1


def test_admin_edit_keeps_history_and_validates(admin_client, fonds, superuser):
    photograph = PhotographFactory(collection=fonds, title="Before", date="1920")
    url = f"/admin/collections/photograph/{photograph.pk}/change/"
    fields = {"identifier": photograph.identifier, "title": "After", "date": "circa 1921", "subjects": "", "rights_uri": photograph.rights_uri, "extra_metadata": "{}", **INLINE}
    assert admin_client.post(url, fields).status_code == 302
    photograph.refresh_from_db()
    assert (photograph.title, photograph.date) == ("After", "1921~")
    assert set(MetadataChange.objects.values_list("field", "source", "user")) == {("title", "admin", superuser.pk), ("date", "admin", superuser.pk)}
    assert admin_client.post(url, {**fields, "date": "nope"}).status_code == 200


def test_admin_publish_action_uses_the_service(admin_client, hidden):
    response = admin_client.post("/admin/collections/collection/", {"action": "publish", "_selected_action": [hidden.pk]})
    assert response.status_code == 302
    hidden.refresh_from_db()
    assert hidden.is_published
    assert MetadataChange.objects.get(collection=hidden).field == "is_published"


def test_import_photos_from_a_folder(fonds, tmp_path, capsys):
    (tmp_path / "box").mkdir()
    (tmp_path / "box" / "HB-1.jpg").write_bytes(images.jpeg_bytes(seed=1))
    (tmp_path / "HB-2.png").write_bytes(images.png_bytes())
    (tmp_path / "HB-3.tif").write_bytes(b"not really a tiff")
    (tmp_path / "notes.txt").write_text("ignored")

    call_command("import_photos", str(tmp_path), "--collection", "harbour")

    out = capsys.readouterr().out
    assert set(Photograph.objects.values_list("identifier", flat=True)) == {"HB-1", "HB-2"}
    assert "refused HB-3.tif" in out and "2 stored, 1 refused, of 3 image files." in out
    assert set(MetadataChange.objects.values_list("field", flat=True)) == set()


def test_import_photos_from_a_csv(fonds, tmp_path, capsys):
    (tmp_path / "scans").mkdir()
    (tmp_path / "scans" / "a.jpg").write_bytes(images.jpeg_bytes(seed=5))
    sheet = tmp_path / "sheet.csv"
    with open(sheet, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["dc:identifier", "dc:title", "file"])
        writer.writerow(["C-1", "From CSV", "scans/a.jpg"])
        writer.writerow(["C-2", "Missing", "scans/b.jpg"])

    call_command("import_photos", str(sheet), "--collection", "harbour", "--dry-run")
    assert not Photograph.objects.exists()
    assert "Dry run: 1 create" in capsys.readouterr().out

    call_command("import_photos", str(sheet), "--collection", "harbour")
    out = capsys.readouterr().out
    assert Photograph.objects.get().title == "From CSV"
    assert "row 3, file:" in out and "1 create, 0 update, 0 unchanged, 1 error." in out
    with pytest.raises(CommandError, match="No collection"):
        call_command("import_photos", str(sheet), "--collection", "nope")


def test_load_demo_data_creates_a_published_demo_with_black_and_white_photographs(django_capture_on_commit_callbacks):
    call_command("load_demo_data", "--if-empty")
    demo = Collection.objects.get(slug="demo")
    assert demo.is_published and all(c.is_published for c in demo.descendants())
    photographs = Photograph.objects.filter(collection__path__startswith=demo.path)
    assert photographs.count() == 9
    assert photographs.filter(is_grayscale=True).count() >= 3
    assert all(p.rights_uri in RightsStatement.values and p.rights_note and p.creator for p in photographs)
    camera = photographs.get(identifier="SKI-001")
    assert camera.creator == "Varshney, Lav" and camera.rights_uri == RightsStatement.CC0 and camera.mode == "L"

    call_command("load_demo_data")  # idempotent
    assert Photograph.objects.count() == 9
    Photograph.objects.all().delete()
    PhotographFactory()
    call_command("load_demo_data", "--if-empty")
    assert Photograph.objects.count() == 1
