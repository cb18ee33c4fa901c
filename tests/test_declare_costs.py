"""What the production pack's declarations do to save time, held to what they did before: steps
between rules share the objects no rule edits, unchanged objects are not diffed, and no pattern
is compiled per lifted key."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, run
from hypothesis import given, settings
from hypothesis import strategies as st

from helmify_flts import refactorings
from helmify_flts.chart import _mentions
from helmify_flts.refactorings.base import Added, Edit, apply
from helmify_flts.refactorings.objects import identical

A = ("apps", "Deployment", "ns", "a")
B = ("", "ConfigMap", "ns", "b")


def _objects() -> dict:
    return {
        A: {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "ns"}},
        B: {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "namespace": "ns"}, "data": {"k": "v"}},
    }


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


@pytest.mark.parametrize("isolated", [True, False])
def test_apply_leaves_its_input_and_the_recorded_changes_as_they_were(isolated: bool) -> None:
    objects = _objects()
    before = _text({str(k): v for k, v in objects.items()})
    first = Edit(A, ({"op": "add", "path": "/metadata/labels", "value": {"tier": "web"}},), "r", "why")
    second = Edit(A, ({"op": "replace", "path": "/metadata/labels/tier", "value": "api"},), "r", "why")
    extra = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}}
    added = Added(extra, "r", "why")
    renamed = Edit(A, ({"op": "replace", "path": "/metadata/name", "value": "a2"},), "r", "why")
    declared = apply(objects, [first, second, added, renamed], isolated=isolated)
    assert _text({str(k): v for k, v in objects.items()}) == before
    assert first.ops[0]["value"] == {"tier": "web"}  # the later edit changed its own copy only
    moved = ("apps", "Deployment", "ns", "a2")
    assert declared.expected[moved]["metadata"]["labels"] == {"tier": "api"}
    assert declared.renamed == {A: moved}
    assert declared.expected[("", "ConfigMap", "ns", "c")] is not extra
    # An object no change edits is the one given only when the caller says it only reads it.
    assert (declared.expected[B] is objects[B]) is not isolated
    assert declared.expected[B] == objects[B]


def test_identical_tells_the_types_json_tells_apart() -> None:
    assert identical({"a": [1, {"b": "x"}]}, {"a": [1, {"b": "x"}]})
    assert not identical({"a": 1}, {"a": True})
    assert not identical({"a": 1}, {"a": 1.0})
    assert not identical([{"a": 1}], [{"a": 2}])
    assert not identical({"a": float("nan")}, {"a": float("nan")})  # diffed, as before


@settings(max_examples=1500, deadline=None)
@given(text=st.text(alphabet="ab.-_ é\n", max_size=20), ref=st.text(alphabet="ab.-_é", min_size=1, max_size=4))
def test_a_key_is_mentioned_where_the_pattern_said_it_was(text: str, ref: str) -> None:
    assert _mentions(text, ref) == (re.search(re.escape(ref) + r"(?![\w-])", text) is not None)


def test_no_refactoring_changes_the_objects_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Steps between rules hand each rule the objects the earlier ones left, shared where no edit
    touched them: a rule that changed them would change the sources themselves."""
    called: list[str] = []
    for refactoring in set(refactorings.registry().values()):
        real = type(refactoring).declare

        def declare(self: Any, objects: Any, ctx: Any, rule: Any, real: Any = real) -> list:
            before = copy.deepcopy(dict(objects))
            made = real(self, objects, ctx, rule)
            assert dict(objects) == before and all(identical(before[k], objects[k]) for k in before), rule.refactor
            called.append(rule.refactor)
            return made

        monkeypatch.setattr(type(refactoring), "declare", declare)
    envs = FIXTURES / "environments"
    done = run(
        "convert",
        FIXTURES / ".kubernetes",
        tmp_path / "out",
        "--raw",
        "--rules",
        "conventions",
        "--rules",
        "flts-production",
        "--env",
        f"dev={envs / 'dev'}",
        "--env",
        f"prod={envs / 'prod'}",
    )
    assert done.exit_code == 0, done.stderr
    assert len(set(called)) >= 10  # the packs' refactorings, each declared for every folder


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=30,
)


def _containers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [id(value), *(i for item in value.values() for i in _containers(item))]
    if isinstance(value, list):
        return [id(value), *(i for item in value for i in _containers(item))]
    return []


@settings(max_examples=500, deadline=None)
@given(_JSON)
def test_a_plain_copy_is_a_deep_copy(value: Any) -> None:
    from helmify_flts.refactorings.base import plain_copy

    copied = plain_copy(value)
    assert identical(copied, value) or value != value  # NaN-free, so equal with its types
    assert not set(_containers(copied)) & set(_containers(value))  # no map or list shared


def test_a_plain_copy_copies_what_is_not_plain_as_deepcopy_does() -> None:
    from helmify_flts.refactorings.base import Rendered, plain_copy

    marker = Rendered("templates/cm.yaml")
    value = {"a": [marker], "b": {1, 2}}
    copied = plain_copy(value)
    assert copied["a"][0] == marker and copied["b"] == {1, 2}
    assert copied["b"] is not value["b"]  # a set is not plain: deepcopy copies it


def test_the_startup_dependencies_of_the_charts_objects_are_found_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """wait-for and init-job-hooks plan every folder's declaration on the chart's objects: finding
    their references (every host name in every env value) once per folder and rule was a tenth of
    the production pack's time."""
    from helmify_flts.refactorings import startup

    given: list[Any] = []
    real = startup.dependencies

    def dependencies(objects: Any, references: Any = None) -> Any:
        given.append(objects)
        return real(objects, references)

    monkeypatch.setattr(startup, "dependencies", dependencies)
    envs = FIXTURES / "environments"
    src = FIXTURES / ".kubernetes"
    done = run(
        "convert", src, tmp_path / "out", "--raw", "--rules", "flts-production",
        "--env", f"dev={envs / 'dev'}", "--env", f"prod={envs / 'prod'}",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    # once for the chart's objects, which the declarations of the base and both environments
    # plan on, and once for each rule's template half (8 calls before)
    assert len(given) == 3
    assert run("verify", tmp_path / "out", src, "--raw", "--env", f"dev={envs / 'dev'}").exit_code == 0


def test_a_plain_copy_keeps_what_two_places_share_shared_as_deepcopy_does() -> None:
    """yamldoc keeps a large alias's subtree shared, to bound memory: a copy that expanded it would
    hold the whole expansion (540 MB against 236 MB on 1.2 MB of aliases under production)."""
    from helmify_flts.refactorings.base import plain_copy

    shared = [{"k": "v"}] * 3
    value = {"a": shared, "b": {"c": shared}}
    copied = plain_copy(value)
    assert copied == copy.deepcopy(value)
    assert copied["a"] is copied["b"]["c"] and copied["a"] is not shared
    assert copied["a"][0] is copied["a"][2] and copied["a"][0] is not shared[0]
