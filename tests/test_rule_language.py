"""The rule language: its JSON Schema, path sets, the Kubernetes field check, and tested examples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import ROOT, assert_reproduces, convert_ok, run, write_tree
from yaml.nodes import ScalarNode

from helmify_flts import kyaml, paths, pathsets, render, rules
from helmify_flts.errors import UserError
from helmify_flts.transforms import TRANSFORMS

SCHEMA_FILE = ROOT / "rules" / "rule-file.schema.json"
PACKS = sorted((ROOT / "rules").glob("*.yaml"))


def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def first_error(result) -> tuple[int, str]:  # noqa: ANN001
    first = result.stderr.splitlines()[0]
    m = re.match(r"error: my\.yaml:(\d+): (.*)", first)
    assert m, first
    return int(m.group(1)), m.group(2)


# --------------------------------------------------------------------------- the schema


def test_schema_is_valid_json_schema_and_every_builtin_pack_follows_it() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    validator = jsonschema.Draft202012Validator(schema())
    for pack in PACKS:
        errors = [e.message for e in validator.iter_errors(kyaml.load_all(pack.read_text(encoding="utf-8"))[0])]
        assert errors == [], (pack.name, errors)


def _keys(node: dict, root: dict, path: str, seen: set[str]) -> list[tuple[str, dict]]:
    """Every (dotted name, schema) a rule file may hold, following $refs once."""
    out = []
    for key, sub in node.get("properties", {}).items():
        out.append((f"{path}{key}", sub))
        ref = sub.get("$ref") or sub.get("items", {}).get("$ref")
        if ref and ref not in seen:
            target = root["$defs"][ref.rsplit("/", 1)[-1]]
            out += _keys(target, root, f"{path}{key}.", seen | {ref})
    return out


def test_every_key_of_a_rule_file_has_a_description() -> None:
    root = schema()
    keys = _keys(root, root, "", set())
    names = {name for name, _ in keys}
    # Keys the loader reads, documented nowhere before the schema, are in it.
    for name in (
        "rules.append",
        "rules.doc",
        "rules.default",
        "rules.transform",
        "rules.optional",
        "rules.existing.references",
        "rules.match.namespaces",
        "componentLabels",
        "extends",
    ):
        assert name in names, name
    for name, sub in keys:
        target = sub if "$ref" not in sub else root["$defs"][sub["$ref"].rsplit("/", 1)[-1]]
        assert len(target.get("description", "")) > 20, name


def test_schema_transforms_are_the_ones_the_tool_has() -> None:
    rule = schema()["$defs"]["rule"]["properties"]["transform"]
    assert sorted(rule["enum"]) == sorted(TRANSFORMS)
    assert sorted(rule["x-enumDescriptions"]) == sorted(TRANSFORMS)


def test_builtin_packs_point_editors_at_the_schema() -> None:
    for pack in PACKS:
        first = pack.read_text(encoding="utf-8").splitlines()[0]
        m = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert m, (pack.name, first)
        assert (pack.parent / m.group(1)).resolve() == SCHEMA_FILE.resolve()


def test_the_schema_ships_with_the_packs() -> None:
    assert (rules.builtin_dir() / "rule-file.schema.json").is_file()
    assert rules.schema()["title"] == "rule file"


RULE_HEAD = "description: broken rules\nrules:\n"

# name -> (rule file text, text on the line the error must name, words the message must contain)
SCHEMA_ERRORS = {
    "kinds given as a mapping": (
        RULE_HEAD + "  - id: r\n    description: d\n    match:\n      kinds: {Deployment: 1}\n"
        "    path: spec.replicas\n    key: a.b\n",
        "kinds: {Deployment",
        ["match.kinds", "list"],
    ),
    "labels given as a list": (
        RULE_HEAD + "  - id: r\n    description: d\n    match:\n      labels: [app]\n"
        "    path: spec.replicas\n    key: a.b\n",
        "labels: [app]",
        ["match.labels", "mapping"],
    ),
    "optional not a flag": (
        RULE_HEAD + "  - id: r\n    description: d\n    path: spec.replicas\n    key: a.b\n    optional: maybe\n",
        "optional: maybe",
        ["optional", "true or false"],
    ),
    "unknown existing key": (
        RULE_HEAD + "  - id: r\n    description: d\n    existing:\n      key: a.b\n      refs: [spec.x]\n",
        "refs:",
        ["'refs'", "references"],
    ),
    "existing without references": (
        RULE_HEAD + "  - id: r\n    description: d\n    existing:\n      key: a.b\n",
        "existing:",
        ["references"],
    ),
    "rules not a list": ("description: x\nrules:\n  id: r\n", "rules:", ["rules", "list"]),
    "path set used as a binding": (
        RULE_HEAD + '  - id: r\n    description: d\n    path: "data.{podSpec}"\n    key: a.b\n',
        "path:",
        ["podSpec", "path set"],
    ),
}


@pytest.mark.parametrize("case", list(SCHEMA_ERRORS), ids=list(SCHEMA_ERRORS))
def test_schema_errors_name_the_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    text, needle, words = SCHEMA_ERRORS[case]
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"my.yaml": text})
    result = run("rules", "--rules", "my.yaml")
    assert result.exit_code == 2
    line, message = first_error(result)
    assert line == line_of(text, needle), result.stderr
    for word in words:
        assert word in message, (word, message)


# --------------------------------------------------------------------------- path sets

POD_KINDS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          priorityClassName: low
          containers: [{name: backup, image: busybox:1.36}]
---
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  containers: [{name: debug, image: busybox:1.36}]
"""

PRIORITY_RULE = """\
rules:
  - id: priority
    description: Priority class of the pods.
    path: "{podSpec}.priorityClassName"
    key: "{base}.priorityClassName"
    optional: true
"""


def test_a_path_set_names_the_pod_spec_of_every_workload_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"src/all.yaml": POD_KINDS, "my.yaml": PRIORITY_RULE})
    convert_ok(Path("src"), Path("chart"), "--rules", "my.yaml")
    values = yaml.safe_load(Path("chart/values.yaml").read_text())
    assert values["backup"]["priorityClassName"] == "low"
    assert "priorityClassName" in values["web"] and "priorityClassName" in values["debug"]
    assert_reproduces(Path("chart"), Path("src"))
    # Set, the field lands in each kind's own pod spec: never in a Deployment's spec (the Pod's place).
    templates = {p.name: p.read_text() for p in Path("chart/templates").glob("*.yaml")}
    web = templates["web.yaml"]
    assert web.index("priorityClassName") > web.index("template:")
    rule = rules.load_rules(("my.yaml",), defaults=False).field_rules[0]
    assert rule.match.kinds == ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")
    assert [len(s) for s in rule.paths_for("Deployment")] == [4]
    assert [len(s) for s in rule.paths_for("Pod")] == [2]
    assert rule.paths_for("Service") == ()


def test_builtin_packs_name_pod_paths_once() -> None:
    for pack in PACKS:
        text = pack.read_text(encoding="utf-8")
        assert "spec.jobTemplate" not in text, pack.name
        assert "spec.template.spec" not in text, pack.name
        assert "kinds: [Deployment, StatefulSet, DaemonSet" not in text, pack.name


# --------------------------------------------------------------------------- the generated docs


def _subset(expected: object, actual: object) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and _subset(v, actual[k]) for k, v in expected.items())
    return expected == actual


@pytest.mark.parametrize("example", schema()["x-examples"], ids=lambda e: e["title"])
def test_documented_examples_apply_as_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example: dict) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"src/manifest.yaml": example["manifest"], "my.yaml": example["rules"]})
    result = run("convert", "src", "chart", "--rules", "my.yaml")
    assert result.exit_code == 0, result.stderr
    assert "warning:" not in result.stderr  # every rule of the example matched something
    values = yaml.safe_load(Path("chart/values.yaml").read_text())
    assert _subset(example["values"], values), values
    assert_reproduces(Path("chart"), Path("src"))


def test_rule_language_section_documents_every_key() -> None:
    result = run("rules", "--markdown")
    assert result.exit_code == 0, result.stderr
    section = result.stdout.split("## Rule language", 1)[1].split("## Built-in rules", 1)[0]
    root = schema()
    for name, _ in _keys(root, root, "", set()):
        assert f"- `{name.rsplit('.', 1)[-1]}`" in section, name
    for name in pathsets.SETS:
        assert f"- `{{{name}}}`" in section, name
    for name in (*rules.RESOURCE_BINDINGS, *rules.FILTERS, *TRANSFORMS):
        assert f"`{name}`" in section or f"`{{{name}}}`" in section or f"`|{name}`" in section, name
    assert set(root["$defs"]["rule"]["properties"]["key"]["x-filters"]) == set(rules.FILTERS)
    assert set(root["$defs"]["rule"]["properties"]["key"]["x-bindings"]) == set(rules.RESOURCE_BINDINGS)
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == result.stdout, "docs/rules.md is stale"


# --------------------------------------------------------------------------- Kubernetes field names

TYPO_RULE = """\
description: Team rules
rules:
  - id: priority
    description: Priority class of the pods.
    path: "{podSpec}.priorityClasName"
    key: "{base}.priorityClassName"
    optional: true
"""


def test_a_typo_in_an_optional_path_is_an_error_naming_the_real_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"src/all.yaml": POD_KINDS, "my.yaml": TYPO_RULE})
    result = run("convert", "src", "chart", "--rules", "my.yaml")
    assert result.exit_code == 2
    line, message = first_error(result)
    assert line == line_of(TYPO_RULE, "priorityClasName")
    assert "'priorityClasName'" in message and "did you mean 'priorityClassName'?" in message
    assert not Path("chart").exists()


FREE_RULES = """\
rules:
  - id: custom-resource
    description: Fields of custom resources are not checked.
    match: {kinds: [Certificate]}
    path: spec.secretTemplate.labels
    key: "{base}.certLabels"
    optional: true
  - id: free-map
    description: A key of a free map (labels) may be anything.
    match: {kinds: [Deployment]}
    path: metadata.labels.tier
    key: "{base}.tier"
    optional: true
  - id: one-of-several-kinds
    description: A field one of the matched kinds has passes.
    match: {kinds: [Service, Deployment]}
    path: spec.replicas
    key: "{base}.count"
    optional: true
  - id: unchecked-without-kinds
    description: Without kinds nothing says which schema applies.
    path: spec.replcas
    key: "{base}.whatever"
    optional: true
"""


def test_the_field_check_leaves_alone_what_it_cannot_know(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"my.yaml": FREE_RULES})
    result = run("rules", "--rules", "my.yaml")
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("pack", PACKS, ids=[p.stem for p in PACKS])
def test_every_builtin_pack_passes_the_rule_schema(pack: Path) -> None:
    """A run does not check the built-in packs against the rule schema (start-up): this does,
    with the checks a user's rule file goes through."""
    from helmify_flts import ruleschema

    (top,) = [n for n in kyaml.compose_all(pack.read_text(encoding="utf-8")) if n is not None]
    root = rules.schema()
    ruleschema.check(top, root, root, pack.name, skip=frozenset({ruleschema.RULE_REF}))
    items = paths.child(top, "rules")
    for item in items.value if items is not None else ():
        ruleschema.check(item, root["$defs"]["rule"], root, pack.name)
    # and the check does refuse a slip in one of them
    first = items.value[0] if items is not None and items.value else None
    if first is not None:
        first.value.append((ScalarNode(kyaml.STR, "pathh", first.start_mark), ScalarNode(kyaml.STR, "x")))
        with pytest.raises(UserError):
            ruleschema.check(first, root["$defs"]["rule"], root, pack.name)


def test_every_builtin_path_ends_in_a_real_field() -> None:
    from helmify_flts import kubefields

    packs = tuple(p.stem for p in PACKS)
    ruleset = rules.load_rules(packs)
    checked = 0
    for rule in ruleset.field_rules:
        for steps, set_kinds in zip(rule.paths, rule.path_kinds, strict=True):
            kinds = [k for k in rule.match.kinds if set_kinds is None or k in set_kinds]
            assert kubefields.unknown_field(kinds, steps) is None, (rule.id, steps)
            checked += bool(kinds)
    assert checked > 40
    # And the check does find a typo in one of them.
    image = next(r for r in ruleset.field_rules if r.id == "image-pull-policy")
    typo = image.paths[0][:-1] + (type(image.paths[0][-1])("imagePulPolicy"),)
    found = kubefields.unknown_field(["Deployment"], typo)
    assert found is not None and found.suggestions[0] == "imagePullPolicy"


def test_the_field_check_is_fast(tmp_path: Path) -> None:
    import time

    write_tree(tmp_path, {"my.yaml": PRIORITY_RULE + FREE_RULES.removeprefix("rules:\n")})
    start = time.perf_counter()
    rules.load_rules((str(tmp_path / "my.yaml"),))
    assert time.perf_counter() - start < 3.0  # a first load reads the schemas: well under a second, idle


# --------------------------------------------------------------------------- before/after examples

# The example resource of a rule: its first kind, named web unless "before:" names it.
SKELETONS: dict[str, dict] = {
    "Deployment": {
        "apiVersion": "apps/v1",
        "spec": {
            "selector": {"matchLabels": {"app": "NAME"}},
            "template": {
                "metadata": {"labels": {"app": "NAME"}},
                "spec": {"containers": [{"name": "NAME", "image": "nginx:1.27"}]},
            },
        },
    },
    "StatefulSet": {
        "apiVersion": "apps/v1",
        "spec": {
            "serviceName": "NAME",
            "selector": {"matchLabels": {"app": "NAME"}},
            "template": {
                "metadata": {"labels": {"app": "NAME"}},
                "spec": {"containers": [{"name": "NAME", "image": "nginx:1.27"}]},
            },
        },
    },
    "Job": {
        "apiVersion": "batch/v1",
        "spec": {
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "NAME", "image": "busybox:1.36"}]}}
        },
    },
    "ClusterRole": {"apiVersion": "rbac.authorization.k8s.io/v1", "rules": []},
    "CronJob": {
        "apiVersion": "batch/v1",
        "spec": {
            "schedule": "0 3 * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "NAME", "image": "busybox:1.36"}]}
                    }
                }
            },
        },
    },
    "Service": {"apiVersion": "v1", "spec": {"selector": {"app": "NAME"}, "ports": [{"port": 80}]}},
    "PersistentVolumeClaim": {
        "apiVersion": "v1",
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    },
    "HorizontalPodAutoscaler": {
        "apiVersion": "autoscaling/v2",
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "NAME"}, "maxReplicas": 3},
    },
    "PodDisruptionBudget": {"apiVersion": "policy/v1", "spec": {"selector": {"matchLabels": {"app": "NAME"}}}},
    "Ingress": {
        "apiVersion": "networking.k8s.io/v1",
        "spec": {"defaultBackend": {"service": {"name": "NAME", "port": {"number": 80}}}},
    },
    "ConfigMap": {"apiVersion": "v1", "data": {}},
    "Secret": {"apiVersion": "v1", "stringData": {"password": "x"}},
}
# Items a path selects by position or binding, made when the skeleton lacks them.
DEFAULT_ITEMS = {1: "exporter", None: "init"}
EXAMPLE = re.compile(
    r"^before: (?:(?P<kind>[A-Za-z]+)/(?P<name>[a-z0-9-]+):? ?)?(?P<before>.*)\n"
    r"after:  (?P<after>.*)$",
    re.MULTILINE,
)


def _skeleton(kind: str, name: str) -> dict:
    body = json.loads(json.dumps(SKELETONS[kind]).replace("NAME", name))
    return {"apiVersion": body.pop("apiVersion"), "kind": kind, "metadata": {"name": name}, **body}


def _merge(doc: dict, over: dict) -> None:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            _merge(doc[key], value)
        else:
            doc[key] = value


def _place(doc: dict, steps: tuple, before: dict) -> None:
    """Put ``before`` at the parent of the path's last step, making what is missing on the way."""
    from helmify_flts import paths

    node, fill = doc, []
    for i, step in enumerate(steps):
        if isinstance(step, paths.Key):
            nxt_list = i + 1 < len(steps) and isinstance(steps[i + 1], paths.Items)
            node = node.setdefault(step.name, [] if nxt_list else {})
        elif isinstance(step, paths.Items) and step.field:
            item: dict = {}
            node.append(item)
            if step.value is None:
                fill.append((item, step.field))
            else:
                item[step.field] = step.value
            node = item
        elif isinstance(step, paths.Items):
            index = step.start or 0
            while len(node) <= index:
                node.append(
                    {"name": DEFAULT_ITEMS.get(step.start if step.bind else index, "init"), "image": "busybox:1.36"}
                )
            node = node[index]
    node.update(before)
    for item, dotted in fill:  # a selected item still without its name gets "data"
        *path, last = dotted.split(".")
        target = item
        for part in path:
            target = target.setdefault(part, {})
        target.setdefault(last, "data")


def _builtin_examples() -> list[tuple[str, str]]:
    return [
        (pack.stem, rule["id"])
        for pack in PACKS
        for rule in kyaml.load_all(pack.read_text(encoding="utf-8"))[0].get("rules") or []
    ]


@pytest.mark.parametrize(("pack", "rule_id"), _builtin_examples(), ids=lambda v: v)
def test_builtin_rule_examples_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pack: str, rule_id: str) -> None:
    monkeypatch.chdir(tmp_path)
    ruleset = rules.load_rules((pack,))
    rule = next(r for r in ruleset.rules if r.id == rule_id)
    m = EXAMPLE.search(rule.description)
    assert m, f"{rule_id}: the description needs a 'before:' line and an 'after:' line"
    kind = m.group("kind") or (rule.match.kinds or ("Deployment",))[0]
    name = m.group("name") or "web"
    doc = _skeleton(kind, name)
    before = m.group("before").strip()
    if isinstance(rule, rules.FieldRule):
        _place(doc, rule.paths_for(kind)[0][:-1], {} if before == "(none)" else yaml.safe_load(before))
    docs = [doc]
    if isinstance(rule, rules.RefactorRule):  # before: what to merge into the resource, then other documents
        parsed = yaml.safe_load(before)
        parsed = parsed if isinstance(parsed, list) else [parsed]
        _merge(doc, parsed[0] or {})
        docs += parsed[1:]
    if isinstance(rule, rules.ExistingRule):  # a Pod that names the resource
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "web"},
                "spec": {
                    "containers": [{"name": "web", "image": "nginx:1.27"}],
                    "volumes": [{"name": "v", "secret": {"secretName": name}}],
                },
            }
        )
    write_tree(tmp_path, {"src/example.yaml": yaml.safe_dump_all(docs, sort_keys=False)})
    convert_ok(Path("src"), Path("chart"), "--rules", pack, "--chart-name", "chart")
    after = m.group("after").strip()
    if isinstance(rule, rules.ComponentRule):
        values = yaml.safe_load(Path("chart/values.yaml").read_text())
        assert after.startswith("component "), after
        for part in after.removeprefix("component ").split("."):
            values = values[part]
        assert values["enabled"] is True
        return
    shown = [*Path("chart/templates").rglob("*.yaml"), Path("chart/templates/NOTES.txt")]  # with own files
    lines = {line.strip() for p in shown for line in p.read_text().splitlines()}
    assert after in lines, sorted(line for line in lines if ".Values." in line)


CRON_WITH_INIT_SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: db, labels: {app: backup}}
stringData: {password: x}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, labels: {app: backup}}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          imagePullSecrets: [{name: db}]
          initContainers:
            - name: wait
              image: busybox:1.36
              env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}]
          containers: [{name: backup, image: busybox:1.36}]
"""


def test_existing_secret_follows_every_container_list_of_every_pod_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The references name {containers}: a CronJob's init containers, which the pack's list of
    # alternative paths had left out, follow the switch too.

    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"src/all.yaml": CRON_WITH_INIT_SECRET})
    convert_ok(Path("src"), Path("chart"))
    assert_reproduces(Path("chart"), Path("src"))
    objects = render.rendered_objects(render.render_chart(Path("chart"), {"backup": {"existingSecret": "mine"}}))
    cron = next(obj for (_, kind, _, _), (_, obj) in objects.items() if kind == "CronJob")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["initContainers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "mine"
    assert not any(kind == "Secret" for (_, kind, _, _) in objects)


def test_the_wheel_ships_the_packs_as_their_own_data_package() -> None:
    import tomllib

    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "helmify_flts.rules" not in setup["packages"]  # a package would shadow the rules module
    assert setup["package-dir"]["helmify_flts.packs"] == "rules"
    assert {"*.yaml", "*.json"} <= set(setup["package-data"]["helmify_flts.packs"])
    assert rules.BUILTIN_DIR_CANDIDATES[0].name == "packs"
