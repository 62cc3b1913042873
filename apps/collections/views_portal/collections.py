"""Collections in the portal for archivists: create, edit (every catalogue field), move,
publish or unpublish, delete when empty. Each view parses the form, calls one collection
service (the same the API and the admin call), renders."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.collections import selectors, services
from apps.collections.forms import CollectionForm, add_service_errors
from apps.collections.models import MetadataChange
from archive_site.portal import permission_required


@permission_required("collections.add_collection")
def collection_create(request):
    collections = selectors.collection_visible_to(request.user)
    if request.method == "POST":
        form = CollectionForm(request.POST, collections=collections)
        if form.is_valid():
            try:
                collection = services.collection_create(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Collection “{collection.title}” created{'' if collection.is_published else ' (unpublished)'}.")
                return redirect("collections:collection", slug=collection.slug)
    else:
        parent = collections.filter(slug=request.GET.get("parent", "")).first()
        form = CollectionForm(initial={"parent": parent}, collections=collections)
    return render(request, "collections/collection_form.html", {"form": form, "collection": None})


@permission_required("collections.change_collection")
def collection_edit(request, slug: str):
    collection = selectors.collection_get(user=request.user, slug=slug)
    collections = selectors.collection_visible_to(request.user)
    if request.method == "POST":
        form = CollectionForm(request.POST, collections=collections, collection=collection)
        if form.is_valid():
            try:
                changes = services.collection_update(collection=collection, data=form.cleaned_data, user=request.user, source=MetadataChange.Source.PORTAL)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                collection.refresh_from_db()
                fields = ", ".join(change.field for change in changes)
                messages.success(request, f"Saved ({fields})." if changes else "Nothing changed.")
                return redirect("collections:collection", slug=collection.slug)
    else:
        form = CollectionForm(initial=CollectionForm.initial_for(collection), collections=collections, collection=collection)
    return render(request, "collections/collection_form.html", {
        "form": form, "collection": collection, "ancestors": selectors.collection_ancestors(collection=collection),
    })


@require_POST
@permission_required("collections.delete_collection")
def collection_delete(request, slug: str):
    collection = selectors.collection_get(user=request.user, slug=slug)
    try:
        services.collection_delete(collection=collection, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("collections:collection", slug=collection.slug)
    messages.success(request, f"Collection “{collection.title}” deleted.")
    return redirect("collections:collection-tree")
