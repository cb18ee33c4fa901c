"""Each kind of rule carries its own fields; the base Rule only what every kind has."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import write_tree

from helmify_flts import rules


def names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


COMMON = {"id", "description", "where", "layer", "builtin", "match"}


def test_the_base_rule_holds_only_what_every_kind_has() -> None:
    assert names(rules.Rule) == COMMON
    assert names(rules.ComponentRule) - COMMON == {"component"}
    assert names(rules.ExistingRule) - COMMON == {"existing_key", "references", "reference_texts"}
    assert names(rules.FieldRule) - COMMON == {
        "paths",
        "path_texts",
        "path_kinds",
        "key",
        "transform",
        "optional",
        "default",
        "doc",
        "append",
    }


def test_a_loaded_rule_has_only_the_fields_of_its_kind(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "r.yaml": """\
rules:
  - id: group
    description: Group the trainers.
    match: {names: [train-*]}
    component: "train.{name|short}"
  - id: own-secret
    description: Use a Secret of your own.
    match: {kinds: [Secret]}
    existing:
      key: "{base}.existingSecret"
      references:
        - spec.template.spec.volumes[].secret.secretName
  - id: replicas
    description: Replicas.
    match: {kinds: [Deployment]}
    path: spec.replicas
    key: "{base}.replicas"
"""
        },
    )
    loaded = {r.id: r for r in rules.load_rules((str(tmp_path / "r.yaml"),), defaults=False).rules}
    component, existing, field = loaded["group"], loaded["own-secret"], loaded["replicas"]
    assert isinstance(component, rules.ComponentRule) and [s.text for s in component.component] == [
        "train",
        "{name|short}",
    ]
    assert isinstance(existing, rules.ExistingRule) and existing.reference_texts == (
        "spec.template.spec.volumes[].secret.secretName",
    )
    assert isinstance(field, rules.FieldRule) and field.path_texts == ("spec.replicas",)
    for rule, absent in (
        (component, "paths"),
        (component, "existing_key"),
        (existing, "key"),
        (field, "component"),
        (field, "references"),
    ):
        with pytest.raises(AttributeError):
            getattr(rule, absent)
