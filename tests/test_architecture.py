"""The house rules of the code base, checked from the source: one-way dependencies between the
packages, no import circles, no module over 500 lines, no private name imported across modules,
and one call of the instance builder.

Imports are read with :mod:`ast` (every ``import``, also those inside functions and under
``TYPE_CHECKING``), so a circle hidden in a function-level import counts as a circle.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("fleetplan", "solver", "api")
MAX_LINES = 500
# A package may import the ones before it in this order, never the ones after.
LAYERS = {"fleetplan": 0, "solver": 1, "api": 2}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(imported module, names taken from it) for every import statement of a module, and for the
    modules a package ``__init__`` re-exports lazily (its ``_EXPORTS`` map, loaded by name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, tuple(alias.name for alias in node.names)))
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_EXPORTS" for t in node.targets):
            found += [(module, ()) for module in ast.literal_eval(node.value)]
    return found


def _resolve(module: str, names: tuple[str, ...]) -> list[str]:
    """The project modules an import statement reaches. ``from a import b`` reaches module ``a.b``
    when ``b`` is a submodule, and ``a`` itself (its ``__init__``) for any other name."""
    submodules = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
    takes_from_module = not names or len(submodules) < len(names)
    return ([module] if module in MODULES and takes_from_module else []) + submodules


GRAPH = {
    name: sorted(
        {target for module, names in _imports(name, path) for target in _resolve(module, names) if target != name}
    )
    for name, path in MODULES.items()
}


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    assert _cycles(GRAPH) == []


def test_dependencies_point_one_way():
    upward = [
        (name, target)
        for name, targets in GRAPH.items()
        for target in targets
        if LAYERS[target.split(".")[0]] > LAYERS[name.split(".")[0]]
    ]
    assert upward == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_500_lines(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(ROOT)} has {lines} lines"


def test_no_private_name_is_imported_from_another_module():
    private = [
        (name, module, imported)
        for name, path in MODULES.items()
        for module, names in _imports(name, path)
        if module.split(".")[0] in PACKAGES
        for imported in names
        if imported.startswith("_") and not imported.startswith("__")
    ]
    assert private == []


def test_the_planning_apps_use_only_the_dispatch_seam():
    inside = [
        (name, target)
        for name, targets in GRAPH.items()
        if name.startswith("solver.planning")
        for target in targets
        if target.startswith("solver.dispatch.")
    ]
    outside = [
        (name, target)
        for name, targets in GRAPH.items()
        if name.startswith("api")
        for target in targets
        if target.startswith("solver.dispatch.")
    ]
    assert inside == [] and outside == []


def test_the_instance_builder_is_called_in_one_place():
    importers = [
        name
        for name, targets in GRAPH.items()
        if not name.startswith("fleetplan.builder")
        and any(t == "fleetplan.builder" or t.startswith("fleetplan.builder.") for t in targets)
    ]
    callers = [
        name
        for name, path in MODULES.items()
        if "build_instance(" in path.read_text(encoding="utf-8") and not name.startswith("fleetplan.builder")
    ]
    assert importers == ["solver.dispatch.path"] and callers == ["solver.dispatch.path"]


def test_the_oracle_imports_no_engine():
    """fleetplan.oracle re-derives every claim with its own code (docs/world-model.md): it may import the
    standard library and, of the project, only the plan, the domain data classes and the errors."""
    allowed = {"fleetplan.plan", "fleetplan.model", "fleetplan.errors"}
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    found = []
    for name, path in MODULES.items():
        if name != "fleetplan.oracle" and not name.startswith("fleetplan.oracle."):
            continue
        for module, _ in _imports(name, path):
            top = module.split(".")[0]
            inside = module == "fleetplan.oracle" or module.startswith("fleetplan.oracle.")
            if not (inside or module in allowed or (top != "fleetplan" and top in stdlib)):
                found.append((name, module))
    assert MODULES.get("fleetplan.oracle") is not None and found == []
