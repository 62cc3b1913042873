"""Portal forms: they parse; the services decide (and their errors land on the form)."""
from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from apps.collections.models import Collection
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


class ReviewQueueFilterForm(forms.Form):
    collection = forms.ModelChoiceField(queryset=Collection.objects.none(), to_field_name="slug", required=False, empty_label="All collections")
    model_version = forms.ModelChoiceField(queryset=ModelVersion.objects.order_by("-created_at"), required=False, empty_label="All model versions")

    def __init__(self, *args, collections=None, **kwargs):
        super().__init__(*args, **kwargs)
        if collections is not None:
            self.fields["collection"].queryset = collections
