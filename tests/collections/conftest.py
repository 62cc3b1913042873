from __future__ import annotations

import pytest

from tests.support.collections import CollectionFactory


@pytest.fixture
def fonds(db):
    """A published root collection."""
    return CollectionFactory(title="Harbour Board fonds", slug="harbour", is_published=True)


@pytest.fixture
def hidden(db):
    """An unpublished root collection."""
    return CollectionFactory(title="Unsorted donations", slug="unsorted", is_published=False)


@pytest.fixture
def media_files(_media_root):
    """Every file under the test's media root (to prove that refused uploads leave nothing)."""
    return lambda: sorted(str(p.relative_to(_media_root)) for p in _media_root.rglob("*") if p.is_file())

