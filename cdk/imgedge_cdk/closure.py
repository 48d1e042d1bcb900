"""The import closure of a handler: the project modules a function bundle must carry, read from the source.

``import_closure(handler_module, source_root, packages)`` parses each module with ``ast`` (nothing is imported or
executed) and follows every import that names a module of ``packages`` (the project's own top-level packages,
found as ``source_root/<package>/``), starting from the handler module:

- module-level imports, and imports inside functions (a module a handler loads lazily for an optional mode,
  such as ``edge.signing`` under signing, belongs to its closure);
- ``from pkg import name`` counts ``pkg.name`` when it is a module of the tree;
- importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py``, so parent packages belong to the closure;
- relative imports are resolved against the importing module;
- imports under ``if TYPE_CHECKING:`` are skipped (they never run), as are names outside ``packages``
  (the standard library, and third-party packages such as Pillow and boto3, which are pip-installed).

A project import that names no file of the tree raises ``ClosureError``: it would fail at run time.
"""

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class ClosureError(RuntimeError):
    """A module of the closure is missing from the source tree, or a source file does not parse."""


@dataclass(frozen=True)
class ModuleFile:
    """A project module: its dotted name, its source file, and the path of that file relative to the root."""

    name: str
    path: Path
    relative: str


@dataclass(frozen=True)
class Closure:
    """The modules a handler needs (``modules``, by name), and which of them only a function-local import
    reaches (``lazy``: imported on first use of an optional mode, not when the handler module loads)."""

    modules: dict[str, ModuleFile]
    lazy: frozenset[str]

    def files(self) -> dict[str, Path]:
        """The closure's source files by bundle-relative path (``edge/config.py``, ``edge/__init__.py``, ...)."""
        return {module.relative: module.path for module in sorted(self.modules.values(), key=lambda m: m.relative)}


def _locate(name: str, source_root: Path) -> ModuleFile | None:
    """The file of module ``name`` under ``source_root`` (a package's ``__init__.py`` or ``name.py``)."""
    base = source_root.joinpath(*name.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return ModuleFile(name, path, path.relative_to(source_root).as_posix())
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    """Absolute names a module's run-time imports may load, each with whether it sits inside a function.

    ``from a import b`` yields ``a`` and the candidate ``a.b`` (kept only if it is a module file).
    """

    def __init__(self, module: ModuleFile) -> None:
        self._module = module
        self._depth = 0
        self.found: list[tuple[str, bool, bool]] = []

    def _add(self, name: str, *, required: bool = True) -> None:
        self.found.append((name, self._depth > 0, required))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            package_parts = self._module.name.split(".")
            if not self._module.relative.endswith("__init__.py"):
                package_parts = package_parts[:-1]
            keep = len(package_parts) - (node.level - 1)
            if keep <= 0:
                raise ClosureError(f"{self._module.relative}: relative import beyond the top-level package")
            base = ".".join(package_parts[:keep] + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        self._add(base)
        for alias in node.names:
            if alias.name != "*":
                self._add(f"{base}.{alias.name}", required=False)


def import_closure(handler_module: str, source_root: Path, packages: Iterable[str]) -> Closure:
    """The project modules ``handler_module`` (dotted, e.g. ``viewer_request.handler``) needs at run time.

    ``packages`` are the top-level names of the project (the only imports followed); they are looked up under
    ``source_root``. Raises ``ClosureError`` when the handler or an imported project module has no source file,
    or a source does not parse.
    """
    roots = frozenset(packages)
    start = _locate(handler_module, source_root)
    if start is None:
        raise ClosureError(f"handler module {handler_module} has no source under {source_root}")
    modules: dict[str, ModuleFile] = {}
    eager: set[str] = set()
    # (module name, reached only through a function-local import somewhere on the path)
    pending: list[tuple[str, bool]] = [(handler_module, False)]
    while pending:
        name, lazy = pending.pop()
        if name in modules and (lazy or name in eager):
            continue
        found = modules.get(name) or _locate(name, source_root)
        if found is None:
            raise ClosureError(f"{name} is imported but has no source under {source_root}")
        modules[name] = found
        if not lazy:
            eager.add(name)
        parts = name.split(".")
        pending.extend((".".join(parts[:i]), lazy) for i in range(1, len(parts)))
        try:
            tree = ast.parse(found.path.read_text(encoding="utf-8"), filename=str(found.path))
        except SyntaxError as exc:
            raise ClosureError(f"{found.relative} does not parse: {exc}") from None
        visitor = _Imports(found)
        visitor.visit(tree)
        for imported, local, required in visitor.found:
            if imported.split(".")[0] not in roots:
                continue
            if not required and _locate(imported, source_root) is None:
                continue  # ``from pkg import name`` where ``name`` is an attribute of ``pkg``, not a module
            pending.append((imported, lazy or local))
    return Closure(modules=modules, lazy=frozenset(set(modules) - eager))
