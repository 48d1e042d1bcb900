"""The docs people read: a short README, links that lead somewhere, and only CLI verbs that exist.

Checked files: README.md, SECURITY.md and docs/*.md. A relative link must name an existing file or folder, and a
``#anchor`` on a Markdown file must be the slug of one of its headings, by GitHub's rules (lowercase; punctuation
other than ``-`` and ``_`` dropped; spaces to ``-``; a repeated slug gets ``-1``, ``-2``...). Every ``imgedge VERB``
in a fenced code block must be a command of the click group ``imgedge.cli.cli`` (a Python ``from imgedge import``
names the package, not a verb).
"""

import re
from pathlib import Path

import pytest

from imgedge.cli import cli

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
CHECKED = [README, REPO / "SECURITY.md", *DOCS]
README_MAX_LINES = 200

_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# Not after "from " or "import ": there imgedge is the Python package (``from imgedge import url``).
_VERB = re.compile(r"(?<![\w/.-])(?<!from )(?<!import )imgedge\s+([a-z][a-z0-9-]*)")


def _split(text: str) -> tuple[list[str], list[str]]:
    """The lines outside fenced code blocks, and the lines inside them."""
    prose: list[str] = []
    code: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        marker = _FENCE.match(line.lstrip())
        if marker and (fence is None or marker.group(1) == fence):
            fence = None if fence else marker.group(1)
            continue
        (code if fence else prose).append(line)
    return prose, code


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's Markdown text (links reduced to their text, formatting dropped)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file, with GitHub's ``-N`` suffixes for repeats."""
    prose, _ = _split(path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    result: set[str] = set()
    for line in prose:
        match = _HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def links(path: Path) -> list[str]:
    """The link targets of a Markdown file's prose (not in code blocks or code spans)."""
    prose, _ = _split(path.read_text(encoding="utf-8"))
    text = _INLINE_CODE.sub("", "\n".join(prose))
    return [match.group(1) for match in _LINK.finditer(text)]


def broken_links(path: Path) -> list[str]:
    problems = []
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, flags=re.IGNORECASE):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if not destination.exists():
            problems.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            problems.append(f"{target}: no heading #{anchor} in {destination.name}")
    return problems


def test_slugs_follow_githubs_rules() -> None:
    assert slug("Faces (`gravity=face`)") == "faces-gravityface"
    assert slug("Size policy: a bounded number of variants") == "size-policy-a-bounded-number-of-variants"
    assert slug("Sizes above the original's") == "sizes-above-the-originals"
    assert slug("The edge configuration (`imgedge-config.json`)") == "the-edge-configuration-imgedge-configjson"
    assert slug("`variant_prefix` and [keys](x.md)") == "variant_prefix-and-keys"


def test_readme_is_short() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < README_MAX_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


def test_the_docs_exist() -> None:
    names = {path.name for path in DOCS}
    assert {"url-api.md", "configuration.md", "deploy.md", "operate.md", "security.md", "performance.md",
            "local-development.md"} <= names  # fmt: skip


@pytest.mark.parametrize("path", CHECKED, ids=lambda path: str(path.relative_to(REPO)))
def test_relative_links_lead_to_files_and_headings(path: Path) -> None:
    assert links(path) or path.name == "SECURITY.md", f"{path.name} links nowhere"
    assert broken_links(path) == []


def test_a_broken_link_or_anchor_is_caught(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Title\n\n## Same\n\n## Same\n", encoding="utf-8")
    page = tmp_path / "b.md"
    page.write_text(
        "[ok](a.md#same-1) [ok](a.md) [bad](a.md#nope) [bad](missing.md) [ok](https://x.example/y) "
        "`[not a link](nowhere.md)`\n\n```\n[not a link](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert [problem.split(":")[0] for problem in broken_links(page)] == ["a.md#nope", "missing.md"]


def test_every_imgedge_verb_in_a_code_block_is_a_cli_command() -> None:
    commands = set(cli.commands)
    used: dict[str, set[str]] = {}
    for path in [README, *DOCS]:
        _, code = _split(path.read_text(encoding="utf-8"))
        for verb in _VERB.findall("\n".join(code)):
            used.setdefault(verb, set()).add(path.name)
    assert used, "no imgedge command in any code block"
    unknown = {verb: sorted(files) for verb, files in used.items() if verb not in commands}
    assert unknown == {}, f"not imgedge commands: {unknown}; the CLI has {sorted(commands)}"
