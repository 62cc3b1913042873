"""Review: one approved variant per photograph, whatever the concurrency; history; annotations."""
from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from apps.collections.models import Photograph
from apps.colorize import services
from apps.colorize.models import ReviewEvent, Variant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def variants(tiny_model, photograph, colorist, rq_worker):
    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1, 2, 3])
    rq_worker()
    return list(request.variants.order_by("seed"))


def approved(photograph) -> list[int]:
    return list(Variant.objects.filter(photograph=photograph, review_state="approved").values_list("pk", flat=True))


def test_two_concurrent_approvals_leave_exactly_one_approved(variants, photograph, colorist):
    barrier = threading.Barrier(2)
    errors = []

    def approve(variant):
        try:
            barrier.wait(5)
            services.variant_approve(variant=variant, user=colorist)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()  # each thread has its own database connection

    threads = [threading.Thread(target=approve, args=(v,)) for v in variants[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    [winner] = approved(photograph)
    loser = next(v for v in variants[:2] if v.pk != winner)
    loser.refresh_from_db()
    assert loser.review_state == "rejected"
    # The history keeps both approvals and the replacement; the first approval set the other
    # two aside (the later winner among them) and the third variant stays not chosen.
    third = variants[2]
    actions = list(ReviewEvent.objects.filter(photograph=photograph).values_list("variant_id", "action"))
    assert sorted(actions) == sorted([
        (loser.pk, "approve"), (winner, "not_chosen"), (third.pk, "not_chosen"), (winner, "approve"), (loser.pk, "replace"),
    ])
    third.refresh_from_db()
    assert third.review_state == "not_chosen"
    assert Photograph.objects.get(pk=photograph.pk).has_approved_colorization


def test_the_database_itself_refuses_a_second_approved_variant(variants, photograph):
    Variant.objects.filter(pk=variants[0].pk).update(review_state="approved")
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.filter(pk=variants[1].pk).update(review_state="approved")


def test_approving_another_variant_replaces_the_first_and_history_keeps_both(variants, photograph, colorist):
    a, b, _ = variants
    services.variant_approve(variant=a, user=colorist, note="good sky")
    services.variant_approve(variant=b, user=colorist)
    assert approved(photograph) == [b.pk]
    a.refresh_from_db()
    assert a.review_state == "rejected"
    replace = ReviewEvent.objects.get(variant=a, action="replace")
    assert replace.replaced_by_id == b.pk and replace.from_state == "approved"
    assert ReviewEvent.objects.get(variant=a, action="approve").note == "good sky"


def test_reject_and_reopen_keep_the_photograph_flag_true_to_the_variants(variants, photograph, colorist):
    a = variants[0]
    services.variant_approve(variant=a, user=colorist)
    assert Photograph.objects.get(pk=photograph.pk).has_approved_colorization
    services.variant_reject(variant=a, user=colorist, note="too purple")
    assert not Photograph.objects.get(pk=photograph.pk).has_approved_colorization
    services.variant_reopen(variant=a, user=colorist)
    a.refresh_from_db()
    assert a.review_state == "pending" and a.reviewed_by == colorist
    with pytest.raises(ValidationError):
        services.variant_reopen(variant=a, user=colorist)
    assert [e.action for e in a.review_events.all()] == ["approve", "reject", "reopen"]


def test_annotations_keep_text_author_time_and_a_normalised_region(variants, colorist):
    variant = variants[0]
    whole = services.annotation_create(variant=variant, user=colorist, text="  Skin tones too grey  ")
    boxed = services.annotation_create(variant=variant, user=colorist, text="sky too purple", region={"x": 0.5, "y": 0.1, "w": 0.8, "h": 0.2})
    assert whole.text == "Skin tones too grey" and whole.region is None and whole.author == colorist
    assert boxed.region == {"x": 0.5, "y": 0.1, "w": 0.5, "h": 0.2}  # clipped to the image
    for bad in ({"x": 1.2, "y": 0, "w": 0.1, "h": 0.1}, {"x": 0, "y": 0, "w": 0, "h": 0.1}, {"x": 0.1}):
        with pytest.raises(ValidationError):
            services.annotation_create(variant=variant, user=colorist, text="x", region=bad)
    with pytest.raises(ValidationError):
        services.annotation_create(variant=variant, user=colorist, text="   ")


def test_exports_carry_the_approved_colorization_and_reimport_unchanged(variants, photograph, colorist, archivist):
    import csv
    import io

    from apps.collections import services as archive

    services.variant_approve(variant=variants[1], user=colorist)
    out = io.StringIO()
    archive.csv_export(photographs=Photograph.objects.filter(pk=photograph.pk), out=out)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["ai_colorization"] == f"/api/media/variants/{variants[1].pk}/download/png/"
    assert row["ai_colorization_provenance"].startswith("AI-colorized: ") and "seed 2" in row["ai_colorization_provenance"]
    report = archive.csv_import_plan(csv_file=io.BytesIO(out.getvalue().encode()), collection=photograph.collection, user=archivist)
    assert [r["action"] for r in report.as_dict()["rows"]] == ["unchanged"]
    assert not report.as_dict()["errors"]
