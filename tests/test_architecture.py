"""The package's layers, read from its imports (AST): data flows one way.

    errors, _version  <  data  <  stats, importance, metrics  <  tables, results, plots
                      <  analyses  <  demo, report  <  cli  <  cxresearch (the API)

A module may import its own layer or a lower one, never a higher one; no
imports between the package's own modules hide inside functions; and the
import graph has no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cxresearch"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("cxresearch._version", "cxresearch.errors", "cxresearch._lazy"),
    ("cxresearch.data", "cxresearch.cache"),
    ("cxresearch.stats", "cxresearch.importance", "cxresearch.metrics"),
    ("cxresearch.tables", "cxresearch.results", "cxresearch.plots"),
    ("cxresearch.analyses",),
    ("cxresearch.demo", "cxresearch.report"),
    ("cxresearch.cli",),
    ("cxresearch",),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    best, depth = None, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            # the package root is its own layer; it is no catch-all for new modules
            matches = module == prefix or (
                prefix != "cxresearch" and module.startswith(prefix + ".")
            )
            if matches and prefix.count(".") > depth:
                best, depth = index, prefix.count(".")
    assert best is not None, f"{module} belongs to no layer: add it to LAYERS"
    return best


def resolve(node: ast.ImportFrom | ast.Import, module: str, is_package: bool) -> list[str]:
    """The cxresearch modules an import statement names (``from . import x`` -> the package's x)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "cxresearch"]
    if node.level == 0:
        base = node.module or ""
        if base.split(".")[0] != "cxresearch":
            return []
    else:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    named = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        is_module = (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").exists() or (
            PACKAGE.parent / Path(*candidate.split(".")) / "__init__.py"
        ).exists()
        named.append(candidate if is_module else base)
    return named


def imports() -> dict[str, list[tuple[str, int, bool]]]:
    """Module -> [(imported cxresearch module, line, inside a function)]."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside = set()
        for func in ast.walk(tree):
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inside.update(id(n) for n in ast.walk(func) if n is not func)
        edges = []
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in resolve(node, module, path.name == "__init__.py"):
                    edges.append((target, node.lineno, id(node) in inside))
        found[module] = edges
    return found


IMPORTS = imports()


def test_every_module_is_in_a_layer():
    for module in IMPORTS:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(IMPORTS))
def test_no_import_of_a_higher_layer(module):
    own = layer_of(module)
    upward = [
        f"line {line}: {target} (layer {layer_of(target)})"
        for target, line, _ in IMPORTS[module]
        if layer_of(target) > own
    ]
    assert not upward, f"{module} (layer {own}) imports upward: {upward}"


@pytest.mark.parametrize("module", sorted(IMPORTS))
def test_no_function_level_imports_of_our_own_modules(module):
    hidden = [f"line {line}: {target}" for target, line, nested in IMPORTS[module] if nested]
    assert not hidden, f"{module} imports package modules inside functions: {hidden}"


def test_no_import_cycles():
    graph = {m: {t for t, _, _ in edges if t in IMPORTS and t != m} for m, edges in IMPORTS.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_a_module_outside_the_layers_is_refused():
    with pytest.raises(AssertionError, match="belongs to no layer"):
        layer_of("cxresearch.newthing")


def test_the_checker_sees_an_upward_import(tmp_path):
    """The rule can fail: a data module importing an analysis is caught."""
    tree = ast.parse("from ..analyses.kpis import kpis\n")
    node = tree.body[0]
    targets = resolve(node, "cxresearch.data.study", False)
    assert targets == ["cxresearch.analyses.kpis"]
    assert layer_of(targets[0]) > layer_of("cxresearch.data.study")
