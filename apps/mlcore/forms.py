"""Forms of the model app: input parsing only; the services decide."""
from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError

from apps.collections.models import Collection, RightsStatement

from .models import CuratedSet, ModelVersion
from .selectors import model_version_active
from .services import FINE_TUNING_DEFAULTS, clean_hyperparameters


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

    def clean(self):
        """Every problem with the hyperparameters at once, checked by the service that
        starts the run (`clean_hyperparameters`) against the base version chosen."""
        data = super().clean()
        base = data.get("base_version") or model_version_active()
        if base is None:
            self.add_error("base_version", "No model version is active; choose the version to fine-tune.")
        elif "hyperparameters" in data:
            try:
                clean_hyperparameters(data["hyperparameters"], base_version=base)
            except ValidationError as error:
                for message in error.message_dict.get("hyperparameters", error.messages):
                    self.add_error("hyperparameters", message)
        return data


class ActivationForm(forms.Form):
    """The reason a curator gives to activate a version that is worse than the active one
    on the benchmark set (kept in the version's history)."""

    override_reason = forms.CharField(
        label="Why activate it anyway?", max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept in the version's history with the comparison, e.g. what the benchmark does not show.",
    )


class CuratedSetForm(forms.ModelForm):
    """A new curated set: its name, description and split settings."""

    class Meta:
        model = CuratedSet
        fields = ["name", "description", "holdout_fraction", "seed"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {"holdout_fraction": "Hold-out share", "seed": "Split seed"}

    def validate_unique(self):  # the service says when a name is taken
        pass


YES_NO = [("", "either"), ("yes", "yes"), ("no", "no")]


class CuratedSearchForm(forms.Form):
    """The search page's filters, to add its results to a curated set: colour photographs
    as themselves, grayscale ones through their approved colorization."""

    q = forms.CharField(required=False, max_length=200, label="Words", help_text='As on the search page: "harbour -rail", "\"main street\"".')
    collection = forms.ModelChoiceField(queryset=Collection.objects.none(), required=False, to_field_name="slug", help_text="With its descendants.")
    date_from = forms.IntegerField(required=False, min_value=1, max_value=9999, label="From year")
    date_to = forms.IntegerField(required=False, min_value=1, max_value=9999, label="To year")
    grayscale = forms.ChoiceField(choices=[("", "either"), ("no", "colour"), ("yes", "black and white")], required=False, label="Tone")
    has_approved = forms.ChoiceField(choices=YES_NO, required=False, label="Has an approved colorization")
    rights = forms.ChoiceField(choices=[("", "any"), *RightsStatement.choices], required=False)

    def __init__(self, *args, collections=None, **kwargs):
        super().__init__(*args, **kwargs)
        if collections is not None:
            self.fields["collection"].queryset = collections

    def search_arguments(self) -> dict:
        """Keyword arguments of `collections.selectors.photograph_search`."""
        data = self.cleaned_data
        yes_no = {"yes": True, "no": False}
        arguments = {
            "q": data.get("q") or "", "collection": data.get("collection"), "date_from": data.get("date_from"), "date_to": data.get("date_to"),
            "grayscale": yes_no.get(data.get("grayscale")), "has_approved": yes_no.get(data.get("has_approved")), "rights": data.get("rights") or None,
        }
        return {key: value for key, value in arguments.items() if value not in (None, "")}

    def has_filters(self) -> bool:
        return self.is_bound and self.is_valid() and bool(self.search_arguments())


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


class IdsField(forms.Field):
    """Several ids under one name (ticked checkboxes)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        try:
            return [int(v) for v in value or []]
        except (TypeError, ValueError) as error:
            raise forms.ValidationError("Ids are whole numbers.") from error


class CuratedAddForm(CuratedSetItemsForm):
    """The portal's ways to add items: those of the admin's form, the collections the
    curator may see, and approved colorizations ticked on the picking page."""

    picked_variants = IdsField(required=False)

    def __init__(self, *args, collections=None, **kwargs):
        super().__init__(*args, **kwargs)
        if collections is not None:
            self.fields["add_collection"].queryset = collections
        self.fields["add_collection"].label = "A collection"
        self.fields["add_photographs"].label = "Photograph ids"
        self.fields["add_variants"].label = "Variant ids"

    def service_arguments(self) -> dict:
        arguments = super().service_arguments()
        picked = self.cleaned_data.get("picked_variants") or []
        if picked:
            arguments["variant_ids"] = [*arguments.get("variant_ids", []), *picked]
        return arguments
