"""Portal forms: they parse; the services decide (and their errors land on the form)."""
from __future__ import annotations

import re
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.collections.models import Collection, Photograph
from apps.mlcore.models import ModelVersion

from .services.requests import DEFAULT_WORKING_SIZE, MAX_SEED, MAX_WORKING_SIZE, MIN_WORKING_SIZE


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: per field where it names one of the form's fields."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ColorizeOptionsForm(forms.Form):
    n_variants = forms.IntegerField(
        label="Variants", min_value=1, initial=3, required=False,
        help_text="Each from its own random seed, stored so it can be reproduced.",
    )
    seeds = forms.CharField(
        label="Or these seeds", required=False, max_length=400,
        help_text="Whole numbers separated by commas or spaces (e.g. 7, 42): the same seed gives the same colours.",
    )
    model_version = forms.ModelChoiceField(
        queryset=ModelVersion.objects.exclude(status=ModelVersion.Status.RETIRED).order_by("-status", "-created_at"),
        required=False, empty_label="The active model", label="Model version",
    )
    working_size = forms.IntegerField(
        label="Working resolution", initial=DEFAULT_WORKING_SIZE, min_value=MIN_WORKING_SIZE, max_value=MAX_WORKING_SIZE,
        help_text="Short side, in pixels, the colours are predicted at; the result keeps the scan's full resolution.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["n_variants"].max_value = settings.COLORIZE_MAX_VARIANTS
        self.fields["n_variants"].widget.attrs["max"] = settings.COLORIZE_MAX_VARIANTS

    def clean_seeds(self) -> list[int] | None:
        text = self.cleaned_data["seeds"].strip()
        if not text:
            return None
        parts = [part for part in re.split(r"[\s,;]+", text) if part]
        if not all(part.isdigit() for part in parts):
            raise ValidationError("Seeds are whole numbers, separated by commas or spaces.")
        seeds = [int(part) for part in parts]
        if any(seed > MAX_SEED for seed in seeds):
            raise ValidationError(f"Seeds go up to {MAX_SEED}.")
        return seeds

    def clean(self):
        data = super().clean()
        if data.get("seeds"):
            data["n_variants"] = None  # explicit seeds win over a count
        elif not data.get("n_variants") and "n_variants" not in self.errors:
            self.add_error("n_variants", "Ask for at least one variant, or give seeds.")
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "n_variants": data.get("n_variants"),
            "seeds": data.get("seeds"),
            "model_version": data.get("model_version"),
            "working_size": data["working_size"],
        }


class BulkColorizeForm(ColorizeOptionsForm):
    collection = forms.ModelChoiceField(queryset=Collection.objects.none(), to_field_name="slug", label="Collection", help_text="Every photograph in it and its sub-collections.")
    grayscale_only = forms.BooleanField(required=False, initial=True, label="Black-and-white photographs only")

    field_order = ["collection", "grayscale_only", "n_variants", "seeds", "model_version", "working_size"]

    def __init__(self, *args, collections=None, **kwargs):
        super().__init__(*args, **kwargs)
        if collections is not None:
            self.fields["collection"].queryset = collections


class AnnotationForm(forms.Form):
    text = forms.CharField(label="Remark", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    x = forms.FloatField(required=False, min_value=0, max_value=1)
    y = forms.FloatField(required=False, min_value=0, max_value=1)
    w = forms.FloatField(required=False, min_value=0, max_value=1)
    h = forms.FloatField(required=False, min_value=0, max_value=1)

    def region(self) -> dict | None:
        values = {key: self.cleaned_data.get(key) for key in ("x", "y", "w", "h")}
        if all(value is None for value in values.values()):
            return None
        return values


class ReviewForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, label="Note")


class BatchColorizeForm(ColorizeOptionsForm):
    """Photographs ticked in search results or on a collection's page, one request each."""

    photograph = forms.ModelMultipleChoiceField(
        queryset=Photograph.objects.none(), label="Photographs",
        error_messages={"required": "Tick at least one photograph.", "invalid_choice": "Photograph %(value)s is not one you can see."},
    )
    source = forms.CharField(required=False, max_length=150, widget=forms.HiddenInput)

    field_order = ["n_variants", "seeds", "model_version", "working_size"]

    def __init__(self, *args, photographs=None, **kwargs):
        kwargs.setdefault("auto_id", "batch_%s")
        super().__init__(*args, **kwargs)
        self.fields["n_variants"].label = "Variants per photograph"
        self.fields["photograph"].widget = forms.MultipleHiddenInput()
        if photographs is not None:
            self.fields["photograph"].queryset = photographs

    def label(self) -> str:
        count = len(self.cleaned_data["photograph"])
        source = self.cleaned_data.get("source", "").strip()
        return f"{count} photograph{'s' if count != 1 else ''} selected" + (f" {source}" if source else "")


class ReviewQueueFilterForm(forms.Form):
    AGES = {
        "day": ("Made in the last 24 hours", timedelta(days=1), None),
        "week": ("Made in the last 7 days", timedelta(days=7), None),
        "older": ("Waiting more than 7 days", None, timedelta(days=7)),
    }

    collection = forms.ModelChoiceField(queryset=Collection.objects.none(), to_field_name="slug", required=False, empty_label="All collections")
    model_version = forms.ModelChoiceField(queryset=ModelVersion.objects.order_by("-created_at"), required=False, empty_label="All model versions")
    requested_by = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(colorization_requests__isnull=False).distinct().order_by("username"),
        to_field_name="username", required=False, empty_label="Anyone", label="Requested by",
    )
    age = forms.ChoiceField(choices=[("", "Any age"), *((key, label) for key, (label, _, _) in AGES.items())], required=False, label="Age")

    def __init__(self, *args, collections=None, **kwargs):
        super().__init__(*args, **kwargs)
        if collections is not None:
            self.fields["collection"].queryset = collections

    def queue_filters(self) -> dict:
        """The selector's arguments (`selectors.review_queue`); none when the form is unbound or invalid."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        filters = {key: data[key] for key in ("collection", "model_version", "requested_by") if data.get(key) is not None}
        if data.get("age"):
            now = timezone.now()
            _, newer_than, older_than = self.AGES[data["age"]]
            if newer_than is not None:
                filters["created_after"] = now - newer_than
            if older_than is not None:
                filters["created_before"] = now - older_than
        return filters


class CompareForm(forms.Form):
    """Which variants of a photograph the comparison grid shows (`v`, repeated), or one request's."""

    v = forms.TypedMultipleChoiceField(coerce=int, required=False, label="Variants", widget=forms.CheckboxSelectMultiple)
    request = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, variants=(), limit: int = 8, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.fields["v"].choices = [(variant.pk, f"Seed {variant.seed}") for variant in variants]

    def clean_v(self) -> list[int]:
        chosen = self.cleaned_data["v"]
        if len(chosen) > self.limit:
            raise ValidationError(f"Compare at most {self.limit} variants at once; {len(chosen)} were ticked.")
        return chosen
