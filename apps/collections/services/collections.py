"""Writes on collections: create, edit (with history), move in the tree, publish, delete."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.text import slugify

from .. import selectors
from ..models import Collection, MetadataChange
from .metadata import embargo_normalize, history_rows
from .tombstones import tombstones_reconcile

COLLECTION_EDITABLE_FIELDS = ("title", "slug", "description", "parent", "is_published", "embargo_until")


def _clean(data: dict[str, Any], *, collection: Collection | None) -> dict[str, Any]:
    unknown = set(data) - set(COLLECTION_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown or read-only field." for name in sorted(unknown)})
    cleaned = dict(data)
    if "title" in cleaned:
        cleaned["title"] = (cleaned["title"] or "").strip()
        if not cleaned["title"]:
            raise ValidationError({"title": "A title is required."})
    if "slug" in cleaned:
        slug = slugify(cleaned["slug"] or "")
        if not slug:
            raise ValidationError({"slug": "A slug is required (letters, digits, hyphens)."})
        taken = Collection.objects.filter(slug=slug)
        if collection is not None:
            taken = taken.exclude(pk=collection.pk)
        if taken.exists():
            raise ValidationError({"slug": f'The slug "{slug}" is already used by another collection.'})
        cleaned["slug"] = slug
    if "description" in cleaned:
        cleaned["description"] = (cleaned["description"] or "").strip()
    if "is_published" in cleaned:
        cleaned["is_published"] = bool(cleaned["is_published"])
    if "embargo_until" in cleaned:
        cleaned["embargo_until"] = embargo_normalize(cleaned["embargo_until"])
    parent = cleaned.get("parent")
    if parent is not None and collection is not None and parent.path.startswith(collection.path):
        raise ValidationError({"parent": "A collection cannot be moved inside itself or one of its descendants."})
    return cleaned


def _unique_slug(title: str) -> str:
    base = slugify(title)[:100] or "collection"
    slug, n = base, 2
    while Collection.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def collection_create(
    *, title: str, slug: str = "", description: str = "", parent: Collection | None = None,
    is_published: bool = False, embargo_until=None, user,
) -> Collection:
    data: dict[str, Any] = {"title": title, "description": description, "parent": parent, "is_published": is_published, "embargo_until": embargo_until}
    if slug:
        data["slug"] = slug
    cleaned = _clean(data, collection=None)
    cleaned.setdefault("slug", _unique_slug(cleaned["title"]))
    collection = Collection.objects.create(created_by=user if getattr(user, "is_authenticated", False) else None, **cleaned)
    collection.path = f"{parent.path if parent else '/'}{collection.pk}/"
    collection.save(update_fields=["path"])
    return collection


@transaction.atomic
def collection_update(*, collection: Collection, data: dict[str, Any], user, source: str = MetadataChange.Source.API) -> list[MetadataChange]:
    """Change the given fields; moving to another parent re-paths the whole subtree."""
    cleaned = _clean(data, collection=collection)
    collection = Collection.objects.select_for_update().get(pk=collection.pk)
    changes = {name: (getattr(collection, name), value) for name, value in cleaned.items() if getattr(collection, name) != value}
    if not changes:
        return []
    # What the public sees of the subtree, to write tombstones for what leaves it.
    public_before = selectors.photograph_public_records(collection=collection) if changes.keys() & {"parent", "slug", "is_published"} else None
    for name, (_, value) in changes.items():
        setattr(collection, name, value)
    if "parent" in changes:
        old_path = collection.path
        new_path = f"{collection.parent.path if collection.parent else '/'}{collection.pk}/"
        Collection.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
        )
        collection.path = new_path
    collection.save()
    if public_before is not None:
        tombstones_reconcile(collection=collection, before=public_before, sets_changed=bool(changes.keys() & {"parent", "slug"}))
    display = {name: (_label(old), _label(new)) for name, (old, new) in changes.items()}
    rows = MetadataChange.objects.bulk_create(history_rows(changes=display, user=user, source=source, collection=collection))
    return rows


def _label(value):
    return value.slug if isinstance(value, Collection) else value


def collection_publish(*, collection: Collection, is_published: bool, user, source: str = MetadataChange.Source.API) -> Collection:
    collection_update(collection=collection, data={"is_published": is_published}, user=user, source=source)
    collection.refresh_from_db()
    return collection


@transaction.atomic
def collection_delete(*, collection: Collection, user) -> None:
    """Delete an empty collection; one with photographs or sub-collections is refused."""
    if collection.children.exists():
        raise ValidationError("This collection has sub-collections; move or delete them first.")
    if collection.photographs.exists():
        raise ValidationError("This collection still holds photographs; move or delete them first.")
    collection.delete()
