"""Decisions (lift or decline, per hit), the environment diff, and widening a declined field."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from helmify_flts import decisions, environments, manifests, rules
from helmify_flts.components import Component
from helmify_flts.decisions import Accept, Decline, decide
from helmify_flts.errors import UserError, Where
from helmify_flts.match import AUTOMATIC, Hit, Mode
from helmify_flts.paths import FieldPath, Item, parse, walk
from helmify_flts.plan import BASE, ResourcePlan
from helmify_flts.rules import ComponentRule, ExistingRule, FieldRule
from helmify_flts.templating import Append, Block, Inline, OptionalKey
from helmify_flts.values import Values, dump

WEB = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  plain: "1"
  tagged: <<
  empty: []
  list: [a, b]
  nested: {a: 1}
"""


def _resource(tmp_path: Path, text: str = WEB) -> manifests.Resource:
    (tmp_path / "web.yaml").write_text(text)
    return manifests.load_folder(tmp_path).resources[0]


def _plan(res: manifests.Resource) -> ResourcePlan:
    return ResourcePlan(res, Component(("web",), "web"), ("web",), frozenset({BASE, "prod"}))


def _rule(**options: object) -> FieldRule:
    return FieldRule(id="test", description="A test rule.", where=Where("test.yaml"), layer=0, builtin=False, **options)


def _hit(res: manifests.Resource, path: str, **options: object) -> Hit:
    found = list(walk(res.node, parse(path), missing_last=bool(options.get("optional"))))
    assert len(found) == 1
    rule = _rule(**options)
    return Hit(rule, res, found[0], ("web",) + tuple(path.split(".")[1:]), mode=Mode.of(rule))


def test_a_scalar_is_lifted_inline(tmp_path: Path) -> None:
    decision = decide(_hit(_resource(tmp_path), "data.plain"), "chart")
    assert isinstance(decision, Accept) and isinstance(decision.action, Inline)
    assert decision.original == "1" and not decision.unset


def test_a_map_is_lifted_as_a_block(tmp_path: Path) -> None:
    decision = decide(_hit(_resource(tmp_path), "data.nested"), "chart")
    assert isinstance(decision, Accept) and isinstance(decision.action, Block)


def test_a_custom_tag_is_declined_with_a_reason(tmp_path: Path) -> None:
    decision = decide(_hit(_resource(tmp_path), "data.tagged"), "chart")
    assert isinstance(decision, Decline)
    assert "data.tagged left as is" in decision.reason and "custom tag tag:yaml.org,2002:merge" in decision.reason


def test_appending_to_an_empty_list_is_declined_quietly(tmp_path: Path) -> None:
    res = _resource(tmp_path)
    assert decide(_hit(res, "data.empty", append=True), "chart") == Decline()
    decision = decide(_hit(res, "data.list", append=True), "chart")
    assert isinstance(decision, Accept) and isinstance(decision.action, Append) and decision.value == []


def test_an_absent_optional_field_renders_nothing_until_set(tmp_path: Path) -> None:
    decision = decide(_hit(_resource(tmp_path), "data.missing", optional=True), "chart")
    assert isinstance(decision, Accept) and isinstance(decision.action, OptionalKey)
    assert decision.unset and decision.value is None
    assert decision.origin.startswith("Not set in ") and "Not set" not in decision.doc


def test_deciding_changes_nothing(tmp_path: Path) -> None:
    res = _resource(tmp_path)
    hit = _hit(res, "data.list")
    before = decide(hit, "chart")
    assert decide(hit, "chart") == before
    assert [v.value for v in res.node.value[3][1].value[3][1].value] == ["a", "b"]


def test_liftable_names_the_reason(tmp_path: Path) -> None:
    res = _resource(tmp_path)
    tagged = FieldPath.of("data", "tagged").node(res.node)
    assert decisions.liftable(tagged) == "it has the custom tag tag:yaml.org,2002:merge"
    assert decisions.liftable(FieldPath.of("data", "nested").node(res.node)) is None


# -- the environment diff --------------------------------------------------------------------


def test_diff_names_changed_added_and_removed_keys() -> None:
    found = list(environments.diff({"a": 1, "b": 2}, {"a": 3, "c": 4}))
    assert ("changed", ("a",)) in found and ("removed", ("b",)) in found and ("added", ("c",)) in found


def test_diff_follows_named_items_that_moved() -> None:
    a = [{"name": "x", "v": 1}, {"name": "y", "v": 2}]
    b = [{"name": "new"}, {"name": "x", "v": 1}, {"name": "y", "v": 3}]
    found = list(environments.diff(a, b))
    assert ("insert", ()) in found
    assert ("changed", (Item(1, "y"), "v")) in found


def test_diff_reports_a_left_out_item_and_a_reordered_list() -> None:
    a = [{"name": "x"}, {"name": "y"}]
    assert list(environments.diff(a, [{"name": "y"}])) == [("omit", (Item(0, "x"),))]
    assert list(environments.diff(a, [{"name": "y"}, {"name": "x"}])) == [("list", ())]
    assert list(environments.diff([1, 2], [1, 3])) == [("changed", (Item(1, None),))]


def test_slots_and_added_items() -> None:
    ref = [{"name": "a"}, {"name": "b"}]
    env = [{"name": "new"}, {"name": "a"}, {"name": "b"}, {"name": "tail"}]
    assert environments.slots(ref, env) == ["a", None]
    assert environments.added_before(ref, env, "a") == [{"name": "new"}]
    assert environments.added_before(ref, env, None) == [{"name": "tail"}]


def test_minimal_overlay() -> None:
    assert environments.minimal({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": 3, "c": 4}
    assert environments.minimal({"a": 1}, {}) == {"a": None}


# -- widening a declined field -----------------------------------------------------------------


def test_a_declined_difference_widens_to_the_enclosing_field(tmp_path: Path) -> None:
    res = _resource(
        tmp_path,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  inner:\n    tagged: <<\n    other: y\n",
    )
    reference = {
        res: {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "web"},
            "data": {"inner": {"tagged": "<<", "other": "y"}},
        }
    }
    prod = {**reference[res], "data": {"inner": {"tagged": "z", "other": "y"}}}
    env = environments.Environment("prod", {res.identity: prod})
    # data.inner.tagged cannot be lifted (a merge tag), nor can the fields that hold it: the widening
    # reaches the top-level field, and with nothing left around it the difference is an error (a
    # chart left without it would not reproduce prod).
    with pytest.raises(UserError, match=r"ConfigMap/web data differs between environments.*custom tag"):
        environments.plan_overlays((_plan(res),), reference, [env], set(), "chart")


def test_a_key_added_to_an_empty_map_lifts_the_map(tmp_path: Path) -> None:
    res = _resource(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  inner: {}\n  b: c\n")
    base = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}, "data": {"inner": {}, "b": "c"}}
    prod = {**base, "data": {"inner": {"a": "1"}, "b": "c"}}
    env = environments.Environment("prod", {res.identity: prod})
    planned = environments.plan_overlays((_plan(res),), {res: base}, [env], set(), "chart").plans[0]
    # An absent key has nowhere to go in an empty flow map: the map is lifted instead, under its own key.
    assert [(str(h.found.path), h.key) for h in planned.hits] == [("data.inner", ("web", "data", "inner"))]
    assert planned.toggle is None  # both folders have it


def test_a_resource_some_environments_lack_gets_a_switch(tmp_path: Path) -> None:
    res = _resource(tmp_path)
    only_base = replace(_plan(res), presence=frozenset({BASE}))
    env = environments.Environment("prod", {})
    planned = environments.plan_overlays((only_base,), {res: {}}, [env], set(), "chart").plans[0]
    assert planned.toggle is not None and planned.toggle.key == ("web", "configMap", "enabled")
    assert planned.toggle.default is True and planned.guards == [planned.toggle]


# -- modes and provenance ----------------------------------------------------------------------


def test_modes_come_from_the_rule() -> None:
    assert Mode.of(_rule()) is Mode.VALUE
    assert Mode.of(_rule(optional=True)) is Mode.OPTIONAL
    assert Mode.of(_rule(optional=True, append=True)) is Mode.APPEND


def test_a_field_set_in_some_environments_only_renders_whenever_not_null(tmp_path: Path) -> None:
    res = _resource(tmp_path)
    found = next(walk(res.node, parse("data.missing"), missing_last=True))
    decision = decide(Hit(AUTOMATIC, res, found, ("web", "missing"), mode=Mode.PRESENT), "chart")
    assert isinstance(decision, Accept) and isinstance(decision.action, OptionalKey)
    assert decision.action.present and decision.action.block
    assert decision.doc == "Set in some environments only"


def test_an_item_switch_keeps_its_doc_and_provenance_apart(tmp_path: Path) -> None:
    res = _resource(tmp_path)
    found = next(walk(res.node, parse("data.list")))
    decision = decide(Hit(AUTOMATIC, res, found, ("web", "listItems", "a"), "a", Mode.ITEM), "chart")
    assert isinstance(decision, Accept) and decision.value is True
    assert decision.doc == "Render this item (some environments leave it out)"
    assert decision.origin.startswith("From ") and decision.origin.endswith("data.list; false leaves the a item out")


def test_values_write_provenance_as_the_last_comment_line() -> None:
    out = Values()
    out.put(("web", "replicas"), 2, "Replicas", "web.yaml:7 spec.replicas", "From web.yaml:7 spec.replicas")
    leaf = out.get(("web", "replicas"))
    assert leaf.doc == "Replicas" and leaf.origin == "From web.yaml:7 spec.replicas"
    assert "  # -- Replicas\n  # From web.yaml:7 spec.replicas\n  replicas: 2" in dump(out, "header")


def test_each_rule_kind_is_its_own_type() -> None:
    ruleset = rules.load_rules()
    assert ruleset.field_rules and all(isinstance(r, FieldRule) for r in ruleset.field_rules)
    assert all(isinstance(r, ComponentRule) for r in ruleset.component_rules)
    assert all(isinstance(r, ExistingRule) for r in ruleset.existing_rules)
    kinds = (FieldRule, ComponentRule, ExistingRule)
    assert all(sum(isinstance(r, k) for k in kinds) == 1 for r in ruleset.rules)
