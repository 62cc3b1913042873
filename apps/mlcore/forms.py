"""Forms of the model app: input parsing only; the services decide."""
from __future__ import annotations

import json

from django import forms

from apps.collections.models import Collection

from .models import ModelVersion
from .selectors import model_version_active
from .services import FINE_TUNING_DEFAULTS


def _ids(value: str, label: str) -> list[int]:
    try:
        return [int(part) for part in value.replace(",", " ").split()]
    except ValueError as error:
        raise forms.ValidationError(f"List {label} ids as whole numbers separated by spaces or commas.") from error


class RetrainForm(forms.Form):
    """The base version and hyperparameters of a new training run (defaults: fine-tuning)."""

    base_version = forms.ModelChoiceField(
        queryset=ModelVersion.objects.exclude(status=ModelVersion.Status.RETIRED), required=False,
        help_text="The version to fine-tune; empty: the active one.",
    )
    hyperparameters = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "cols": 60, "spellcheck": "false"}), required=False,
        help_text="JSON; keys left out take the fine-tuning defaults shown.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base_version"].initial = model_version_active()
        self.fields["hyperparameters"].initial = json.dumps(FINE_TUNING_DEFAULTS, indent=2)

    def clean_hyperparameters(self) -> dict:
        text = (self.cleaned_data.get("hyperparameters") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(f"Not valid JSON: {error}") from error
        if not isinstance(value, dict):
            raise forms.ValidationError("Give an object of hyperparameters, e.g. {\"epochs\": 3}.")
        return value


class CuratedSetItemsForm(forms.Form):
    """Ways to add items to a draft curated set: ids by hand, a search, a collection."""

    add_photographs = forms.CharField(required=False, help_text="Ids of colour photographs, separated by spaces or commas.")
    add_variants = forms.CharField(required=False, help_text="Ids of approved variants.")
    add_search = forms.CharField(required=False, help_text="A search (as on the search page): its colour photographs, and the approved colorizations of its grayscale ones.")
    add_collection = forms.ModelChoiceField(queryset=Collection.objects.all(), required=False, help_text="A collection with all its descendants, likewise.")

    def clean_add_photographs(self) -> list[int]:
        return _ids(self.cleaned_data.get("add_photographs") or "", "photograph")

    def clean_add_variants(self) -> list[int]:
        return _ids(self.cleaned_data.get("add_variants") or "", "variant")

    def service_arguments(self) -> dict:
        """Keyword arguments of `curated_set_add_items` (empty when nothing is asked)."""
        data = self.cleaned_data
        arguments = {}
        if data.get("add_photographs"):
            arguments["photograph_ids"] = data["add_photographs"]
        if data.get("add_variants"):
            arguments["variant_ids"] = data["add_variants"]
        if (data.get("add_search") or "").strip():
            arguments["search"] = {"q": data["add_search"].strip()}
        if data.get("add_collection"):
            arguments["collection"] = data["add_collection"]
        return arguments
