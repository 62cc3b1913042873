"""CSV import: upload a CSV (and a ZIP of scans), see the dry run's report row by row, then
run it in the background and watch its progress.

Between the dry run and the real run the uploaded files wait in storage under
`imports/pending/<token>/`; the token is kept in the session, so only the person who made
the dry run can start the import from it.
"""
from __future__ import annotations

import secrets
from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.shortcuts import redirect, render

from apps.collections import selectors, services
from apps.collections.forms import CsvImportForm, add_service_errors
from archive_site.portal import permission_required

PENDING_SESSION_KEY = "collections.csv_pending"


@permission_required("collections.add_csvimport")
def csv_import(request):
    collections = selectors.collection_visible_to(request.user).order_by("path")
    if request.method == "POST" and request.POST.get("action") == "run":
        return _run(request, collections)
    report = None
    token = ""
    if request.method == "POST":
        form = CsvImportForm(request.POST, request.FILES, collections=collections)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = services.csv_import_plan(csv_file=data["csv_file"], zip_file=data["zip_file"], collection=data["collection"], user=request.user).as_dict()
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                token = _stash(request, data)
    else:
        form = CsvImportForm(collections=collections)
    return render(request, "collections/csv_import.html", {"form": form, "report": report, "token": token, "summary": _summary(report)})


def _run(request, collections):
    pending = request.session.get(PENDING_SESSION_KEY, {}).get(request.POST.get("token", ""))
    if pending is None:
        messages.error(request, "That dry run has expired or was already imported: upload the CSV again.")
        return redirect("collections:csv-import")
    collection = collections.filter(pk=pending["collection"]).first() if pending["collection"] else None
    csv_file = default_storage.open(pending["csv"], "rb")
    zip_file = default_storage.open(pending["zip"], "rb") if pending["zip"] else None
    try:
        csv_import = services.csv_import_start(csv_file=csv_file, zip_file=zip_file, collection=collection, user=request.user)
    finally:
        csv_file.close()
        if zip_file:
            zip_file.close()
    _forget(request, request.POST["token"], pending)
    messages.success(request, f"Import #{csv_import.pk} started.")
    return redirect("collections:csv-import-detail", pk=csv_import.pk)


def _stash(request, data) -> str:
    token = secrets.token_urlsafe(16)
    folder = f"imports/pending/{token}"
    pending = {
        "csv": default_storage.save(f"{folder}/{PurePath(data['csv_file'].name).name}", data["csv_file"]),
        "zip": default_storage.save(f"{folder}/{PurePath(data['zip_file'].name).name}", data["zip_file"]) if data["zip_file"] else "",
        "collection": data["collection"].pk if data["collection"] else None,
    }
    stash = request.session.get(PENDING_SESSION_KEY, {})
    stash[token] = pending
    request.session[PENDING_SESSION_KEY] = stash
    return token


def _forget(request, token: str, pending: dict) -> None:
    for name in (pending["csv"], pending["zip"]):
        if name:
            default_storage.delete(name)
    stash = request.session.get(PENDING_SESSION_KEY, {})
    stash.pop(token, None)
    request.session[PENDING_SESSION_KEY] = stash


def _summary(report: dict | None) -> dict | None:
    if report is None:
        return None
    labels = {"create": "new", "update": "to update", "unchanged": "unchanged", "error": "with errors"}
    actions = {labels.get(action, action): n for action, n in report["counts"].items() if n}
    return {"rows": len(report["rows"]), "errors": len(report["errors"]), "actions": actions}


@permission_required("collections.add_csvimport")
def csv_import_detail(request, pk: int):
    csv_import = selectors.csv_import_get(user=request.user, pk=pk)
    return render(request, "collections/csv_import_detail.html", {"csv_import": csv_import, "report": csv_import.report or {}})
