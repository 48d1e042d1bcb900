"""benchmarks/equivalence.py: HEAD against this working tree on synthetic originals finds every request identical,
and the comparison reports a changed body, stored object or viewer result, and a configuration a side lacks."""

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import equivalence


def _git_checkout() -> str | None:
    """Why the harness cannot run here (no git, or not a git checkout), or ``None``."""
    if shutil.which("git") is None:
        return "git is not installed: the equivalence harness checks out revisions with git worktree"
    probe = subprocess.run(["git", "rev-parse", "HEAD"], cwd=equivalence.ROOT, capture_output=True, check=False)
    if probe.returncode != 0:
        return f"{equivalence.ROOT} is not a git checkout with a HEAD: nothing to check out as the old side"
    return None


@pytest.fixture(scope="module")
def outcome() -> equivalence.Outcome:
    reason = _git_checkout()
    if reason is not None:
        pytest.skip(reason)
    args = equivalence.parse_args(["--old", "HEAD", "--quick", "--synthetic", "--config", "default", "--urls", "12"])
    return equivalence.run(args, progress=False)


def test_head_against_the_working_tree_is_identical(outcome: equivalence.Outcome) -> None:
    tally = outcome.comparison.tallies["default"]
    assert tally.requests == len(outcome.plan.requests) > 12
    assert tally.identical == tally.viewer == tally.status == tally.body == tally.stored == tally.requests
    assert tally.rendered > 0  # the origin-response side really rendered and stored variants
    assert tally.stored_objects > 0
    assert equivalence.exit_status(outcome.comparison) == 0
    printed = equivalence.summary(outcome)
    assert "IDENTICAL" in printed
    assert "synthetic originals" in printed
    for label in ("old", "new"):  # each child imported its own tree's edge
        assert outcome.runs[label].meta["edge_file"].startswith(str(outcome.sides[label].tree))
    assert outcome.sides["old"].tree != outcome.sides["new"].tree
    assert not outcome.sides["old"].tree.exists()  # the temporary worktree is gone


def _rendered(outcome: equivalence.Outcome) -> int:
    """The id of a request whose variant was rendered and stored."""
    return next(
        request_id
        for request_id, record in sorted(outcome.runs["new"].records.items())
        if record["origin"] and record["origin"]["status"] == 200 and record["origin"]["stored"]
    )


def _compare(outcome: equivalence.Outcome, new: dict[int, dict[str, Any]]) -> equivalence.Comparison:
    return equivalence.compare(outcome.plan.requests, outcome.runs["old"].records, new)


def test_a_changed_body_is_a_difference(outcome: equivalence.Outcome) -> None:
    request_id = _rendered(outcome)
    new = copy.deepcopy(outcome.runs["new"].records)
    new[request_id]["origin"]["body_sha256"] = "0" * 64
    comparison = _compare(outcome, new)
    tally = comparison.tallies["default"]
    assert (tally.requests - tally.body, tally.requests - tally.identical) == (1, 1)
    assert tally.viewer == tally.status == tally.stored == tally.requests
    assert [request["id"] for request, _, _ in comparison.differences] == [request_id]
    assert equivalence.exit_status(comparison) == 1
    printed = equivalence.report(comparison)
    assert f"#{request_id} " in printed
    assert "origin.body_sha256: " in printed
    assert "0" * 20 in printed


def test_a_changed_stored_key_and_viewer_result_are_differences(outcome: equivalence.Outcome) -> None:
    rendered = _rendered(outcome)
    new = copy.deepcopy(outcome.runs["new"].records)
    new[rendered]["origin"]["stored"][0]["key"] = "elsewhere/" + new[rendered]["origin"]["stored"][0]["key"]
    refused = next(i for i, record in sorted(new.items()) if record["viewer"].get("status") == 400)
    new[refused]["viewer"]["body"] = "another reason\n"
    comparison = _compare(outcome, new)
    tally = comparison.tallies["default"]
    assert tally.requests - tally.stored == 1
    assert tally.requests - tally.viewer == 1
    assert tally.requests - tally.identical == 2
    assert sorted(request["id"] for request, _, _ in comparison.differences) == sorted([rendered, refused])
    assert equivalence.exit_status(comparison) == 1
    assert "stored[0].key" in equivalence.report(comparison)


def test_a_configuration_one_side_cannot_load_is_reported_not_compared(outcome: equivalence.Outcome) -> None:
    errors: dict[str, dict[str, str | None]] = {
        "old": {"default": "ConfigError: unknown key"},
        "new": {"default": None},
    }
    comparison = equivalence.compare(
        outcome.plan.requests, outcome.runs["old"].records, outcome.runs["new"].records, errors
    )
    assert equivalence.exit_status(comparison) == 1
    assert "not compared" in equivalence.report(comparison)


def test_the_drawn_urls_depend_only_on_the_seed() -> None:
    parameters = ("w", "h", "format", "preset")
    first = equivalence.draw_urls(parameters, 15, seed=3)
    assert first == equivalence.draw_urls(parameters, 15, seed=3)
    assert first != equivalence.draw_urls(parameters, 15, seed=4)
    assert len(first) == 15
