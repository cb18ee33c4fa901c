"""No input text is ever evaluated as a Helm template.

Hostile text (``{{ fail "x" }}`` aborts a render, ``{{ .Release.Name }}`` prints the release name)
is put into every position a manifest folder controls: keys and values of the base and of an
environment only, list item names, file and folder names, component paths, resource names and
namespaces. The real Helm engine must render each one as the literal text, so every chart
reproduces its source exactly, the dev overlay included. NOTES.txt lists a resource only where
the chart renders it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, assert_proven, assert_reproduces, convert_ok, run, write_tree

from helmify_flts import kyaml, render, templating

FAIL = '{{ fail "x" }}'
NAME = "{{ .Release.Name }}"
# Both payloads, plus the action forms a literal must not open: trim markers and comments.
SECRET = f"a-secret{FAIL}"
PAYLOADS = [FAIL, NAME, '{{- fail "x" -}}', "{{/* a comment */}}"]


def q(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def load_values(path: Path) -> dict:
    return kyaml.load_all(path.read_text(encoding="utf-8"))[0] or {}


def notes_of(texts: dict[str, str]) -> str:
    return next(text for name, text in texts.items() if name.endswith("templates/NOTES.txt"))


def reproduces(chart: Path, src: Path, values: dict | None = None) -> dict[str, str]:
    """Render with Helm and require exactly ``src``'s objects (no lint: some names here are
    deliberately not valid Kubernetes names). Returns the rendered texts."""
    return dict(assert_proven(chart, src, values).texts)


# --------------------------------------------------------------------------- every position


def workload(p: str, dev: bool) -> str:
    """A Deployment with the payload in keys and values of every scalar style; ``dev`` adds
    keys, labels and env items only that environment has, changes values, and drops one item."""
    env = [("PLAIN", p), (p, "value"), ("KEEP", p)]
    if dev:
        env = [("PLAIN", p + " dev"), (p, "value"), (p + "DEV", p)]
    env_text = "".join(f"            - name: {q(n)}\n              value: {q(v)}\n" for n, v in env)
    dev_labels = f"    {q(p + 'dev')}: {q(p)}\n" if dev else ""
    dev_annotations = (
        (
            f"    {q(p + ' dev')}: {q(p)}\n"
            f"    '{p} dev single': '{p}'\n"
            f"    {q(p + ' dev block')}: |\n      {p}\n      second {p}\n"
        )
        if dev
        else ""
    )
    changed = f"{p} in dev" if dev else p
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: {q("ns" + p)}
  labels:
    app: app
    {q(p)}: {q(p)}
{dev_labels}  annotations:
    {q(p)}: {q(changed)}
    single: '{p}'
    plain: x {p}
    block: |
      {p}
      {p}
    folded: >
      {p}
{dev_annotations}spec:
  replicas: 2
  selector:
    matchLabels: {{app: app}}
  template:
    metadata:
      labels: {{app: app}}
      annotations:
        {q(p)}: {q(p)}
    spec:
      containers:
        - name: {q(p)}
          image: nginx:1.25
          args: [{q(p)}, {q(changed)}]
          env:
{env_text}"""


def config_map(p: str, dev: bool) -> str:
    extra = f"  {q(p + 'dev')}: {q(p)}\n  {q('dev.sh ' + p)}: |\n    echo {p}\n    {p}\n" if dev else ""
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  {q(p)}: {q(p)}
  script.sh: |
    echo {p}
    {p} {"dev" if dev else "base"}
{extra}"""


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_in_every_position_renders_literally(tmp_path: Path, payload: str) -> None:
    folder = payload.replace("/", "_")  # a folder and a file named with the payload
    for root, dev in (("src", False), ("dev", True)):
        write_tree(
            tmp_path / root,
            {
                f"{folder}/{folder}.yaml": workload(payload, dev),
                f"{folder}/settings.yaml": config_map(payload, dev),
            },
        )
    out = tmp_path / "chart"
    convert_ok(tmp_path / "src", out, "--env", f"dev={tmp_path / 'dev'}")
    assert_reproduces(out, tmp_path / "src")
    dev_values = load_values(out / "values-dev.yaml")
    assert_reproduces(out, tmp_path / "dev", dev_values)


@pytest.mark.parametrize("payload", [FAIL, NAME])
def test_resource_names_and_component_paths_render_literally(tmp_path: Path, payload: str) -> None:
    """A component rule ``component: "{name}"`` on a ConfigMap whose name holds a payload: the
    component path reaches NOTES.txt, the name reaches templates, values and NOTES."""
    name = f"cm{payload}"
    src = write_tree(
        tmp_path / "src",
        {
            "cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {q(name)}\n  namespace: {q(payload)}\n"
            f"data:\n  {q(payload)}: {q(payload)}\n  multi: |\n    {payload}\n    two\n",
        },
    )
    rules = write_tree(
        tmp_path,
        {
            "rules.yaml": "rules:\n  - id: by-name\n    description: Named after the "
            "ConfigMap.\n    match: {kinds: [ConfigMap]}\n"
            '    component: "{name}"\n'
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out, "--rules", rules / "rules.yaml")
    texts = reproduces(out, src)
    notes = notes_of(texts)
    assert f"  - {name}: ConfigMap/{payload}/{name}\n" in notes, notes
    assert "release" not in notes.split("\n", 1)[1], notes  # nothing after the first line printed the release


@pytest.mark.parametrize("payload", [FAIL, NAME])
def test_existing_secret_default_name_stays_a_literal(tmp_path: Path, payload: str) -> None:
    """A reference to a Secret users may replace renders ``existingSecret | default "<name>"``:
    the name is a quoted string inside that action, never template text."""
    name = f"s{payload}"
    deploy = (
        workload("x", dev=False)
        .replace('namespace: "nsx"\n  ', "")
        .replace(
            "          env:\n",
            f"          env:\n            - name: P\n              valueFrom:\n"
            f"                secretKeyRef: {{name: {q(name)}, key: k}}\n",
        )
    )
    src = write_tree(
        tmp_path / "src",
        {
            "app.yaml": deploy,
            "s.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n"
            f"  name: {q(name)}\n  labels: {{app: app}}\nstringData: {{k: v}}\n",
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out)
    reproduces(out, src)
    texts = render.render_chart(out, {"app": {"existingSecret": "mine"}})
    (obj,) = [o for (_, kind, _, _), (_, o) in render.rendered_objects(texts).items() if kind == "Deployment"]
    env = obj["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env[0] == {"name": "P", "valueFrom": {"secretKeyRef": {"name": "mine", "key": "k"}}}


def test_source_file_name_cannot_end_its_comment(tmp_path: Path) -> None:
    """Line breaks in a file name (the four YAML 1.1 ones besides LF included) would end the
    ``# Source:`` comment and add documents: here, a Namespace."""
    injected = "\napiVersion: v1\nkind: Namespace\nmetadata: {name: evil}\n"
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\ndata:\n  k: v\n"
    deploy = workload("x", dev=False).replace("name: app", "name: web")
    src = write_tree(
        tmp_path / "src",
        {
            f"a.yaml{injected.replace(chr(10), brk)}#.yaml": cm.format(n=f"cm{i}")
            for i, brk in enumerate(["\n", "\r", "\x85", "\u2028", "\u2029"])
        }
        | {f"{FAIL}\n---\nkind: Namespace\x01.yaml": deploy},
    )
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert_reproduces(out, src)
    assert "Namespace" not in {kind for _, kind, _, _ in render.rendered_objects(render.render_chart(out))}
    for template in (out / "templates").glob("*.yaml"):
        header = [line for line in template.read_text(encoding="utf-8").split("\n") if line.startswith("# Source:")]
        assert header, template
        for line in header:
            assert not re.search("[\r\x85\u2028\u2029\x01]", line), line
    web = next(
        text
        for text in (t.read_text(encoding="utf-8") for t in (out / "templates").glob("*.yaml"))
        if "kind: Deployment" in text
    )
    assert '# Source: {{ "{{" }} fail "x" }}\\u000a---\\u000akind: Namespace\\u0001.yaml\n' in web


def test_placeholder_tokens_never_clash_with_a_file_name(tmp_path: Path) -> None:
    """Placeholder tokens must be unique against all the template text, the file name in the
    header included (this file name made the conversion crash with an AssertionError)."""
    src = write_tree(
        tmp_path / "src",
        {
            "HELMIFYTPL00000.yaml": workload("x", dev=False),
            "HELMIFYTPLX00001.yaml": config_map("HELMIFYTPLXX00000", dev=False),
        },
    )
    dev = write_tree(
        tmp_path / "dev",
        {
            "HELMIFYTPL00000.yaml": workload("x", dev=False).replace(
                "  annotations:\n", "  annotations:\n    HELMIFYTPL00001: HELMIFYTPL00000\n", 1
            ),
            "HELMIFYTPLX00001.yaml": config_map("HELMIFYTPLXX00000", dev=False),
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out, "--env", f"dev={dev}")
    assert_reproduces(out, src)
    assert_reproduces(out, dev, load_values(out / "values-dev.yaml"))


@pytest.mark.parametrize(
    "text",
    [
        FAIL,
        NAME,
        "{{{ x }}}",
        "{{}}",
        "}}{{",
        "{{- x -}}",
        "{{/* c */}}",
        "a {{",
        '{{ "{{" }}',
        "{",
        "}}",
    ],
)
@pytest.mark.parametrize("style", ["plain", "'", '"', "|", ">"])
def test_the_one_escape_prints_itself_in_every_scalar_style(tmp_path: Path, text: str, style: str) -> None:
    """Helm reads the template as text before YAML, so the escape must hold in any scalar style."""
    value = f"x {text}" if style == "plain" else text
    node = kyaml.represent({"data": {"k": value}})
    node.value[0][1].value[0][1].style = None if style == "plain" else style
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n" + kyaml.serialize(node)
    chart = write_tree(
        tmp_path / "c",
        {
            "Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
            "templates/c.yaml": templating.escape(doc),
            "templates/NOTES.txt": templating.one_line(text) + "\n",
        },
    )
    texts = render.render_chart(chart)
    (obj,) = kyaml.load_all(texts["c/templates/c.yaml"])
    assert obj["data"]["k"] == value
    assert notes_of(texts) == text + "\n"


def test_kept_trailing_blank_lines_survive_an_action_after_them(tmp_path: Path) -> None:
    """Helm's ``{{-`` trims all whitespace before it: the blank lines a ``|+`` scalar keeps must not
    sit right before an action line (here an annotation only dev has, then an item switch)."""

    def cm(dev: bool) -> str:
        extra = "    b: c\n" if dev else ""
        items = "\n    - name: a\n      v: |+\n        x\n\n\n" + ("" if dev else "    - name: z\n")
        return (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  annotations:\n    a: |+\n      x\n\n\n"
            f"{extra}data:\n  k: v\n---\napiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: t\n"
            f"spec:\n  items:{items}"
        )

    src = write_tree(tmp_path / "src", {"cm.yaml": cm(False)})
    dev = write_tree(tmp_path / "dev", {"cm.yaml": cm(True)})
    out = tmp_path / "chart"
    convert_ok(src, out, "--env", f"dev={dev}")
    assert_reproduces(out, src)
    assert_reproduces(out, dev, load_values(out / "values-dev.yaml"))


# --------------------------------------------------------------------------- NOTES.txt


def notes_titles(notes: str) -> set[str]:
    out = set()
    for line in notes.splitlines():
        m = re.match(r"^  - [^:]+: (.*)$", line)
        if m:
            out.update(m.group(1).split(", "))
    return out


def rendered_titles(texts: dict[str, str]) -> set[str]:
    return {render.title(ident) for ident in render.rendered_objects(texts)}


@pytest.fixture(scope="module")
def flts_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("notes") / "flts"
    result = run(
        "convert",
        FIXTURES / ".kubernetes",
        out,
        "--rules",
        "rules/flts.yaml",
        "--env",
        f"dev={FIXTURES / 'environments' / 'dev'}",
        "--env",
        f"prod={FIXTURES / 'environments' / 'prod'}",
    )
    assert result.exit_code == 0, result.stderr
    return out


@pytest.mark.parametrize("values", ["values.yaml", "values-dev.yaml", "values-prod.yaml", "existing-secret"])
def test_notes_list_exactly_what_renders(flts_chart: Path, values: str) -> None:
    """The FLTS HPA and PDB are not in dev, the NetworkPolicy only in prod, and a Secret the user
    brings is not rendered: NOTES.txt lists each resource only where it renders."""
    given = {"minio": {"existingSecret": "mine"}} if values == "existing-secret" else load_values(flts_chart / values)
    texts = render.render_chart(flts_chart, given)
    assert notes_titles(notes_of(texts)) == rendered_titles(texts)


def test_notes_follow_switches_of_components_with_no_resource_everywhere(tmp_path: Path) -> None:
    """A component whose first resource is a Secret users may bring themselves (named with a
    payload), and a component that only prod has."""
    deploy = workload("x", dev=False).replace('namespace: "nsx"\n  ', "")
    secret = (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {q(SECRET)}\n  labels: {{app: app}}\nstringData: {{k: v}}\n"
    )
    alone = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alone\ndata: {k: v}\n"
    src = write_tree(tmp_path / "src", {"a.yaml": secret, "app.yaml": deploy})
    prod = write_tree(tmp_path / "prod", {"a.yaml": secret, "app.yaml": deploy, "z.yaml": alone})
    out = tmp_path / "chart"
    convert_ok(src, out, "--env", f"prod={prod}")
    cases = {
        "base": ({}, {f"Secret/{SECRET}", "Deployment/app"}),
        "prod": (load_values(out / "values-prod.yaml"), {f"Secret/{SECRET}", "Deployment/app", "ConfigMap/alone"}),
        "own secret": ({"app": {"existingSecret": "mine"}}, {"Deployment/app"}),
        "app off": ({"app": {"enabled": False}}, set()),
    }
    for case, (values, expected) in cases.items():
        texts = render.render_chart(out, values)
        assert notes_titles(notes_of(texts)) == rendered_titles(texts) == expected, case
    assert f"  - app: Secret/{SECRET}, Deployment/app\n" in notes_of(render.render_chart(out))
    assert "  - app: Deployment/app\n" in notes_of(render.render_chart(out, {"app": {"existingSecret": "mine"}}))
