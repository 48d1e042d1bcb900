"""``imgedge_cdk.closure``: which project modules a handler's imports reach, read from hand-written source trees."""

from pathlib import Path

import pytest

from imgedge_cdk.closure import ClosureError, import_closure
from tests.cdk.conftest import write_tree

PACKAGES = ("app", "lib")


def _closure_files(root: Path, handler: str = "app.handler") -> list[str]:
    return sorted(import_closure(handler, root, PACKAGES).files())


def test_follows_direct_transitive_and_parent_package_imports(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/handler.py": "import lib.a.b\n",
            "lib/__init__.py": "",
            "lib/a/__init__.py": "",
            "lib/a/b.py": "from lib import c\n",
            "lib/c.py": "import json\nimport boto3\n",
            "lib/unused.py": "",
        },
    )
    assert _closure_files(root) == [
        "app/__init__.py", "app/handler.py", "lib/__init__.py", "lib/a/__init__.py", "lib/a/b.py", "lib/c.py",
    ]  # fmt: skip


def test_function_local_imports_belong_to_the_closure_and_are_marked_lazy(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/handler.py": "from lib import eager\ndef handler():\n    from lib import signing\n",
            "lib/__init__.py": "",
            "lib/eager.py": "",
            "lib/signing.py": "from lib import secrets\n",
            "lib/secrets.py": "",
        },
    )
    closure = import_closure("app.handler", root, PACKAGES)
    assert sorted(closure.modules) == ["app", "app.handler", "lib", "lib.eager", "lib.secrets", "lib.signing"]
    assert closure.lazy == {"lib.signing", "lib.secrets"}


def test_a_module_imported_both_lazily_and_eagerly_is_eager(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/handler.py": "def handler():\n    import lib.x\nimport lib.y\n",
            "lib/__init__.py": "",
            "lib/x.py": "",
            "lib/y.py": "import lib.x\n",
        },
    )
    assert import_closure("app.handler", root, PACKAGES).lazy == frozenset()


def test_type_checking_imports_are_skipped_but_their_else_branch_is_not(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/handler.py": (
                "from typing import TYPE_CHECKING\nimport typing\n"
                "if TYPE_CHECKING:\n    from lib import typed\nelse:\n    from lib import runtime\n"
                "if typing.TYPE_CHECKING:\n    import lib.typed\n"
            ),
            "lib/__init__.py": "",
            "lib/typed.py": "",
            "lib/runtime.py": "",
        },
    )
    assert _closure_files(root) == ["app/__init__.py", "app/handler.py", "lib/__init__.py", "lib/runtime.py"]


def test_relative_imports_resolve_against_the_importing_module(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "app/__init__.py": "from . import handler\n",
            "app/handler.py": "from .sub import tool\n",
            "app/sub/__init__.py": "from .. import helpers\n",
            "app/sub/tool.py": "",
            "app/helpers.py": "",
        },
    )
    assert _closure_files(root) == [
        "app/__init__.py", "app/handler.py", "app/helpers.py", "app/sub/__init__.py", "app/sub/tool.py",
    ]  # fmt: skip


def test_from_package_import_attribute_is_not_a_module(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/handler.py": "from lib import VALUE, sub\n",
            "lib/__init__.py": "VALUE = 1\n",
            "lib/sub.py": "",
        },
    )
    assert _closure_files(root) == ["app/__init__.py", "app/handler.py", "lib/__init__.py", "lib/sub.py"]


def test_a_project_import_without_source_is_an_error(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"app/__init__.py": "", "app/handler.py": "import lib.gone\n", "lib/__init__.py": ""})
    with pytest.raises(ClosureError, match=r"lib\.gone"):
        import_closure("app.handler", root, PACKAGES)
    with pytest.raises(ClosureError, match=r"handler module app\.missing"):
        import_closure("app.missing", root, PACKAGES)


def test_a_relative_import_beyond_the_top_level_package_is_an_error(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"app/__init__.py": "", "app/handler.py": "from .. import lib\n"})
    with pytest.raises(ClosureError, match="beyond the top-level package"):
        import_closure("app.handler", root, PACKAGES)


def test_a_source_that_does_not_parse_is_an_error(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"app/__init__.py": "", "app/handler.py": "def (:\n"})
    with pytest.raises(ClosureError, match="does not parse"):
        import_closure("app.handler", root, PACKAGES)
