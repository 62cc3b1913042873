"""Portal forms. They only parse input: cleaning metadata (EDTF dates, rights, subjects) and
checking files is the services' work, whose ValidationError messages the views put back
on these forms with `add_service_errors`."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from apps.collections.models import RightsStatement


class PhotographMetadataForm(forms.Form):
    identifier = forms.CharField(max_length=120, help_text="Accession number, unique within the collection.")
    title = forms.CharField(max_length=500, required=False)
    creator = forms.CharField(max_length=255, required=False)
    date = forms.CharField(
        max_length=100, required=False,
        help_text="EDTF: 1920-05-03, 1920~ (circa 1920), 192X (the 1920s), 1914/1918. “circa 1920” is understood too.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    subjects = forms.CharField(max_length=2000, required=False, help_text="Subject terms separated by “|”.")
    place = forms.CharField(max_length=255, required=False, help_text="Where it was taken (dc:coverage).")
    source = forms.CharField(max_length=500, required=False)
    language = forms.CharField(max_length=50, required=False)
    format = forms.CharField(max_length=100, required=False, help_text="dc:format, e.g. image/tiff.")
    rights_uri = forms.ChoiceField(label="Rights statement", choices=RightsStatement.choices)
    rights_note = forms.CharField(label="Rights note", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    embargo_until = forms.DateField(
        label="Embargo until", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Until this day the public sees the record but no image.",
    )

    @classmethod
    def initial_for(cls, photograph) -> dict:
        initial = {name: getattr(photograph, name) for name in cls.base_fields}
        initial["subjects"] = " | ".join(photograph.subjects)
        return initial


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class UploadForm(forms.Form):
    collection = forms.ModelChoiceField(queryset=None, empty_label=None, help_text="Where the photographs are catalogued.")
    files = MultipleFileField(
        label="Scans",
        help_text="JPEG, PNG, TIFF (16-bit too) or WebP. Each file becomes one photograph, identified by its file name.",
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/tiff,image/webp,.jpg,.jpeg,.png,.tif,.tiff,.webp"}),
    )

    def __init__(self, *args, collections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collection"].queryset = collections
        self.fields["collection"].label_from_instance = lambda collection: ("— " * collection.depth) + collection.title


class CsvImportForm(forms.Form):
    csv_file = forms.FileField(label="CSV file", help_text="Dublin Core columns; rows matched by collection + identifier are updated, others created.")
    zip_file = forms.FileField(
        label="ZIP of scans", required=False,
        help_text="Files named in the CSV's file column. Optional when rows only update metadata or name files under the import folder.",
    )
    collection = forms.ModelChoiceField(queryset=None, required=False, empty_label="— named in each row —", help_text="For rows without a collection column.")

    def __init__(self, *args, collections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collection"].queryset = collections
        self.fields["collection"].label_from_instance = lambda collection: ("— " * collection.depth) + collection.title


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: per field where the field exists."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class CollectionForm(forms.Form):
    """Every catalogue field of a collection; `parent` moves it (never under itself)."""

    title = forms.CharField(max_length=255)
    slug = forms.SlugField(max_length=120, required=False, help_text="In its URL; made from the title when left empty.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    parent = forms.ModelChoiceField(queryset=None, required=False, empty_label="— none (a fonds at the top) —", help_text="Moving a collection moves everything below it.")
    is_published = forms.BooleanField(
        label="Published", required=False,
        help_text="Unpublishing hides it and everything below it from the public, even series marked published; "
        "publishing it again shows them as they were. Harvesters are told (deleted records).",
    )
    embargo_until = forms.DateField(
        label="Embargo until", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Until this day the public sees the records of its photographs (and those below it) but no image.",
    )

    def __init__(self, *args, collections, collection=None, **kwargs):
        super().__init__(*args, **kwargs)
        if collection is not None:
            collections = collections.exclude(path__startswith=collection.path)
        self.fields["parent"].queryset = collections.order_by("path")
        self.fields["parent"].label_from_instance = lambda c: f"{'— ' * c.depth}{c.title}"

    @classmethod
    def initial_for(cls, collection) -> dict:
        return {name: getattr(collection, name) for name in cls.base_fields}
