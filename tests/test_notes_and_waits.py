"""NOTES.txt names objects as a release renders them; wait-for sees host names in the Secrets a
workload reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FIXTURES, convert_ok, render_objects, run, write_tree

from helmify_flts import render


def _listed(notes: str) -> list[str]:
    """The ``Kind/namespace/name`` titles of the "Components rendered" lines."""
    section = notes.split("Components rendered:", 1)[1].split("\n\n", 1)[0]
    titles = []
    for line in section.splitlines():
        m = re.match(r"  - [^:]+: (.*)$", line)
        if m:
            titles += m.group(1).split(", ")
    return titles


def _titles(objects: dict) -> set[str]:
    return {f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}" for _, kind, ns, name in objects}


def test_notes_name_objects_as_the_release_renders_them(tmp_path: Path) -> None:
    out = tmp_path / "chart"
    convert_ok(FIXTURES / ".kubernetes", out, "--rules", "conventions", "--chart-name", "flts")
    values = {"namespace": {"create": True}}
    notes = render.render_chart(out, values, "foo", "bar")["flts/templates/NOTES.txt"]
    listed = _listed(notes)
    assert "Service/bar/foo-eda" in listed and "Namespace/bar" in listed
    assert "kubectl port-forward -n bar svc/foo-eda 8501:8501" in notes
    assert len(listed) >= 50
    missing = set(listed) - _titles(render_objects(out, "foo", "bar", values))
    assert not missing, missing
    template = (out / "templates" / "NOTES.txt").read_text(encoding="utf-8")
    # The Namespace is the component's only object: the component's condition says it once.
    assert "  - flts: Namespace/{{ .Release.Namespace }}\n" in template
    assert "$sep" not in template.split("  - flts:", 1)[1].splitlines()[0]


def test_notes_without_refactorings_name_the_sources(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n"
            "spec:\n  ports:\n  - port: 80\n",
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out, "--chart-name", "c")
    notes = render.render_chart(out, None, "foo", "bar")["c/templates/NOTES.txt"]
    assert _listed(notes) == ["Service/shop/web"]


PASSWORD = "s3cr3t-pw-913"
DSN = f"postgresql://u:{PASSWORD}@postgres:5432/db"
POSTGRES = """\
apiVersion: v1
kind: Service
metadata:
  name: postgres
  namespace: shop
spec:
  selector: {app: postgres}
  ports:
  - port: 5432
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: postgres
  namespace: shop
spec:
  selector:
    matchLabels: {app: postgres}
  template:
    metadata:
      labels: {app: postgres}
    spec:
      containers:
      - name: postgres
        image: postgres:16
"""
APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: shop
spec:
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
      - name: app
        image: app:1
"""
SECRET_KEY_REF = """\
        env:
        - name: DATABASE_URL
          valueFrom:
            secretKeyRef: {name: db, key: url}
"""
ENV_FROM = """\
        envFrom:
        - secretRef: {name: db}
"""


def _secret(encoded: bool) -> str:
    import base64

    if encoded:
        return f"  url: {base64.b64encode(DSN.encode()).decode()}\n"
    return f"  url: {DSN!r}\n"


def _waits(out: Path, release: str = "release") -> dict[str, list[str]]:
    objects = render_objects(out, release, "shop")
    app = next(o for (_, kind, _, name), o in objects.items() if kind == "Deployment" and name.endswith("app"))
    return {c["name"]: c["command"][5:] for c in app["spec"]["template"]["spec"].get("initContainers") or []}


def _read_by_people(out: Path, stderr: str) -> str:
    """The report files, the messages, NOTES.txt and the templates' comments."""
    texts = [stderr, (out / "templates" / "NOTES.txt").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in out.glob("helmify-report*")]
    for template in (out / "templates").rglob("*"):
        if template.is_file():
            lines = template.read_text(encoding="utf-8").splitlines()
            texts += [line for line in lines if line.lstrip().startswith("#") or "{{/*" in line or "{{- /*" in line]
    return "\n".join(texts)


@pytest.mark.parametrize("encoded", [False, True], ids=["stringData", "data"])
@pytest.mark.parametrize("reads", [SECRET_KEY_REF, ENV_FROM], ids=["secretKeyRef", "envFrom"])
@pytest.mark.parametrize("packs", [("waits",), ("conventions", "waits")], ids=["wait-for", "conventions"])
def test_wait_for_sees_the_host_of_a_dsn_in_a_secret(tmp_path: Path, encoded: bool, reads: str, packs: tuple) -> None:
    import base64

    kind = "data" if encoded else "stringData"
    src = write_tree(
        tmp_path / "src",
        {
            "postgres.yaml": POSTGRES,
            "app.yaml": APP + reads,
            "secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n{kind}:\n"
            + _secret(encoded),
        },
    )
    waits = write_tree(
        tmp_path,
        {"waits.yaml": "extends: [default]\nrules:\n  - id: waits\n    description: test\n    refactor: wait-for\n"},
    )
    rules = [a for p in packs for a in ("--rules", waits / "waits.yaml" if p == "waits" else p)]
    out = tmp_path / "chart"
    result = run("convert", src, out, "--chart-name", "c", *rules)
    assert result.exit_code == 0, result.stderr
    host = "release-postgres" if "conventions" in packs else "postgres"
    assert _waits(out) == {"wait-for-postgres": [host, "5432"]}
    seen = _read_by_people(out, result.stderr)
    for secret in (PASSWORD, base64.b64encode(DSN.encode()).decode(), "s3cr3t"):
        assert secret not in seen
    assert run("verify", out, src).exit_code == 0


def test_wait_for_reads_only_the_key_a_secret_key_ref_names(tmp_path: Path) -> None:
    """A Secret holding another workload's DSN beside this one's key is no dependency."""
    src = write_tree(
        tmp_path / "src",
        {
            "postgres.yaml": POSTGRES,
            "app.yaml": APP + SECRET_KEY_REF.replace("key: url", "key: user"),
            "secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n"
            f"stringData:\n  user: u\n{_secret(False)}",
        },
    )
    waits = write_tree(
        tmp_path,
        {"waits.yaml": "extends: [default]\nrules:\n  - id: waits\n    description: test\n    refactor: wait-for\n"},
    )
    out = tmp_path / "chart"
    convert_ok(src, out, "--chart-name", "c", "--rules", waits / "waits.yaml")
    assert _waits(out) == {}


def _fake_kustomize(root: Path, version: str, port: int = 80) -> Path:
    """A kustomize on PATH that says it is ``version`` (no Go build info: a script) and builds
    one Service from web.yaml."""
    script = f"""#!/bin/sh
if [ "$1" = version ]; then echo {version}; exit 0; fi
for last; do :; done
# origin paths are relative to the folder built: the wrapper that names the source folder
rel=$(sed -n 's/.*"resources": \\["\\([^"]*\\)".*/\\1/p' "$last/kustomization.yaml")
cat <<DOC
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    config.kubernetes.io/origin: |
      path: $rel/web.yaml
spec:
  ports:
  - port: {port}
DOC
"""
    bin_dir = write_tree(root / f"bin-{version}-{port}", {"kustomize": script})
    (bin_dir / "kustomize").chmod(0o755)
    return bin_dir


def test_check_with_another_kustomize_version_is_up_to_date_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_tree(tmp_path / "src", {"kustomization.yaml": "resources: [web.yaml]\n", "web.yaml": ""})
    out = tmp_path / "chart"
    monkeypatch.setenv("PATH", f"{_fake_kustomize(tmp_path, 'v5.5.0')}:/usr/bin:/bin")
    convert_ok(src, out, "--chart-name", "c")
    assert "(kustomize v5.5.0)" in (out / "helmify-report.md").read_text(encoding="utf-8")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    monkeypatch.setenv("PATH", f"{_fake_kustomize(tmp_path, 'v5.6.0')}:/usr/bin:/bin")
    for flag in ("--check", "--diff"):
        result = run("convert", src, out, "--chart-name", "c", flag)
        assert result.exit_code == 0
        assert result.stdout == ""
        assert "(kustomize v5.5.0)" in result.stderr and "(kustomize v5.6.0)" in result.stderr
        assert "is up to date" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # a check writes nothing
    # convert itself records the kustomize that built the folder now
    convert_ok(src, out, "--chart-name", "c")
    assert "(kustomize v5.6.0)" in (out / "helmify-report.md").read_text(encoding="utf-8")

    # another version and another chart: out of date, as ever
    monkeypatch.setenv("PATH", f"{_fake_kustomize(tmp_path, 'v5.7.0', port=81)}:/usr/bin:/bin")
    result = run("convert", src, out, "--chart-name", "c", "--check")
    assert result.exit_code == 1
    assert "is out of date" in result.stderr and "v5.6.0" not in result.stderr


def test_how_to_reach_names_the_namespace_each_service_renders_in(tmp_path: Path) -> None:
    """Without release-namespace, a Service that names its namespace renders there, not in the
    release's; one that names none renders in the release's."""
    src = write_tree(
        tmp_path / "src",
        {
            "web.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n"
            "spec:\n  ports:\n  - port: 80\n",
            "api.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n  - port: 81\n",
        },
    )
    rules = write_tree(
        tmp_path,
        {"notes.yaml": "extends: [default]\nrules:\n  - id: notes\n    description: test\n    refactor: notes\n"},
    )
    out = tmp_path / "chart"
    convert_ok(src, out, "--chart-name", "c", "--rules", rules / "notes.yaml")
    notes = render.render_chart(out, None, "foo", "other")["c/templates/NOTES.txt"]
    assert "kubectl port-forward -n shop svc/web 80:80" in notes
    assert "kubectl port-forward -n other svc/api 81:81" in notes


def test_a_chart_file_that_changed_is_a_change_even_where_it_holds_the_tool_line() -> None:
    """Only the report files may differ in the kustomize line: a template holding the same text
    (a manifest can hold any string) that changed is out of date."""
    from helmify_flts import builtwith, emit

    old_line, new_line = "kubectl kustomize (kustomize v5.5.0)", "kubectl kustomize (kustomize v5.6.0)"
    report = '{"builtWith": {"base": "%s"}}\n'
    current = {"helmify-report.json": report % old_line, "templates/cm.yaml": f"data: {{x: {old_line}}}\n"}
    files = {"helmify-report.json": report % new_line, "templates/cm.yaml": f"data: {{x: {new_line}}}\n"}
    reports_only = emit.Plan(update=("helmify-report.json",), current=current)
    assert builtwith.only_tool_changed(reports_only, files) == {"base": (old_line, new_line)}
    with_template = emit.Plan(update=("helmify-report.json", "templates/cm.yaml"), current=current)
    assert builtwith.only_tool_changed(with_template, files) == {}


def test_a_joined_list_prints_each_text_whose_condition_holds_once_separated(tmp_path: Path) -> None:
    """Whatever mix of conditions, the line Helm prints is the holding texts joined by ", "."""
    import itertools

    from helmify_flts import templating

    shapes = [
        ("a", "b", None, "c"),  # conditional ones before the first that always prints
        (None, "a", None, "b"),
        ("a", "b", "c"),  # none always prints
        (None,),
        ("a",),
    ]
    for n, shape in enumerate(shapes):
        items = [(f"Kind/ns/obj-{i}", None if key is None else f".Values.{key}") for i, key in enumerate(shape)]
        chart = write_tree(
            tmp_path / f"c{n}",
            {
                "Chart.yaml": f"apiVersion: v2\nname: c{n}\nversion: 0.1.0\n",
                "templates/NOTES.txt": "[" + templating.joined(items) + "]\n",
            },
        )
        # a variable is needed only where no text always prints
        assert ("$sep" in templating.joined(items)) == (None not in shape)
        keys = sorted({key for key in shape if key is not None})
        for switches in itertools.product([False, True], repeat=len(keys)):
            values = dict(zip(keys, switches, strict=True))
            printed = render.render_chart(chart, values)[f"c{n}/templates/NOTES.txt"]
            held = [text for (text, _), key in zip(items, shape, strict=True) if key is None or values[key]]
            assert printed == "[" + ", ".join(held) + "]\n", (shape, values)
