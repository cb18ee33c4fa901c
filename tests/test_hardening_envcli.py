"""Hardening: environments never write a broken chart, no command ends in a traceback, verify
tolerates the user's own templates, rule packs are recorded canonically, and the schema types
the integer fields of built-in kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_reproduces, run, write_tree

from helmify_flts import chart, environments, kyaml

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


@pytest.mark.parametrize(
    "dev_items",
    [
        [("0", "changed")],  # the int-named item's value differs
        [("0", "a"), ("1", "added")],  # an int-named item added at the end
        [("9", "first"), ("0", "a")],  # an item added before an int-named one
        [("B", "b")],  # the int-named item left out
    ],
)
def test_int_item_names_across_environments_reproduce(tmp_path: Path, dev_items: list) -> None:
    base_items = [("0", "a"), ("B", "b")] if dev_items == [("B", "b")] else [("0", "a")]
    base, dev, out = two_envs(
        tmp_path,
        {"d.yaml": DEPLOYMENT.format(env=env_block(*base_items))},
        {"d.yaml": DEPLOYMENT.format(env=env_block(*dev_items))},
    )
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
    base, dev, out = two_envs(
        tmp_path, {"cm.yaml": CONFIGMAP.format(line="line two")}, {"cm.yaml": CONFIGMAP.format(line="dev only")}
    )
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


# --------------------------------------------------------------------------- the proof comes before any write


def test_overlay_that_does_not_reproduce_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base_manifest = DEPLOYMENT.format(env=env_block(("A", "a")))
    base, dev, out = two_envs(tmp_path, {"d.yaml": base_manifest}, {"d.yaml": base_manifest})
    real = environments.overlay

    def wrong(*args, **kwargs):  # an overlay that sets a value the dev folder does not have
        values, overrides, files = real(*args, **kwargs)
        values.put(("web", "replicas"), 5, "", "")
        return values, overrides, files

    monkeypatch.setattr(environments, "overlay", wrong)
    result = run("convert", base, out, "--env", f"dev={dev}")
    assert result.exit_code == 1
    assert not out.exists()
    assert "does not reproduce environment dev" in result.stderr
    assert "replicas" in result.stderr
    assert "Nothing was written" in result.stderr


def test_unproven_chart_leaves_existing_out_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = DEPLOYMENT.format(env=env_block(("A", "a")))
    base, dev, out = two_envs(tmp_path, {"d.yaml": manifest}, {"d.yaml": manifest})
    assert run("convert", base, out, "--env", f"dev={dev}").exit_code == 0
    before = snapshot(out)
    write_tree(dev, {"d.yaml": manifest.replace("replicas: 2", "replicas: 3")})
    real = environments.overlay
    # An overlay that forgets what dev changes.
    monkeypatch.setattr(environments, "overlay", lambda *a, **k: (type(real(*a, **k)[0])(), [], {}))
    result = run("convert", base, out, "--env", f"dev={dev}")
    assert result.exit_code == 1
    assert "does not reproduce environment dev" in result.stderr
    assert snapshot(out) == before


# --------------------------------------------------------------------------- no traceback, ever


def boom(exc: BaseException):
    def raise_it(*args, **kwargs):
        raise exc

    return raise_it


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad thing"),
        RecursionError("maximum recursion depth exceeded"),
        MemoryError(),
        KeyError("k"),
        AssertionError(),
    ],
)
def test_convert_turns_any_exception_into_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    src = write_tree(tmp_path / "src", {"d.yaml": DEPLOYMENT.format(env=env_block(("A", "a")))})
    monkeypatch.setattr(chart.rewrite, "build_templates", boom(exc))
    result = run("convert", src, tmp_path / "out")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: internal error: {type(exc).__name__}")
    assert "please report it" in lines[0].lower()
    assert not (tmp_path / "out").exists()


def test_verbose_shows_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_tree(tmp_path / "src", {"d.yaml": DEPLOYMENT.format(env=env_block(("A", "a")))})
    monkeypatch.setattr(chart.rewrite, "build_templates", boom(ValueError("details here")))
    result = run("convert", src, tmp_path / "out", "-v")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "details here" in result.stderr
    assert "error: internal error: ValueError" in result.stderr


def test_internal_error_text_is_not_shown_without_verbose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_tree(tmp_path / "src", {"d.yaml": DEPLOYMENT.format(env=env_block(("A", "a")))})
    monkeypatch.setattr(chart.rewrite, "build_templates", boom(ValueError("s3cr3t-value")))
    result = run("convert", src, tmp_path / "out")
    assert result.exit_code == 2
    assert "s3cr3t-value" not in result.stderr + result.stdout


@pytest.mark.parametrize("exc", [RecursionError("deep"), MemoryError(), TypeError("t")])
def test_verify_turns_any_exception_into_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    from helmify_flts import verify

    src = write_tree(tmp_path / "src", {"d.yaml": DEPLOYMENT.format(env=env_block(("A", "a")))})
    assert run("convert", src, tmp_path / "out").exit_code == 0
    monkeypatch.setattr(verify, "verify", boom(exc))
    result = run("verify", tmp_path / "out", src)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: internal error: {type(exc).__name__}")
    assert "Traceback" not in result.stderr
    verbose = run("verify", tmp_path / "out", src, "-v")
    assert verbose.exit_code == 2 and "Traceback" in verbose.stderr


@pytest.mark.parametrize("exc", [RecursionError("deep"), MemoryError(), IndexError("i")])
def test_rules_turns_any_exception_into_one_message(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    from helmify_flts import rules

    monkeypatch.setattr(rules, "load_rules", boom(exc))
    result = run("rules")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: internal error: {type(exc).__name__}")
    assert "Traceback" not in result.stderr
    assert "Traceback" in run("rules", "-v").stderr


def test_user_errors_keep_their_message(tmp_path: Path) -> None:
    result = run("convert", tmp_path / "missing", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "internal error" not in result.stderr


# --------------------------------------------------------------------------- verify and the user's own templates


USER_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-mine
data:
  owner: me
"""


@pytest.fixture()
def verified_chart(tmp_path: Path) -> tuple[Path, Path]:
    src = write_tree(tmp_path / "src", {"d.yaml": DEPLOYMENT.format(env=env_block(("A", "a")))})
    out = tmp_path / "out"
    assert run("convert", src, out).exit_code == 0
    return src, out


def test_verify_notes_objects_from_user_templates(verified_chart: tuple[Path, Path]) -> None:
    src, out = verified_chart
    write_tree(out, {"templates/mine.yaml": USER_TEMPLATE})
    result = run("verify", out, src)
    assert result.exit_code == 0, result.stdout
    assert "note: ConfigMap/release-mine comes from templates/mine.yaml, a template of yours" in result.stderr
    assert "1 from your own templates" in result.stderr
    # convert leaves the user's template alone and still finds the chart up to date
    assert run("convert", "--check", src, out).exit_code == 0


def test_verify_still_fails_on_extra_objects_from_generated_templates(verified_chart: tuple[Path, Path]) -> None:
    src, out = verified_chart
    generated = next(p for p in (out / "templates").glob("*.yaml"))
    generated.write_text(generated.read_text(encoding="utf-8") + "---\n" + USER_TEMPLATE, encoding="utf-8")
    result = run("verify", out, src)
    assert result.exit_code == 1
    assert "rendered but not in the source: ConfigMap/release-mine" in result.stdout


def test_verify_without_state_file_counts_every_template_as_generated(verified_chart: tuple[Path, Path]) -> None:
    src, out = verified_chart
    write_tree(out, {"templates/mine.yaml": USER_TEMPLATE})
    (out / ".helmify-state.json").unlink()
    result = run("verify", out, src)
    assert result.exit_code == 1
    assert "rendered but not in the source: ConfigMap/release-mine" in result.stdout


def test_user_template_that_breaks_schema_still_fails(verified_chart: tuple[Path, Path]) -> None:
    src, out = verified_chart
    write_tree(out, {"templates/mine.yaml": USER_TEMPLATE.replace("\ndata:", "\nspec: {}\ndata:")})
    result = run("verify", out, src)
    assert result.exit_code == 1
    assert "schema" in result.stdout


# --------------------------------------------------------------------------- rule packs recorded canonically


def report_rules(out: Path) -> list[str]:
    import json

    return json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))["rules"]


def test_copy_of_a_builtin_pack_is_recorded_as_the_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import ROOT

    write_tree(tmp_path / "src", {"d.yaml": DEPLOYMENT.format(env=env_block(("A", "a")))})
    write_tree(tmp_path, {"rules/flts.yaml": (ROOT / "rules" / "flts.yaml").read_bytes()})
    monkeypatch.chdir(tmp_path)
    assert run("convert", "src", "out", "--rules", "rules/flts.yaml").exit_code == 0
    assert "builtin:flts.yaml" in report_rules(tmp_path / "out")
    for spelling in ("flts", "builtin:flts", "builtin:flts.yaml", "rules/flts.yaml"):
        result = run("convert", "--check", "src", "out", "--rules", spelling)
        assert result.exit_code == 0, (spelling, result.stderr)


def test_user_rule_files_keep_their_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_tree(tmp_path / "src", {"d.yaml": DEPLOYMENT.format(env=env_block(("A", "a")))})
    rule = (
        "rules:\n  - id: grace\n    description: Grace.\n"
        "    path: spec.template.spec.terminationGracePeriodSeconds\n"
        '    key: "{base}.grace"\n    optional: true\n'
    )
    write_tree(tmp_path, {"mine/shop.yaml": rule})
    monkeypatch.chdir(tmp_path)
    assert run("convert", src, "out", "--rules", tmp_path / "mine" / "shop.yaml").exit_code == 0
    assert report_rules(tmp_path / "out")[-1] == "mine/shop.yaml"
    assert run("convert", "--check", src, "out", "--rules", "./mine/shop.yaml").exit_code == 0


def test_unknown_rule_pack_names_the_builtin_packs(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"d.yaml": DEPLOYMENT.format(env=env_block(("A", "a")))})
    result = run("convert", src, tmp_path / "out", "--rules", "fltz")
    assert result.exit_code == 2
    assert "flts" in result.stderr and "built-in pack" in result.stderr


# --------------------------------------------------------------------------- the schema types integer fields


SCHEMA_CASE = {
    "d.yaml": DEPLOYMENT.format(env=env_block(("A", "a"))).replace(
        "    spec:\n      containers:", "    spec:\n      terminationGracePeriodSeconds: 30\n      containers:"
    ),
    "svc.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - name: http
      port: 80
      targetPort: 8080
""",
    "hpa.yaml": """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
""",
}


@pytest.fixture()
def schema_chart(tmp_path: Path) -> Path:
    src = write_tree(tmp_path / "src", SCHEMA_CASE)
    out = tmp_path / "out"
    assert run("convert", src, out).exit_code == 0
    assert_reproduces(out, src)
    return out


def leaf_schema(out: Path, *key: str) -> dict:
    import json

    node = json.loads((out / "values.schema.json").read_text(encoding="utf-8"))
    for part in key:
        node = node["properties"][part]
    return node


def test_replicas_abc_is_a_lint_finding(schema_chart: Path) -> None:
    from helmify_flts import render

    findings = render.lint(schema_chart, {"web": {"replicas": "abc"}})
    assert any("/web/replicas" in f.get("error", "") for f in findings), findings
    assert render.lint(schema_chart, {"web": {"replicas": 4}}) == []


def test_integer_fields_are_typed_and_int_or_string_fields_are_not(schema_chart: Path) -> None:
    integer = ["integer", "null"]
    assert leaf_schema(schema_chart, "web", "replicas")["type"] == integer
    assert leaf_schema(schema_chart, "web", "autoscaling", "minReplicas")["type"] == integer
    assert leaf_schema(schema_chart, "web", "autoscaling", "maxReplicas")["type"] == integer
    ports = leaf_schema(schema_chart, "web", "service", "ports")["items"]["properties"]
    assert ports["port"]["type"] == integer
    assert "targetPort" not in ports  # int or string: either is right
    assert leaf_schema(schema_chart, "web", "podSecurityContext")["properties"]["runAsUser"]["type"] == integer
    assert leaf_schema(schema_chart, "web", "env", "A")["type"] != integer


def test_field_types_come_from_the_kubernetes_schema() -> None:
    from helmify_flts import schema

    assert schema.field_type("v1", "Service", ("spec", "ports", 0, "targetPort")) is None
    assert schema.field_type("apps/v1", "Deployment", ("spec", "strategy", "rollingUpdate", "maxUnavailable")) is None
    assert schema.field_type("autoscaling/v2", "HorizontalPodAutoscaler", ("spec", "minReplicas")) == "integer"
    assert (
        schema.field_type("apps/v1", "Deployment", ("spec", "template", "spec", "terminationGracePeriodSeconds"))
        == "integer"
    )
    assert (
        schema.field_type(
            "apps/v1", "Deployment", ("spec", "template", "spec", "containers", 0, "ports", 0, "containerPort")
        )
        == "integer"
    )
    assert schema.field_type("example.com/v1", "Widget", ("spec", "replicas")) is None
    assert schema.field_type("../../etc/v1", "Deployment", ("spec", "replicas")) is None


def test_service_port_as_text_is_a_lint_finding(schema_chart: Path) -> None:
    from helmify_flts import render

    bad = {"web": {"service": {"ports": [{"name": "http", "port": "80", "targetPort": "http"}]}}}
    findings = render.lint(schema_chart, bad)
    assert any("/web/service/ports/0/port" in f.get("error", "") for f in findings), findings
    bad["web"]["service"]["ports"][0]["port"] = 80
    assert render.lint(schema_chart, bad) == []


def test_a_string_where_an_integer_field_holds_text_stays_untyped(tmp_path: Path) -> None:
    """An int field written as text in the manifest keeps the loose scalar type, so the chart's
    own defaults always pass lint."""
    src = write_tree(tmp_path / "src", {"d.yaml": SCHEMA_CASE["d.yaml"].replace("replicas: 2", "replicas: '2'")})
    out = tmp_path / "out"
    run("convert", src, out)
    assert leaf_schema(out, "web", "replicas")["type"] != ["integer", "null"]


# --------------------------------------------------------------------------- the documented pre-commit hook


def test_documented_pre_commit_hook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's config with the hook definition: the command pre-commit would run passes on
    a chart converted with the same args, and fails once the manifests change."""
    import re
    import shlex
    import shutil

    from conftest import FIXTURES, ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"`\.pre-commit-config\.yaml` in your repository.*?```yaml\n(.*?)```", readme, re.S).group(1)
    config = kyaml.load_all(block)[0]
    entry = config["repos"][0]
    assert not re.fullmatch(r"v?\d+(\.\d+)*", str(entry["rev"])), "no release tags exist: document a commit sha"
    assert "autoupdate --freeze" in readme
    hooks = {h["id"]: h for h in kyaml.load_all((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]}
    (wanted,) = entry["hooks"]
    hook = hooks[wanted["id"]]
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    program, *command = shlex.split(hook["entry"])
    assert program == "helmify-flts"
    args = [str(a) for a in wanted.get("args", hook["args"])]

    shutil.copytree(FIXTURES / ".kubernetes", tmp_path / args[0])
    monkeypatch.chdir(tmp_path)
    assert run("convert", *args).exit_code == 0
    assert run(*command, *args).exit_code == 0
    (tmp_path / args[0] / "extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\ndata:\n  a: b\n", encoding="utf-8"
    )
    assert run(*command, *args).exit_code == 0  # a kustomization: a file it does not list changes nothing
    with (tmp_path / args[0] / "kustomization.yaml").open("a", encoding="utf-8") as kfile:
        kfile.write("  - extra.yaml\n")
    assert run(*command, *args).exit_code == 1
