"""Rule files: user rules layered over the built-ins, errors with file and line, component rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT, assert_reproduces, convert_ok, run, write_tree

from helmify_flts import kyaml, manifests, proof, render
from helmify_flts.errors import UserError

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 45
      containers:
        - name: web
          image: registry.example.com/web:2.1.0
          env:
            - name: EPOCHS
              value: "10"
            - name: OTHER
              value: keep
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
"""

GRACE_RULE = """\
description: Team rules
rules:
  - id: grace-period
    description: |
      Grace period of the pods.
      before: terminationGracePeriodSeconds: 45
    match: {kinds: [Deployment]}
    path: spec.template.spec.terminationGracePeriodSeconds
    key: "{base}.terminationGracePeriodSeconds"
"""

EPOCHS_RULE = """\
description: Training knobs
rules:
  - id: epochs
    description: Training epochs
    match: {kinds: [Deployment]}
    path: spec.template.spec.containers[0].env[name=EPOCHS].value
    key: "{base}.training.epochs"
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work inside tmp_path so rule files are shown by their relative names."""
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"src/web.yaml": WEB})
    return tmp_path


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def values_of(chart: Path) -> dict:
    return kyaml.load_all((chart / "values.yaml").read_text())[0]


def rendered(chart: Path, values: dict | None = None) -> dict[tuple, dict]:
    return {ident: obj for ident, (_, obj) in render.rendered_objects(render.render_chart(chart, values)).items()}


def deployment_of(objects: dict[tuple, dict], name: str) -> dict:
    return next(o for (_, k, _, n), o in objects.items() if k == "Deployment" and n == name)


def env_of(obj: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in obj["spec"]["template"]["spec"]["containers"][0].get("env", [])}


def templates_text(chart: Path) -> str:
    return "\n".join(p.read_text() for p in sorted((chart / "templates").glob("*.yaml")))


# --------------------------------------------------------------------------- user rules


def test_user_rule_lifts_a_new_field(here: Path) -> None:
    write_tree(here, {"my.yaml": GRACE_RULE})
    src, out = Path("src"), Path("chart")
    result = run("convert", src, out, "--rules", "my.yaml")
    assert result.exit_code == 0, result.stderr
    assert "warning:" not in result.stderr
    assert values_of(out)["web"]["terminationGracePeriodSeconds"] == 45
    assert "Grace period of the pods" in (out / "values.yaml").read_text()
    assert ".Values.web.terminationGracePeriodSeconds" in templates_text(out)
    assert_reproduces(out, src)

    source = render.source_objects(manifests.load_folder(src))
    for ident, obj in source.items():
        if ident[1] == "Deployment":
            obj["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 5
    proven = proof.prove(out, proof.Expected(source), {"web": {"terminationGracePeriodSeconds": 5}})
    assert proven.ok, "\n".join(proven.describe())
    assert proven.compared == len(source)
    # And the override really is visible: the unmodified source no longer matches.
    unmodified = proof.Expected.sources(manifests.load_folder(src))
    changed = proof.prove(out, unmodified, {"web": {"terminationGracePeriodSeconds": 5}})
    assert list(changed.changed) == [i for i in unmodified.objects if i[1] == "Deployment"]


def test_user_rule_overrides_a_builtin_for_the_same_field(here: Path) -> None:
    write_tree(here, {"my.yaml": EPOCHS_RULE})
    src, out = Path("src"), Path("chart")
    result = run("convert", src, out, "--rules", "my.yaml")
    assert result.exit_code == 0, result.stderr
    assert "error" not in result.stderr and "warning:" not in result.stderr
    values = values_of(out)["web"]
    assert values["training"]["epochs"] == "10"
    assert "EPOCHS" not in values.get("env", {})
    assert values["env"]["OTHER"] == "keep"
    assert_reproduces(out, src)

    assert env_of(deployment_of(rendered(out, {"web": {"training": {"epochs": "20"}}}), "web")) == {
        "EPOCHS": "20",
        "OTHER": "keep",
    }
    # The old key is gone, and values.schema.json says so instead of ignoring it.
    with pytest.raises(UserError, match="EPOCHS"):
        rendered(out, {"web": {"env": {"EPOCHS": "99"}}})


def test_user_rule_that_matches_nothing_warns(here: Path) -> None:
    text = (
        GRACE_RULE
        + """\
  - id: statefulset-grace
    description: Grace period of StatefulSet pods
    match: {kinds: [StatefulSet]}
    path: spec.template.spec.terminationGracePeriodSeconds
    key: "{base}.grace"
"""
    )
    write_tree(here, {"my.yaml": text})
    result = run("convert", "src", "chart", "--rules", "my.yaml")
    assert result.exit_code == 0, result.stderr
    line = line_of(text, "id: statefulset-grace")
    warnings = [w for w in result.stderr.splitlines() if w.startswith("warning:")]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"warning: my.yaml:{line}:"), warnings
    assert "statefulset-grace" in warnings[0]
    assert "grace-period" not in warnings[0]
    assert_reproduces(Path("chart"), Path("src"))


def test_no_default_rules_gives_only_toggles(here: Path) -> None:
    src, out = Path("src"), Path("chart")
    convert_ok(src, out, "--no-default-rules")
    values = values_of(out)

    def leaves(tree: dict, prefix: tuple = ()):  # noqa: ANN202
        for key, value in tree.items():
            if isinstance(value, dict):
                yield from leaves(value, prefix + (key,))
            else:
                yield prefix + (key,), value

    found = list(leaves(values))
    assert found, values
    assert all(path[-1] == "enabled" and value is True for path, value in found), found
    assert "image" not in (out / "values.yaml").read_text()
    refs = set(re.findall(r"\.Values\.[A-Za-z0-9_.]+", templates_text(out)))
    assert refs and all(r.endswith(".enabled") for r in refs), refs
    assert_reproduces(out, src)


# --------------------------------------------------------------------------- component rules

TRAINERS = "".join(
    f"""\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: train-{model}
spec:
  selector:
    matchLabels:
      app: train-{model}
  template:
    metadata:
      labels:
        app: train-{model}
    spec:
      containers:
        - name: trainer
          image: flts/train-{model}:0.3.0
---
apiVersion: v1
kind: Service
metadata:
  name: train-{model}
spec:
  selector:
    app: train-{model}
  ports:
    - port: 9000
"""
    for model in ("gru", "lstm")
)


def _check_trainer_components(out: Path) -> None:
    values = values_of(out)
    assert set(values) == {"train"}, sorted(values)
    for model in ("gru", "lstm"):
        assert values["train"][model]["enabled"] is True
        assert values["train"][model]["image"]["repository"] == f"flts/train-{model}"
        template = out / "templates" / f"train-{model}.yaml"
        assert template.is_file(), sorted(p.name for p in (out / "templates").iterdir())
        text = template.read_text()
        assert text.startswith(f"{{{{- if .Values.train.{model}.enabled }}}}")
        assert text.count(f"name: train-{model}\n") == 2
    off = rendered(out, {"train": {"gru": {"enabled": False}}})
    assert sorted(n for _, _, _, n in off) == ["train-lstm", "train-lstm"]


def test_fixed_component_rules_group_resources(here: Path) -> None:
    rules = """\
rules:
  - id: gru
    description: The GRU trainer sits under train.gru
    match: {names: [train-gru]}
    component: train.gru
  - id: lstm
    description: The LSTM trainer sits under train.lstm
    match: {names: [train-lstm]}
    component: train.lstm
"""
    write_tree(here, {"src/web.yaml": "", "src/train.yaml": TRAINERS, "my.yaml": rules})
    (here / "src" / "web.yaml").unlink()
    convert_ok(Path("src"), Path("chart"), "--rules", "my.yaml")
    _check_trainer_components(Path("chart"))
    assert_reproduces(Path("chart"), Path("src"))


def test_component_rule_with_short_name_filter(here: Path) -> None:
    # The example of helmify_flts/rules.py: names [train-*] grouped as train.<model>.
    rules = """\
rules:
  - id: trainers
    description: Group the trainers under train.<model>.
    match: {names: [train-*]}
    component: "train.{name|short}"
"""
    write_tree(here, {"src/train.yaml": TRAINERS, "my.yaml": rules})
    (here / "src" / "web.yaml").unlink()
    convert_ok(Path("src"), Path("chart"), "--rules", "my.yaml")
    assert_reproduces(Path("chart"), Path("src"))
    _check_trainer_components(Path("chart"))


# --------------------------------------------------------------------------- errors

RULE_HEAD = "description: broken rules\nrules:\n"
GOOD_RULE = """\
  - id: ok
    description: fine
    match: {kinds: [Deployment]}
    path: spec.replicas
    key: "{base}.count"
"""

# name -> (rule file text, text on the line the error must name, words the message must contain)
ERRORS = {
    "unknown top-level key": ("description: x\nrulez:\n" + GOOD_RULE, "rulez:", ["'rulez'", "'rules'"]),
    "unknown rule key": (
        RULE_HEAD + "  - id: r\n    description: d\n    pth: spec.replicas\n    key: a.b\n",
        "pth:",
        ["'pth'", "'path'"],
    ),
    "unknown match key": (
        RULE_HEAD + "  - id: r\n    description: d\n    match:\n      kind: [Deployment]\n"
        "    path: spec.replicas\n    key: a.b\n",
        "kind: [Deployment]",
        ["'kind'", "'kinds'"],
    ),
    "bad path": (
        RULE_HEAD + "  - id: r\n    description: d\n    path: spec..replicas\n    key: a.b\n",
        "path: spec..replicas",
        ["path", "spec..replicas"],
    ),
    "bad selector": (
        RULE_HEAD + "  - id: r\n    description: d\n    path: spec.containers[name~x].image\n    key: a.b\n",
        "path: spec.containers",
        ["selector", "name~x"],
    ),
    "unbound binding": (
        RULE_HEAD + '  - id: r\n    description: d\n    path: spec.replicas\n    key: "{base}.{container}"\n',
        "key:",
        ["{container}", "bound"],
    ),
    "unknown filter": (
        RULE_HEAD + '  - id: r\n    description: d\n    path: spec.replicas\n    key: "{name|upper}.n"\n',
        "key:",
        ["filter", "upper", "camel"],
    ),
    "unknown transform": (
        RULE_HEAD + "  - id: r\n    description: d\n    path: spec.replicas\n    key: a.b\n    transform: resize\n",
        "transform: resize",
        ["transform", "'resize'", "image"],
    ),
    "missing id": (
        RULE_HEAD + GOOD_RULE + "  - description: no id here\n    path: spec.replicas\n    key: a.b\n",
        "description: no id here",
        ["id"],
    ),
    "missing description": (
        RULE_HEAD + "  - id: undocumented\n    path: spec.replicas\n    key: a.b\n",
        "id: undocumented",
        ["undocumented", "description"],
    ),
    "component and path": (
        RULE_HEAD + "  - id: both\n    description: d\n    component: web\n    path: spec.replicas\n",
        "id: both",
        ["both", "component", "path"],
    ),
    "extends a missing pack": ("extends: [workloads, nosuchpack]\nrules: []\n", "extends:", ["nosuchpack"]),
    "not a mapping": ("- id: r\n- id: s\n", "- id: r", ["mapping"]),
    "invalid YAML": (RULE_HEAD + "  - id: r\n    description: [unclosed\n    key: a\n", None, ["YAML"]),
}


@pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
def test_rule_file_errors(here: Path, case: str) -> None:
    text, needle, words = ERRORS[case]
    write_tree(here, {"my.yaml": text})
    result = run("convert", "src", "chart", "--rules", "my.yaml")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    m = re.match(r"error: my\.yaml:(\d+): ", first)
    assert m, first
    if needle is not None:
        assert int(m.group(1)) == line_of(text, needle), first
    else:
        assert 1 <= int(m.group(1)) <= text.count("\n") + 1
    for word in words:
        assert word in first, (word, first)
    assert not Path("chart").exists()


def test_two_rules_of_one_file_claiming_one_field(here: Path) -> None:
    text = (
        RULE_HEAD
        + GOOD_RULE
        + """\
  - id: also-replicas
    description: the same field again
    match: {kinds: [Deployment]}
    path: spec.replicas
    key: "{base}.size"
"""
    )
    write_tree(here, {"my.yaml": text})
    result = run("convert", "src", "chart", "--rules", "my.yaml")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    m = re.match(r"error: my\.yaml:(\d+): ", first)
    assert m, first
    assert int(m.group(1)) in (line_of(text, "id: ok"), line_of(text, "id: also-replicas"))
    assert "'ok'" in first or " ok " in first
    assert "also-replicas" in first
    assert "spec.replicas" in first
    assert not Path("chart").exists()


def test_extends_loop_is_an_error(here: Path) -> None:
    a = "description: a\nextends: [b.yaml]\nrules: []\n"
    b = "description: b\nextends: [a.yaml]\nrules: []\n"
    write_tree(here, {"a.yaml": a, "b.yaml": b})
    result = run("convert", "src", "chart", "--rules", "a.yaml")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert "loop" in first
    assert re.match(rf"error: (a\.yaml|b\.yaml):{line_of(a, 'extends:')}: ", first), first
    assert not Path("chart").exists()


def test_rule_file_not_found(here: Path) -> None:
    result = run("convert", "src", "chart", "--rules", "nosuch.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("error:")
    assert "nosuch.yaml" in result.stderr and "not found" in result.stderr
    assert not Path("chart").exists()


def test_a_rule_file_too_large_is_refused_before_it_is_read(here: Path) -> None:
    """A rule file comes with the change under review: one of gigabytes was read whole (twice:
    once to see whether it copies a built-in pack). Sparse, so it takes no room on disk."""
    from helmify_flts import rules

    with (here / "huge.yaml").open("wb") as stream:
        stream.truncate(rules.RULE_FILE_MAX + 1)
    write_tree(here, {"base.yaml": "description: b\nextends: [huge.yaml]\nrules: []\n"})
    for named in ("huge.yaml", "base.yaml"):  # named by the command, or reached through extends
        result = run("convert", "src", "chart", "--rules", named)
        assert result.exit_code == 2, result.stderr
        assert result.stderr.startswith("error: huge.yaml: rule file not read"), result.stderr
        assert "4 MiB" in result.stderr
        assert not Path("chart").exists()


def test_rule_errors_also_stop_the_rules_command(here: Path) -> None:
    text, needle, _ = ERRORS["unknown rule key"]
    write_tree(here, {"my.yaml": text})
    result = run("rules", "--rules", "my.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: my.yaml:{line_of(text, needle)}:")


# --------------------------------------------------------------------------- the rules reference


def _pack_ids(pack: str, seen: set[str] | None = None) -> list[str]:
    seen = set() if seen is None else seen
    if pack in seen:
        return []
    seen.add(pack)
    doc = kyaml.load_all((ROOT / "rules" / f"{pack}.yaml").read_text())[0]
    ids: list[str] = []
    extends = doc.get("extends") or []
    for parent in [extends] if isinstance(extends, str) else extends:
        ids += _pack_ids(parent, seen)
    return ids + [rule["id"] for rule in doc.get("rules") or []]


def test_rules_markdown_lists_every_builtin_rule() -> None:
    packs = sorted(p.stem for p in (ROOT / "rules").glob("*.yaml"))
    assert "default" in packs
    default_ids = _pack_ids("default")
    ids = sorted({rule_id for pack in packs for rule_id in _pack_ids(pack)})
    assert len(default_ids) >= 20 and len(set(default_ids)) == len(default_ids)
    result = run("rules", "--markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# ")
    for rule_id in ids:
        assert f"### `{rule_id}`" in result.stdout, rule_id

    docs = ROOT / "docs" / "rules.md"
    if docs.exists():
        assert docs.read_text(encoding="utf-8") == result.stdout, "docs/rules.md is stale"


def test_rules_listing_names_where_each_rule_is(here: Path) -> None:
    write_tree(here, {"my.yaml": GRACE_RULE})
    result = run("rules", "--rules", "my.yaml")
    assert result.exit_code == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("grace-period"))
    assert f"my.yaml:{line_of(GRACE_RULE, 'id: grace-period')}" in line
