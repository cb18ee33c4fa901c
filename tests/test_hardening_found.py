"""Defects the property tests found after the hardening fixes: each pinned by its smallest case."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_reproduces, run, write_tree
from test_hardening_yaml import within

from helmify_flts import redact
from helmify_flts.render import load_values_file
from helmify_flts.values import inexpressible

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: o
spec:
  selector:
    matchLabels: {{app: o}}
  template:
    metadata:
      labels: {{app: o}}
    spec:
      containers:
        - name: main
          image: app:1
          env:
{env}
{extra}"""


def test_an_env_item_named_0_that_gains_a_field_converts_in_bounded_time(tmp_path: Path) -> None:
    # The automatic key for the new field sits below a key that is already a value: numbering
    # the last segment could never free it, and convert looped forever.
    base = DEPLOYMENT.format(env="            - {name: 0, value: fast}", extra="")
    dev = DEPLOYMENT.format(env="            - {name: 0, value: fast, extra: x}", extra="")
    src = write_tree(tmp_path / "src", {"d.yaml": base})
    env = write_tree(tmp_path / "dev", {"d.yaml": dev})
    result = within(60, lambda: run("convert", src, tmp_path / "out", "--env", f"dev={env}"))
    assert result.exit_code in (0, 2), result.stderr
    if result.exit_code == 0:
        assert_reproduces(tmp_path / "out", src)


@pytest.mark.parametrize("value", ["4.485340003408282e+16", "1.5e20", "-9.007199254740994e15"])
def test_a_whole_float_beyond_2_53_stays_in_the_template(tmp_path: Path, value: str) -> None:
    # Helm writes such a float as padded digits that read back as a different integer.
    extra = f"      nodeSelector:\n        weight: {value}\n"
    src = write_tree(
        tmp_path / "src", {"d.yaml": DEPLOYMENT.format(env="            - {name: A, value: a}", extra="") + extra}
    )
    assert run("convert", src, tmp_path / "out").exit_code == 0
    assert_reproduces(tmp_path / "out", src)
    assert inexpressible(float(value))
    assert inexpressible(2.0**53) is None and inexpressible(1e21) is None


@pytest.mark.parametrize("char", ["\\x8C", "\\x01", "\\x7F", "\\uFFFE"])
def test_a_control_character_helm_cannot_write_stays_in_the_template(tmp_path: Path, char: str) -> None:
    # Helm's toYaml renders nothing for such a string, and its toJson writes it raw.
    extra = f'      nodeSelector:\n        disk: "a{char}b"\n'
    src = write_tree(
        tmp_path / "src", {"d.yaml": DEPLOYMENT.format(env="            - {name: A, value: a}", extra="") + extra}
    )
    result = run("convert", src, tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert_reproduces(tmp_path / "out", src)


def test_a_bearer_token_is_hidden_to_its_end() -> None:
    shown = redact.inline("Authorization: Bearer s3cr3t0009@k3y0009/x next")
    assert "k3y0009" not in shown and "s3cr3t" not in shown and shown.endswith(" next")
    assert redact.inline("use basic authentication here") == "use basic authentication here"


def test_a_null_key_only_an_environment_has_is_a_clear_error(tmp_path: Path) -> None:
    # In values a null unsets a key, so an overlay cannot say "present, and null".
    base = DEPLOYMENT.format(env="            - {name: A, value: a}", extra="")
    src = write_tree(tmp_path / "src", {"d.yaml": base})
    env = write_tree(tmp_path / "dev", {"d.yaml": base.replace("  template:\n", "  template:\n    x: null\n")})
    result = run("convert", src, tmp_path / "out", "--env", f"dev={env}")
    assert result.exit_code == 2
    assert "error: d.yaml:1: [dev] Deployment/o: spec.template.x is null in this environment" in result.stderr
    assert not (tmp_path / "out").exists()


def test_two_containers_with_one_name_keep_their_own_values_per_environment(tmp_path: Path) -> None:
    # Kubernetes refuses the pair, but the chart must still render each folder as it is.
    second = "        - name: main\n          image: other:2\n          args: [x]\n"
    base = DEPLOYMENT.format(env="            - {name: A, value: a}", extra=second)
    dev = base.replace("other:2", "other:3").replace("value: a}", "value: b}")
    src = write_tree(tmp_path / "src", {"d.yaml": base})
    env = write_tree(tmp_path / "dev", {"d.yaml": dev})
    result = run("convert", src, tmp_path / "out", "--env", f"dev={env}")
    assert result.exit_code == 0, result.stderr
    assert_reproduces(tmp_path / "out", src)
    assert_reproduces(tmp_path / "out", env, load_values_file(tmp_path / "out" / "values-dev.yaml"))


def test_a_switch_set_to_the_text_false_is_a_lint_finding(tmp_path: Path) -> None:
    # Helm reads the string "false" as true: the schema lets only a boolean turn a switch off.
    from helmify_flts import render

    src = write_tree(tmp_path / "src", {"d.yaml": DEPLOYMENT.format(env="            - {name: A, value: a}", extra="")})
    assert run("convert", src, tmp_path / "out").exit_code == 0
    assert render.lint(tmp_path / "out", {"o": {"enabled": False}}) == []
    findings = render.lint(tmp_path / "out", {"o": {"enabled": "false"}})
    assert any("enabled" in str(f) for f in findings), findings


JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec:
  backoffLimit: {limit}
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: app:1
"""


def test_an_environment_may_hold_text_where_the_base_holds_an_integer(tmp_path: Path) -> None:
    # The schema types backoffLimit as an integer; dev's values file must still pass it.
    src = write_tree(tmp_path / "src", {"j.yaml": JOB.format(limit=4)})
    env = write_tree(tmp_path / "dev", {"j.yaml": JOB.format(limit="0o_")})
    result = run("convert", src, tmp_path / "out", "--env", f"dev={env}")
    assert result.exit_code == 0, result.stderr
    assert_reproduces(tmp_path / "out", env, load_values_file(tmp_path / "out" / "values-dev.yaml"))


WIDGET = """\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  items: [4.485340003408282e+16, {items}]
"""


def test_a_difference_no_field_around_it_can_carry_is_a_clear_error(tmp_path: Path) -> None:
    # The list holds a float beyond 2^53, which values cannot carry; so does spec around it.
    src = write_tree(tmp_path / "src", {"w.yaml": WIDGET.format(items="a")})
    env = write_tree(tmp_path / "dev", {"w.yaml": WIDGET.format(items="a, null")})
    result = run("convert", src, tmp_path / "out", "--env", f"dev={env}")
    assert result.exit_code == 2, result.stderr
    assert "error: w.yaml:1: Widget/w spec differs between environments, but Helm values cannot carry it" in (
        result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_an_environment_that_leaves_out_every_item_of_a_list_keeps_it_empty(tmp_path: Path) -> None:
    # Item switches for every item would render "ports:" with nothing, which reads as null.
    port = "          ports:\n            - containerPort: 8080\n              name: http\n"
    base = DEPLOYMENT.format(env="            - {name: A, value: a}", extra="") + port
    dev = DEPLOYMENT.format(env="            - {name: A, value: a}", extra="") + "          ports: []\n"
    src = write_tree(tmp_path / "src", {"d.yaml": base})
    env = write_tree(tmp_path / "dev", {"d.yaml": dev})
    result = run("convert", src, tmp_path / "out", "--env", f"dev={env}")
    assert result.exit_code == 0, result.stderr
    assert_reproduces(tmp_path / "out", env, load_values_file(tmp_path / "out" / "values-dev.yaml"))


def test_an_environment_value_that_cannot_be_a_file_is_a_clear_error(tmp_path: Path) -> None:
    # The base's multi-line entry lives in files/; dev's number would reach .Files.Get raw.
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  app.conf: {value}\n"
    src = write_tree(tmp_path / "src", {"c.yaml": cm.format(value="|\n    a\n    b")})
    env = write_tree(tmp_path / "dev", {"c.yaml": cm.format(value="400000")})
    result = run("convert", src, tmp_path / "out", "--env", f"dev={env}")
    assert result.exit_code == 2, result.stderr
    assert "error: c.yaml:1: [dev] ConfigMap/c data" in result.stderr and "same kind of value" in result.stderr
    assert not (tmp_path / "out").exists()


def test_every_error_of_an_environment_folder_is_reported(tmp_path: Path) -> None:
    # Each broken file of dev is named, with its folder and environment, in one run.
    base = DEPLOYMENT.format(env="            - {name: A, value: a}", extra="")
    src = write_tree(tmp_path / "src", {"d.yaml": base})
    env = write_tree(tmp_path / "dev", {"a.yaml": "a: [\n", "b.yaml": "b: {\n"})
    result = run("convert", src, tmp_path / "out", "--env", f"dev={env}")
    assert result.exit_code == 2
    assert f"{env.as_posix()}/a.yaml:" in result.stderr and f"{env.as_posix()}/b.yaml:" in result.stderr
    assert result.stderr.count("[dev]") == 2
