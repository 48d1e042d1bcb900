"""No import circles between the modules of the project's packages (issue 13 §6), the render benchmark's included.

Every import counts, including those under ``if TYPE_CHECKING:`` and inside functions: a circle hidden behind
either still ties two modules into one. An import names a module (``from edge.render import crop`` is
``edge.render.crop``); the implicit import of a parent package is not an edge. The graph is read from the source
with ``ast`` (nothing is imported), and every strongly connected component must be a single module.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The packages whose modules may not import each other in a circle, and the folders under them left out.
PACKAGES = ("edge", "viewer_request", "origin_response", "purge_on_change", "imgedge_cdk", "imgedge", "renderbench")
LEFT_OUT: tuple[str, ...] = ()
#: Where each package's folder lives (the CDK construct package is under cdk/, the render benchmark's under
#: benchmarks/).
PARENTS = {"imgedge_cdk": ROOT / "cdk", "renderbench": ROOT / "benchmarks"}


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        parent = PARENTS.get(package, ROOT)
        for path in sorted((parent / package).rglob("*.py")):
            relative = path.relative_to(parent).as_posix()
            if relative.startswith(LEFT_OUT):
                continue
            name = relative.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            modules[name] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*parts, base] if base else parts)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in modules and target != name)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_cycle_finder_finds_a_circle_through_type_checking_imports(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circles(package: str) -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    circles = [cycle for cycle in _cycles(graph) if any(m.split(".")[0] == package for m in cycle)]
    assert circles == []
