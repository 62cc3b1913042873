"""The curator's curated sets: list and create, a set's items (thumbnails, remove), adding
from a collection, a search, approved colorizations or ids, freezing, deleting, and
starting a training run with checked hyperparameters. The same services as the admin and
the API; the curator role's permissions suffice (no staff status)."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.collections import selectors as archive
from apps.collections.views_portal.common import with_thumbnails
from archive_site.portal import paginate, permission_required, require_permission

from .. import selectors, services
from ..forms import CuratedAddForm, CuratedSearchForm, CuratedSetForm, RetrainForm
from ..models import CuratedItem, CuratedSet
from .common import stream

ITEMS_PER_PAGE = 48
REFUSALS_SHOWN = 20


def _visible_collections(user):
    return archive.collection_visible_to(user).order_by("path")


def _report_added(request, curated_set: CuratedSet, result) -> None:
    added = len(result.added)
    messages.success(request, f"{added} item{'s' if added != 1 else ''} added to “{curated_set}”.")
    for refusal in result.refused[:REFUSALS_SHOWN]:
        messages.warning(request, f"Not added: {refusal.item}: {refusal.reason}.")
    if len(result.refused) > REFUSALS_SHOWN:
        messages.warning(request, f"… and {len(result.refused) - REFUSALS_SHOWN} more not added.")


@permission_required("mlcore.view_curatedset")
def curated_sets(request):
    """Every set with its size and runs; a curator may create one here."""
    form = CuratedSetForm(request.POST or None)
    if request.method == "POST":
        require_permission(request.user, "mlcore.add_curatedset")
        if form.is_valid():
            try:
                created = services.curated_set_create(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"“{created}” is created: add items to it.")
                return redirect("mlcore:curated-set", pk=created.pk)
    sets = selectors.curated_set_list().annotate(run_count=Count("training_runs", distinct=True)).order_by("-created_at", "-pk")
    return render(request, "mlcore/curated_sets.html", {
        "sets": paginate(request, sets), "form": form, "can_add": request.user.has_perm("mlcore.add_curatedset"),
    })


@permission_required("mlcore.view_curatedset")
def curated_set_detail(request, pk: int):
    curated_set = get_object_or_404(CuratedSet, pk=pk)
    items = selectors.curated_set_items(curated_set=curated_set)
    counts = items.aggregate(
        photographs=Count("pk", filter=Q(kind=CuratedItem.Kind.PHOTOGRAPH)), variants=Count("pk", filter=Q(kind=CuratedItem.Kind.VARIANT)),
    )
    can_change = request.user.has_perm("mlcore.change_curatedset") and not curated_set.is_frozen
    return render(request, "mlcore/curated_set.html", {
        "curated_set": curated_set,
        "items": paginate(request, items, ITEMS_PER_PAGE),
        "counts": counts,
        "usable": len(selectors.curated_set_usable_keys(curated_set)),
        "holdout_keys": set(curated_set.split.get("holdout", [])),
        "runs": selectors.training_run_list(curated_set=curated_set),
        "can_change": can_change,
        "can_delete": request.user.has_perm("mlcore.delete_curatedset") and not curated_set.training_runs.exists(),
        "can_retrain": request.user.has_perm("mlcore.add_trainingrun"),
        "add_form": CuratedAddForm(collections=_visible_collections(request.user)) if can_change else None,
        "search_form": CuratedSearchForm(collections=_visible_collections(request.user)) if can_change else None,
        "benchmark_id": selectors.benchmark_current_id(),
    })


@require_POST
@permission_required("mlcore.change_curatedset")
def curated_set_add(request, pk: int):
    """Add items: by ids, a collection, a search (its filters) or picked approved colorizations."""
    curated_set = get_object_or_404(CuratedSet, pk=pk)
    collections = _visible_collections(request.user)
    form = CuratedAddForm(request.POST, collections=collections)
    search = CuratedSearchForm(request.POST, collections=collections) if request.POST.get("source") == "search" else None
    if not form.is_valid() or (search is not None and not search.is_valid()):
        problems = [error for bound in (form, search) if bound is not None for errors in bound.errors.values() for error in errors]
        messages.error(request, " ".join(problems))
        return redirect("mlcore:curated-set", pk=pk)
    arguments = form.service_arguments()
    if search is not None:
        arguments["search"] = search.search_arguments()
    if not arguments:
        messages.error(request, "Nothing to add: choose a collection, a search, colorizations or ids.")
        return redirect("mlcore:curated-set", pk=pk)
    try:
        result = services.curated_set_add_items(curated_set=curated_set, user=request.user, **arguments)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _report_added(request, curated_set, result)
    return redirect("mlcore:curated-set", pk=pk)


@permission_required("mlcore.change_curatedset")
def curated_set_search(request, pk: int):
    """A search's results, as the search page takes them (the same query string), before
    adding them: how many would come in as colour photographs and as approved colorizations."""
    curated_set = get_object_or_404(CuratedSet, pk=pk)
    form = CuratedSearchForm(request.GET or None, collections=_visible_collections(request.user))
    results = page = None
    if form.has_filters():
        try:
            photographs = archive.photograph_search(user=request.user, **form.search_arguments())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            results = photographs.aggregate(
                total=Count("pk"), colour=Count("pk", filter=Q(is_grayscale=False)),
                approved=Count("pk", filter=Q(is_grayscale=True, has_approved_colorization=True)),
            )
            page = paginate(request, photographs.select_related("collection"), ITEMS_PER_PAGE)
            page.object_list = with_thumbnails(page.object_list)
    return render(request, "mlcore/curated_set_search.html", {"curated_set": curated_set, "form": form, "results": results, "page": page})


@permission_required("mlcore.change_curatedset")
def curated_set_variants(request, pk: int):
    """Approved colorizations whose photograph the set does not hold yet, to pick from."""
    curated_set = get_object_or_404(CuratedSet, pk=pk)
    variants = selectors.approved_variants_outside(curated_set=curated_set, user=request.user)
    return render(request, "mlcore/curated_set_variants.html", {
        "curated_set": curated_set, "variants": paginate(request, variants, ITEMS_PER_PAGE), "total": variants.count(),
    })


@require_POST
@permission_required("mlcore.change_curatedset")
def curated_set_remove(request, pk: int):
    curated_set = get_object_or_404(CuratedSet, pk=pk)
    ids = [int(value) for value in request.POST.getlist("item") if value.isdigit()]
    if not ids:
        messages.error(request, "Tick the items to remove first.")
        return redirect("mlcore:curated-set", pk=pk)
    try:
        removed = services.curated_set_remove_items(curated_set=curated_set, item_ids=ids, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{removed} item{'s' if removed != 1 else ''} removed from “{curated_set}”.")
    return redirect("mlcore:curated-set", pk=pk)


@require_POST
@permission_required("mlcore.change_curatedset")
def curated_set_freeze(request, pk: int):
    try:
        frozen = services.curated_set_freeze(curated_set=get_object_or_404(CuratedSet, pk=pk), user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{frozen}” is frozen: {len(frozen.split['train'])} to train on, {len(frozen.split['holdout'])} held out.")
    return redirect("mlcore:curated-set", pk=pk)


@require_POST
@permission_required("mlcore.delete_curatedset")
def curated_set_delete(request, pk: int):
    curated_set = get_object_or_404(CuratedSet, pk=pk)
    try:
        services.curated_set_delete(curated_set=curated_set, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("mlcore:curated-set", pk=pk)
    messages.success(request, f"“{curated_set}” is deleted.")
    return redirect("mlcore:curated-sets")


@permission_required("mlcore.add_trainingrun")
def curated_set_retrain(request, pk: int):
    """Start a training run of the set: the base version and hyperparameters (fine-tuning
    defaults filled in), every problem with them reported at once; then the run's live page."""
    curated_set = get_object_or_404(CuratedSet, pk=pk)
    form = RetrainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.training_run_create(
                curated_set=curated_set, user=request.user, base_version=form.cleaned_data["base_version"],
                hyperparameters=form.cleaned_data["hyperparameters"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Training run #{run.pk} of “{curated_set}” is queued.")
            return redirect("mlcore:training-run", pk=run.pk)
    return render(request, "mlcore/curated_set_retrain.html", {
        "curated_set": curated_set, "form": form, "usable": len(selectors.curated_set_usable_keys(curated_set)),
        "benchmark_id": selectors.benchmark_current_id(),
    })


@permission_required("mlcore.view_curatedset")
def curated_item_thumbnail(request, pk: int):
    """The thumbnail of a curated item: its photograph's, or its variant's."""
    item = get_object_or_404(CuratedItem.objects.select_related("photograph", "variant"), pk=pk)
    if item.kind == CuratedItem.Kind.PHOTOGRAPH:
        return stream(item.photograph.thumbnail or item.photograph.display)
    return stream(item.variant.thumbnail)
