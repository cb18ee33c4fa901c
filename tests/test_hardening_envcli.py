"""Hardening: environments never write a broken chart, no command ends in a traceback, verify
tolerates the user's own templates, rule packs are recorded canonically, and the schema types
the integer fields of built-in kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_reproduces, run, write_tree

from helmify_flts import environments, kyaml

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          env:
{env}
"""


def load_values(path: Path) -> dict:
    docs = kyaml.load_all(path.read_text(encoding="utf-8"))
    return (docs[0] if docs else None) or {}


def env_block(*items: tuple[str, str]) -> str:
    return "\n".join(f"            - name: {name}\n              value: {value}" for name, value in items)


def two_envs(tmp_path: Path, base: dict[str, str], dev: dict[str, str]) -> tuple[Path, Path, Path]:
    return write_tree(tmp_path / "base", base), write_tree(tmp_path / "dev", dev), tmp_path / "out"


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- environments: names as Kubernetes reads


def test_int_item_name_in_identical_env_adds_nothing(tmp_path: Path) -> None:
    manifest = DEPLOYMENT.format(env=env_block(("0", "a")))
    base, dev, out = two_envs(tmp_path, {"d.yaml": manifest}, {"d.yaml": manifest})
    result = run("convert", base, out, "--env", f"dev={dev}")
    assert result.exit_code == 0, result.stderr
    assert load_values(out / "values-dev.yaml") == {}
    assert_reproduces(out, dev, load_values(out / "values-dev.yaml"))


@pytest.mark.parametrize("dev_items", [
    [("0", "changed")],                      # the int-named item's value differs
    [("0", "a"), ("1", "added")],            # an int-named item added at the end
    [("9", "first"), ("0", "a")],            # an item added before an int-named one
    [("B", "b")],                            # the int-named item left out
])
def test_int_item_names_across_environments_reproduce(tmp_path: Path, dev_items: list) -> None:
    base_items = [("0", "a"), ("B", "b")] if dev_items == [("B", "b")] else [("0", "a")]
    base, dev, out = two_envs(tmp_path, {"d.yaml": DEPLOYMENT.format(env=env_block(*base_items))},
                              {"d.yaml": DEPLOYMENT.format(env=env_block(*dev_items))})
    result = run("convert", base, out, "--env", f"dev={dev}")
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, base)
    assert_reproduces(out, dev, load_values(out / "values-dev.yaml"))


CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  yes: |
    line one
    {line}
  plain: x
"""


def test_yaml11_typed_key_in_identical_env_keeps_its_file(tmp_path: Path) -> None:
    manifest = CONFIGMAP.format(line="line two")
    base, dev, out = two_envs(tmp_path, {"cm.yaml": manifest}, {"cm.yaml": manifest})
    result = run("convert", base, out, "--env", f"dev={dev}")
    assert result.exit_code == 0, result.stderr
    assert load_values(out / "values-dev.yaml") == {}
    assert_reproduces(out, dev, load_values(out / "values-dev.yaml"))


def test_yaml11_typed_key_that_differs_gets_its_own_file(tmp_path: Path) -> None:
    base, dev, out = two_envs(tmp_path, {"cm.yaml": CONFIGMAP.format(line="line two")},
                              {"cm.yaml": CONFIGMAP.format(line="dev only")})
    result = run("convert", base, out, "--env", f"dev={dev}")
    assert result.exit_code == 0, result.stderr
    values = load_values(out / "values-dev.yaml")
    assert values["cfg"]["files"]["yes"], values
    assert_reproduces(out, dev, values)


def test_object_path_reads_keys_and_names_as_kubernetes_does() -> None:
    node = next(kyaml.compose_all("data:\n  yes: 1\nitems:\n  - name: -0\n"))
    from helmify_flts.paths import Item

    assert environments.object_path(node, ("data", "yes")) == ("data", "true")
    assert environments.object_path(node, ("items", Item(0, "-0"))) == ("items", Item(0, "0"))
