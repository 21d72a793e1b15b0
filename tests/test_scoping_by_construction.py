"""Organization scoping by construction: a view never queries a model's manager directly.

Every view loads data through `candidates.access` (`get_for_org`, `scoped`) or through a
selector/service that takes the organization; this test reads the view modules' source and
fails on any `Model.objects` / `_default_manager` used anywhere but as the QuerySet handed to
`get_for_org(...)` (which adds the organization filter itself). A new view that writes
`Candidate.objects.filter(...)` fails here before it can leak anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VIEW_MODULES = sorted(
    [
        *ROOT.glob("candidates/views/*.py"),
        ROOT / "reminders" / "views.py",
        ROOT / "api" / "views.py",
        ROOT / "api" / "web_views.py",
        ROOT / "ats" / "views.py",
    ],
)
SCOPING_CALLS = {"get_for_org"}


def _unscoped_manager_uses(tree: ast.AST) -> list[int]:
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in SCOPING_CALLS
            and node.args
        ):
            allowed.update(id(n) for n in ast.walk(node.args[0]))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in {"objects", "_default_manager"}
        and id(node) not in allowed
    ]


@pytest.mark.parametrize("path", VIEW_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_views_reach_models_only_through_the_scoping_helper(path):
    lines = _unscoped_manager_uses(ast.parse(path.read_text()))
    assert not lines, f"{path.name}: unscoped manager use on lines {lines}; use access.scoped()"


def test_the_check_catches_an_unscoped_query():
    leaky = "def view(request):\n    return Candidate.objects.filter(pk=1)\n"
    scoped = "def view(request):\n    return get_for_org(Candidate.objects.all(), request, pk=1)\n"
    assert _unscoped_manager_uses(ast.parse(leaky)) == [2]
    assert _unscoped_manager_uses(ast.parse(scoped)) == []
