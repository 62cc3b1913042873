"""The benchmarks import the project's code lazily (inside main(), after Django is set up),
so a renamed function would only show when someone runs one. Check every name they import
from the project still exists."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("apps", "archive_site")


def _project_imports():
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PROJECT_PACKAGES:
                for alias in node.names:
                    yield pytest.param(node.module, alias.name, id=f"{path.name}:{node.module}.{alias.name}")


@pytest.mark.parametrize(("module", "name"), list(_project_imports()))
def test_benchmarks_import_names_that_exist(module, name):
    imported = importlib.import_module(module)
    assert hasattr(imported, name) or importlib.util.find_spec(f"{module}.{name}") is not None, f"{module} has no {name}"
