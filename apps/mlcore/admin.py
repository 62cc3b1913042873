"""Admin of the model app: curated sets (items, sample, freeze, retrain), training runs
(progress, cancel) and model versions (metrics side by side, activate, retire). Every
action calls a service; the services' errors are shown as messages."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from archive_site.admin_actions import ReadOnlyAdmin, for_each_selected

from . import selectors, services
from .forms import ActivationForm, CuratedSetItemsForm, RetrainForm
from .gan.checkpoint import CheckpointError, load_generator
from .gan.evaluate import COLUMNS
from .models import CuratedItem, CuratedSet, ModelVersion, ModelVersionEvent, TrainingProgress, TrainingRun


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _number(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def _thumbnail(item: CuratedItem):
    url = reverse("mlcore:curated-item-thumbnail", args=[item.pk])
    return format_html('<img src="{}" alt="{}" style="height:64px;width:auto;border-radius:3px">', url, item.key)


# --- curated sets --------------------------------------------------------------------------------

class CuratedItemInline(admin.TabularInline):
    model = CuratedItem
    extra = 0
    fields = ["thumbnail", "kind", "photograph", "variant", "added_by", "added_at"]
    readonly_fields = fields
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False  # items are added through the set's form, which checks them

    def has_delete_permission(self, request, obj=None):
        return obj is not None and not obj.is_frozen and super().has_delete_permission(request, obj)

    @admin.display(description="Image")
    def thumbnail(self, item):
        return _thumbnail(item)


class CuratedSetAdminForm(forms.ModelForm, CuratedSetItemsForm):
    class Meta:
        model = CuratedSet
        fields = ["name", "description", "seed", "holdout_fraction"]


@admin.register(CuratedSet)
class CuratedSetAdmin(admin.ModelAdmin):
    form = CuratedSetAdminForm
    list_display = ["name", "status", "size", "frozen_at", "created_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "description"]
    inlines = [CuratedItemInline]
    actions = ["retrain", "freeze"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": ["name", "description"]})]
        if obj is not None:
            fieldsets.append(("Contents", {"fields": ["size", "sample", "status", "frozen_at", "split_summary"]}))
        fieldsets.append(("Split", {"fields": ["seed", "holdout_fraction"]}))
        if obj is None or not obj.is_frozen:
            fieldsets.append(("Add items", {
                "fields": ["add_photographs", "add_variants", "add_search", "add_collection"],
                "description": "Items that cannot serve (grayscale photographs, missing files, variants not approved, duplicates) are refused with the reason.",
            }))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = ["size", "sample", "status", "frozen_at", "split_summary"]
        if obj is not None and obj.is_frozen:
            readonly += ["seed", "holdout_fraction"]
        return readonly

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.training_runs.exists())

    @admin.display(description="Items", ordering="item_count")
    def size(self, obj):
        count = getattr(obj, "item_count", None)
        if count is None:
            count = obj.items.count()
        usable = len(selectors.curated_set_usable_keys(obj))
        return f"{count} ({usable} usable)" if usable != count else str(count)

    @admin.display(description="Sample")
    def sample(self, obj):
        items = selectors.curated_set_sample(curated_set=obj)
        if not items:
            return "—"
        return format_html_join(" ", "{}", ((_thumbnail(item),) for item in items))

    @admin.display(description="Train / hold-out")
    def split_summary(self, obj):
        if not obj.is_frozen:
            return "Fixed when the set is frozen (by the Freeze action, or its first training run)."
        return f"{len(obj.split.get('train', []))} to train on, {len(obj.split.get('holdout', []))} held out: {', '.join(obj.split.get('holdout', []))}"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = {key: data[key] for key in ("name", "description", "seed", "holdout_fraction") if key in form.changed_data}
            saved = services.curated_set_update(curated_set=obj, data=fields, user=request.user)
        else:
            saved = services.curated_set_create(
                name=data["name"], description=data["description"], seed=data["seed"], holdout_fraction=data["holdout_fraction"], user=request.user,
            )
        # The admin goes on with `obj` (inlines, history, redirect): make it the saved row.
        vars(obj).update(vars(saved))
        arguments = form.service_arguments()
        if arguments:
            self._add_items(request, obj, arguments)

    def _add_items(self, request, curated_set, arguments):
        try:
            result = services.curated_set_add_items(curated_set=curated_set, user=request.user, **arguments)
        except ValidationError as error:
            self.message_user(request, _errors(error), messages.ERROR)
            return
        self.message_user(request, f"{len(result.added)} item{'s' if len(result.added) != 1 else ''} added to “{curated_set}”.", messages.SUCCESS)
        for refusal in result.refused[:50]:
            self.message_user(request, f"Not added: {refusal.item}: {refusal.reason}.", messages.WARNING)
        if len(result.refused) > 50:
            self.message_user(request, f"… and {len(result.refused) - 50} more refused.", messages.WARNING)

    def save_formset(self, request, form, formset, change):
        if formset.model is not CuratedItem:
            return super().save_formset(request, form, formset, change)
        removed = [f.instance.pk for f in formset.deleted_forms if f.instance.pk]
        if removed:
            try:
                count = services.curated_set_remove_items(curated_set=form.instance, item_ids=removed, user=request.user)
            except ValidationError as error:
                self.message_user(request, _errors(error), messages.ERROR)
            else:
                self.message_user(request, f"{count} item{'s' if count != 1 else ''} removed.", messages.SUCCESS)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @admin.action(description="Freeze (fix the train/hold-out split)", permissions=["change"])
    def freeze(self, request, queryset):
        for curated_set in queryset:
            try:
                frozen = services.curated_set_freeze(curated_set=curated_set, user=request.user)
            except ValidationError as error:
                self.message_user(request, _errors(error), messages.ERROR)
                continue
            self.message_user(
                request, f"“{frozen}” is frozen: {len(frozen.split['train'])} to train on, {len(frozen.split['holdout'])} held out.", messages.SUCCESS,
            )

    @admin.action(description="Retrain the model on these sets…", permissions=["retrain"])
    def retrain(self, request, queryset):
        """Asks for the base version and hyperparameters first (defaults filled in; every
        problem with them shown at once, as the portal does), then queues one training run
        per selected set."""
        if "apply" in request.POST:
            form = RetrainForm(request.POST)
            if form.is_valid():
                started = 0
                for curated_set in queryset:
                    try:
                        run = services.training_run_create(
                            curated_set=curated_set, user=request.user, base_version=form.cleaned_data["base_version"],
                            hyperparameters=form.cleaned_data["hyperparameters"],
                        )
                    except ValidationError as error:
                        self.message_user(request, f"“{curated_set}”: {_errors(error)}", messages.ERROR)
                        continue
                    started += 1
                    link = reverse("mlcore:training-run", args=[run.pk])
                    self.message_user(request, format_html('Training run <a href="{}">#{}</a> of “{}” is queued.', link, run.pk, curated_set), messages.SUCCESS)
                if started:
                    return HttpResponseRedirect(reverse("admin:mlcore_trainingrun_changelist"))
                return None
        else:
            form = RetrainForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Retrain the model",
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action_name": "retrain",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "mlcore/admin/retrain.html", context)

    def has_retrain_permission(self, request):
        return request.user.has_perm("mlcore.add_trainingrun")


# --- training runs -------------------------------------------------------------------------------

class TrainingProgressInline(admin.TabularInline):
    model = TrainingProgress
    extra = 0
    fields = ["epoch", "epochs", "step", "total_steps", "loss_summary", "val_summary", "elapsed_seconds", "eta_seconds", "attempt", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Losses")
    def loss_summary(self, event):
        return ", ".join(f"{k} {v:.4f}" for k, v in event.losses.items())

    @admin.display(description="Validation")
    def val_summary(self, event):
        return ", ".join(f"{k} {_number(v)}" for k, v in event.val.items())


def progress_text(run: TrainingRun) -> str:
    """One line for a person: stage, epoch, step and ETA."""
    progress = run.progress or {}
    parts = [progress.get("stage", run.status)]
    if progress.get("total_steps"):
        parts.append(f"epoch {progress.get('epoch', 0)}/{progress.get('epochs', '?')}, step {progress.get('step', 0)}/{progress['total_steps']}")
    eta = progress.get("eta_seconds")
    if run.status == TrainingRun.Status.RUNNING and eta:
        parts.append(f"about {int(eta // 60)} min {int(eta % 60)} s left")
    return " · ".join(parts)


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "curated_set", "base_version", "status", "progress_summary", "result_version", "requested_by", "requested_at"]
    list_filter = ["status"]
    list_select_related = ["curated_set", "base_version", "result_version", "requested_by"]
    search_fields = ["curated_set__name", "job_id"]
    inlines = [TrainingProgressInline]
    actions = ["cancel", "rerun"]
    fields = [
        "curated_set", "base_version", "status", "progress_summary", "page_link", "result_version", "evaluation_table", "error",
        "hyperparameters_json", "data_summary_json", "log_tail", "checkpoint_path", "cancel_requested", "job_id", "attempts",
        "max_attempts", "requested_by", "requested_at", "queued_at", "started_at", "heartbeat_at", "finished_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # runs start from a curated set (Retrain), the API or train_gan --curated-set

    @admin.display(description="Progress")
    def progress_summary(self, run):
        return progress_text(run)

    @admin.display(description="Live page")
    def page_link(self, run):
        url = reverse("mlcore:training-run", args=[run.pk])
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description="Hold-out evaluation")
    def evaluation_table(self, run):
        if not run.evaluation:
            return "—"
        evaluation = run.evaluation
        return _metrics_table([("candidate", evaluation.get("candidate", {})), ("base", evaluation.get("base", {})), ("grayscale input", evaluation.get("grayscale", {}))])

    @admin.display(description="Hyperparameters")
    def hyperparameters_json(self, run):
        return format_html("<pre>{}</pre>", json.dumps(run.hyperparameters, indent=2))

    @admin.display(description="Data")
    def data_summary_json(self, run):
        return format_html("<pre>{}</pre>", json.dumps(run.data_summary, indent=2))

    @admin.action(description="Cancel the selected runs", permissions=["change"])
    def cancel(self, request, queryset):
        for_each_selected(self, request, queryset, lambda run: services.training_run_cancel(training_run=run, user=request.user),
                          "Cancel requested")

    @admin.action(description="Re-run the selected failed or cancelled runs (from their last checkpoint)", permissions=["change"])
    def rerun(self, request, queryset):
        for_each_selected(self, request, queryset, lambda run: services.training_run_rerun(training_run=run, user=request.user),
                          "Queued again")


# --- model versions ------------------------------------------------------------------------------

def _metrics_table(columns: list[tuple[str, dict]]):
    """Metrics side by side: one row per evaluate_gan metric, one column per model."""
    head = format_html_join("", "<th>{}</th>", ((label,) for label, _ in columns))
    rows = format_html_join(
        "", "<tr><th>{}</th>{}</tr>",
        ((title, format_html_join("", "<td>{}</td>", ((_number(values.get(key)),) for _, values in columns))) for key, title in COLUMNS),
    )
    return format_html('<table><thead><tr><th>metric</th>{}</tr></thead><tbody>{}</tbody></table>', head, rows)


def _holdout(version: ModelVersion, key: str):
    return (version.metrics.get("holdout") or {}).get(key)


class ModelVersionAddForm(forms.ModelForm):
    """Adding a version is registering a checkpoint (`model_version_register`): the weights
    are checked to load, copied to media storage and hashed; name and version default to
    those stored in the checkpoint."""

    checkpoint = forms.FileField(help_text="A generator checkpoint (.pt) written by train_gan or a training run.")

    class Meta:
        model = ModelVersion
        fields = ["checkpoint", "name", "version", "base_version", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("name", "version"):
            self.fields[name].required = False
            self.fields[name].help_text = "Leave empty to use the one stored in the checkpoint."

    def clean(self):
        data = super().clean()
        upload = data.get("checkpoint")
        if upload is None:
            return data
        # A checkpoint that does not load, or a name and version taken, is an error on the form;
        # the upload waits in a temporary file for save_model.
        handle = tempfile.NamedTemporaryFile(suffix=".pt", delete=False)
        with handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        self.checkpoint_path = Path(handle.name)
        try:
            _, meta = load_generator(self.checkpoint_path)
        except CheckpointError as error:
            self.checkpoint_path.unlink(missing_ok=True)
            raise ValidationError({"checkpoint": f"Not a usable generator checkpoint: {error}"}) from error
        name, version = data.get("name") or meta["name"], data.get("version") or meta["version"]
        if ModelVersion.objects.filter(name=name, version=version).exists():
            self.checkpoint_path.unlink(missing_ok=True)
            raise ValidationError(f"A model version {name} {version} already exists; give another version.")
        return data

    def _post_clean(self):  # the row is built by model_version_register, not from the form
        pass


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "status", "base_version", "delta_e", "base_delta_e", "psnr", "ssim", "colourfulness_gap", "created_at"]
    list_filter = ["status"]
    list_select_related = ["base_version"]
    search_fields = ["name", "version", "weights_sha256"]
    readonly_fields = ["weights_sha256", "created_at", "activated_at", "status", "benchmark_scores", "metrics_side_by_side", "produced_by", "history"]
    actions = ["activate", "score_on_benchmark", "retire"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ModelVersionAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ModelVersionAddForm.Meta.fields if obj is None else super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [*self.readonly_fields, "weights", "config", "benchmark"]  # scores come from scoring only

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        try:
            registered = services.model_version_register(
                weights_path=form.checkpoint_path, name=data["name"] or None, version=data["version"] or None,
                base_version=data["base_version"], notes=data["notes"], created_by=request.user,
            )
        finally:
            form.checkpoint_path.unlink(missing_ok=True)
        # The admin goes on with `obj` (its message, its redirect): make it the registered row.
        obj.__dict__.update({k: v for k, v in registered.__dict__.items() if k != "_state"})
        obj._state.adding = False

    @admin.display(description="hold-out ΔE2000 ↓")
    def delta_e(self, version):
        return _number(_holdout(version, "delta_e2000"))

    @admin.display(description="base on same hold-out")
    def base_delta_e(self, version):
        return _number((version.metrics.get("base_holdout") or {}).get("delta_e2000"))

    @admin.display(description="PSNR ↑")
    def psnr(self, version):
        return _number(_holdout(version, "psnr"))

    @admin.display(description="SSIM ↑")
    def ssim(self, version):
        return _number(_holdout(version, "ssim"))

    @admin.display(description="colourfulness gap")
    def colourfulness_gap(self, version):
        return _number(_holdout(version, "colourfulness_gap"))

    @admin.display(description="Metrics (hold-out of its training run)")
    def metrics_side_by_side(self, version):
        if not version.metrics.get("holdout"):
            return format_html("<pre>{}</pre>", json.dumps(version.metrics, indent=2)) if version.metrics else "—"
        base = f"base {version.base_version}" if version.base_version else "base"
        metrics = version.metrics
        return _metrics_table([(str(version), metrics["holdout"]), (base, metrics.get("base_holdout", {})), ("grayscale input", metrics.get("grayscale_holdout", {}))])

    @admin.display(description="Benchmark set")
    def benchmark_scores(self, version):
        record = version.benchmark or {}
        if not record.get("scores"):
            return "Not scored yet (action “Score on the benchmark set”, or manage.py evaluate_benchmark)."
        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((title, _number(record["scores"].get(key)), _number((record.get("spread") or {}).get(key)), _number((record.get("grayscale") or {}).get(key)))
             for key, title in COLUMNS),
        )
        return format_html(
            "<p>{} ({} images, seeds {})</p><table><thead><tr><th>metric</th><th>score</th><th>spread between seeds</th><th>grayscale input</th></tr></thead>"
            "<tbody>{}</tbody></table>", record.get("id"), record.get("images"), record.get("seeds"), rows,
        )

    @admin.display(description="History")
    def history(self, version):
        events = selectors.model_version_history(model_version=version)
        if not events:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} — {}{}{}</li>", (
            (f"{event.created_at:%Y-%m-%d %H:%M}", event.get_kind_display(), f" by {event.user.get_username()}" if event.user else "",
             f": “{event.reason}”" if event.reason else "")
            for event in events
        )))

    @admin.display(description="Training run")
    def produced_by(self, version):
        run = getattr(version, "training_run", None)
        if run is None:
            return "—"
        return format_html('<a href="{}">#{} on “{}”</a>', reverse("mlcore:training-run", args=[run.pk]), run.pk, run.curated_set)

    @admin.action(description="Activate (make it the default for new colorizations)", permissions=["change"])
    def activate(self, request, queryset):
        """Activates the selected version; one worse than the active version on the
        benchmark set asks for the reason first (the portal's page, in the admin)."""
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
            return None
        form = ActivationForm(request.POST if "apply" in request.POST else None)
        reason = form.cleaned_data["override_reason"] if form.is_bound and form.is_valid() else ""
        try:
            version = services.model_version_activate(model_version=queryset.get(), user=request.user, override_reason=reason)
        except services.ActivationNeedsReason as refusal:
            context = {
                **self.admin_site.each_context(request), "title": f"Activate {refusal.check.candidate}?", "opts": self.model._meta,
                "check": refusal.check, "form": form, "version": refusal.check.candidate, "action_name": "activate",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "mlcore/admin/activate.html", context, status=409)
        self.message_user(request, f"{version} is now the active model.", messages.SUCCESS)
        return None

    @admin.action(description="Score on the benchmark set (queued)", permissions=["change"])
    def score_on_benchmark(self, request, queryset):
        for_each_selected(self, request, queryset, lambda version: services.model_version_benchmark_request(model_version=version, user=request.user),
                          "Benchmark scoring queued")

    @admin.action(description="Retire (no new colorizations)", permissions=["change"])
    def retire(self, request, queryset):
        for_each_selected(self, request, queryset, lambda version: services.model_version_retire(model_version=version, user=request.user),
                          "Retired")


@admin.register(ModelVersionEvent)
class ModelVersionEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The versions' history, read-only: the services write it."""

    list_display = ["created_at", "model_version", "kind", "user", "reason"]
    list_filter = ["kind"]
    list_select_related = ["model_version", "user"]
    search_fields = ["model_version__name", "model_version__version", "reason"]
    readonly_fields = ["model_version", "kind", "user", "reason", "details", "created_at"]
