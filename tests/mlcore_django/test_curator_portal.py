"""The curator's portal (issue 13): a curator without staff status builds curated sets under
/models/sets/ — from a collection, a search, approved colorizations or ids — sees and
removes their items, freezes them and starts a retraining whose hyperparameter errors are
all reported at once (as in the admin); others get a 403 page that says what is missing."""
from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.collections.jobs import build_derivatives
from apps.mlcore.models import CuratedSet, TrainingRun
from apps.mlcore.services import curated_set_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(client, curator):
    assert not curator.is_staff
    client.force_login(curator)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_curator_builds_a_set_from_a_collection_and_removes_an_item(portal, colour_photographs, grey_photograph, collection):
    for photograph in colour_photographs:
        build_derivatives(photograph.pk)  # their thumbnails (the job the ingest queues once it commits)
    created = portal.post(reverse("mlcore:curated-sets"), {"name": "Harbour colour", "description": "", "holdout_fraction": 0.25, "seed": 0})
    curated = CuratedSet.objects.get(name="Harbour colour")
    assert created.status_code == 302 and created["Location"] == reverse("mlcore:curated-set", args=[curated.pk])
    assert curated.created_by.username == "curt"
    again = portal.post(reverse("mlcore:curated-sets"), {"name": "Harbour colour", "holdout_fraction": 0.25, "seed": 0})
    assert again.status_code == 200 and "already exists" in again.content.decode()

    added = portal.post(reverse("mlcore:curated-set-add", args=[curated.pk]), {"add_collection": collection.pk}, follow=True)
    assert curated.items.count() == 4
    shown = messages_of(added)
    assert "4 items added to “Harbour colour”." in shown
    assert any("HB-G1: it is grayscale and has no approved colorization" in m for m in shown)
    page = added.content.decode()
    for item in curated.items.all():
        assert reverse("mlcore:curated-item-thumbnail", args=[item.pk]) in page
    assert portal.get(reverse("mlcore:curated-item-thumbnail", args=[curated.items.first().pk])).status_code == 200

    first = curated.items.first()
    removed = portal.post(reverse("mlcore:curated-set-remove", args=[curated.pk]), {"item": [first.pk]}, follow=True)
    assert "1 item removed from “Harbour colour”." in messages_of(removed)
    assert curated.items.count() == 3

    frozen = portal.post(reverse("mlcore:curated-set-freeze", args=[curated.pk]), follow=True)
    curated.refresh_from_db()
    assert curated.is_frozen and "“Harbour colour” is frozen: 2 to train on, 1 held out." in messages_of(frozen)
    refused = portal.post(reverse("mlcore:curated-set-add", args=[curated.pk]), {"add_photographs": str(first.photograph_id)}, follow=True)
    assert any("is frozen" in m for m in messages_of(refused)) and curated.items.count() == 3


def test_a_search_shows_what_it_would_add_and_adds_it(portal, colour_photographs, grey_photograph, approve_variant, curator):
    approve_variant(grey_photograph)
    curated = curated_set_create(name="From a search", user=curator)
    preview = portal.get(reverse("mlcore:curated-set-search", args=[curated.pk]), {"collection": "harbour", "date_from": ""})
    assert preview.status_code == 200
    assert preview.context["results"] == {"total": 5, "colour": 4, "approved": 1}
    assert '<input type="hidden" name="collection" value="harbour">' in preview.content.decode()

    added = portal.post(reverse("mlcore:curated-set-add", args=[curated.pk]), {"source": "search", "collection": "harbour", "grayscale": "yes"}, follow=True)
    assert "1 item added to “From a search”." in messages_of(added)
    assert [item.kind for item in curated.items.all()] == ["variant"]

    bad = portal.get(reverse("mlcore:curated-set-search", args=[curated.pk]), {"date_from": "1950", "date_to": "1920"})
    assert bad.status_code == 200 and bad.context["results"] is None and "ends (1920-12-31) before it starts" in bad.content.decode()


def test_approved_colorizations_are_offered_with_thumbnails_until_the_set_holds_them(portal, grey_photograph, approve_variant, curator):
    variant = approve_variant(grey_photograph)
    curated = curated_set_create(name="Picked", user=curator)
    offered = portal.get(reverse("mlcore:curated-set-variants", args=[curated.pk]))
    assert list(offered.context["variants"]) == [variant]
    assert reverse("variant-media", args=[variant.pk, "thumbnail"]) in offered.content.decode()

    portal.post(reverse("mlcore:curated-set-add", args=[curated.pk]), {"picked_variants": [variant.pk]})
    assert curated.items.get().variant == variant
    assert list(portal.get(reverse("mlcore:curated-set-variants", args=[curated.pk])).context["variants"]) == []


def test_retraining_from_the_portal_reports_every_hyperparameter_problem_at_once(portal, colour_photographs, base_model, curator, tiny_hyperparameters, rq_queues):
    curated = curated_set_create(name="Retrain me", user=curator, holdout_fraction=0.25)
    portal.post(reverse("mlcore:curated-set-add", args=[curated.pk]), {"add_photographs": " ".join(str(p.pk) for p in colour_photographs)})
    url = reverse("mlcore:curated-set-retrain", args=[curated.pk])
    assert "&quot;epochs&quot;: 5" in portal.get(url).content.decode()  # the defaults, filled in

    bad = {"epochs": 0, "lr_g": "fast", "crop_size": 33, "colour": True}
    refused = portal.post(url, {"base_version": base_model.pk, "hyperparameters": json.dumps(bad)})
    assert refused.status_code == 200 and not TrainingRun.objects.exists()
    errors = refused.context["form"].errors["hyperparameters"]
    assert len(errors) == 4
    assert any("Unknown hyperparameters: colour" in e for e in errors)
    assert "epochs must be from 1 to 10000, not 0." in errors and "lr_g must be float, not 'fast'." in errors
    assert any("crop_size must be a multiple of 8" in e for e in errors)

    started = portal.post(url, {"base_version": base_model.pk, "hyperparameters": json.dumps(tiny_hyperparameters)})
    run = TrainingRun.objects.get()
    assert started.status_code == 302 and started["Location"] == reverse("mlcore:training-run", args=[run.pk])
    assert run.requested_by == curator and run.status == "queued" and rq_queues["training"].count == 0  # queued once the transaction commits
    assert portal.get(started["Location"]).status_code == 200


def test_the_admin_reports_every_hyperparameter_problem_at_once_too(client, curator, colour_set, base_model):
    curator.is_staff = True
    curator.save()
    client.force_login(curator)
    response = client.post(reverse("admin:mlcore_curatedset_changelist"), {
        "action": "retrain", "_selected_action": [colour_set.pk], "apply": "1", "base_version": base_model.pk,
        "hyperparameters": json.dumps({"epochs": -1, "batch_size": 0, "samples": 99}),
    })
    assert response.status_code == 200 and not TrainingRun.objects.exists()
    page = response.content.decode()
    for problem in ("epochs must be from 1 to 10000, not -1.", "batch_size must be from 1 to 256, not 0.", "samples must be from 0 to 32, not 99."):
        assert problem in page


def test_a_viewer_is_told_which_permission_is_missing_and_whom_to_ask(client, viewer, settings):
    settings.ARCHIVE_CONTACT_EMAIL = "curators@archive.example.org"
    client.force_login(viewer)
    response = client.get(reverse("mlcore:curated-sets"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "This page needs the permission “Can view curated set” (mlcore.view_curatedset). The curator role gives it." in page
    assert "mailto:curators@archive.example.org" in page and "signed in as <strong>vera</strong> without a role" in page
    api = client.post("/api/model-versions/1/activate/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "permission_denied"


def test_the_navigation_takes_a_curator_to_the_curated_sets(portal):
    page = portal.get(reverse("mlcore:curated-sets"))
    links = {link.label: link for link in page.context["nav_links"]}
    assert links["Curated sets"].active and not links["Model versions"].active


def test_train_gan_help_describes_both_modes(capsys):
    with pytest.raises(SystemExit):
        call_command("train_gan", "--help")
    text = capsys.readouterr().out
    assert "train_gan FOLDER [FOLDER ...] --out DIR" in text and "train_gan --curated-set NAME" in text
    assert "--max-minutes" in text  # mode 1's options
    mode_2 = text[text.index("mode 2, fine-tuning on a curated set"):]
    for option in ("--curated-set NAME", "--base-version ID", "--hyperparameters JSON", "--run-now", "--wait", "--user USERNAME"):
        assert option in mode_2
