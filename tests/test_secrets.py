"""existingSecret: the chart's Secret by default, the user's own Secret when named."""

from __future__ import annotations

from pathlib import Path

from conftest import assert_reproduces, run, write_tree

from helmify_flts import kyaml, render

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
  labels: {app: db}
type: Opaque
stringData:
  password: s3cr3t-value
"""
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
  labels: {app: db}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - name: db
          image: postgres:16
          env:
            - name: POSTGRES_PASSWORD
              valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
          envFrom:
            - secretRef: {name: db-credentials}
      volumes:
        - name: creds
          secret: {secretName: db-credentials}
        - name: other
          secret: {secretName: not-in-this-folder}
"""


def test_existing_secret_switch(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"secret.yaml": SECRET, "db.yaml": DEPLOY})
    out = tmp_path / "chart"
    assert run("convert", src, out).exit_code == 0
    assert_reproduces(out, src)
    values = kyaml.load_all((out / "values.yaml").read_text())[0]
    assert values["db"]["existingSecret"] == ""

    objects = render.rendered_objects(render.render_chart(out, {"db": {"existingSecret": "vault-db"}}))
    assert ("", "Secret", "", "db-credentials") not in objects
    deploy = objects[("apps", "Deployment", "", "db")][1]
    spec = deploy["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "vault-db"
    assert container["envFrom"][0]["secretRef"]["name"] == "vault-db"
    assert [v["secret"]["secretName"] for v in spec["volumes"]] == ["vault-db", "not-in-this-folder"]


def test_secret_values_never_reach_the_report(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"secret.yaml": SECRET, "db.yaml": DEPLOY})
    out = tmp_path / "chart"
    assert run("convert", src, out).exit_code == 0
    for name in ("helmify-report.md", "helmify-report.json"):
        assert "s3cr3t-value" not in (out / name).read_text()


# ----------------------------------------------------------------------------- convert --diff

DIFF_SRC = """apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
stringData:
  DB_PASSWORD: {password}
  config.json: '{{"token": "{token}"}}'
data:
  blob: {blob}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {{app: api}}
  template:
    metadata:
      labels: {{app: api}}
    spec:
      containers:
        - name: api
          image: example/api:1.0
          env:
            - name: API_TOKEN
              value: {api_token}
            - name: MODE
              value: {mode}
"""
OLD = {
    "password": "s3cretvalue9",
    "token": "abcdefgh12345678",
    "blob": "c3VwZXJzZWNyZXRibG9i",
    "api_token": "tok-zz99887766",
}
NEW = {
    "password": "n3wsecretvalue",
    "token": "zyxwvuts87654321",
    "blob": "bmV3c3VwZXJzZWNyZXQ=",
    "api_token": "tok-new1234567",
}


def _diff_case(tmp_path: Path, mode: str = "fast") -> tuple[Path, Path]:
    src = write_tree(tmp_path / "src", {"app.yaml": DIFF_SRC.format(**OLD, mode="fast")})
    assert run("convert", "-q", src, tmp_path / "out").exit_code == 0
    (src / "app.yaml").write_text(DIFF_SRC.format(**NEW, mode=mode))
    return src, tmp_path / "out"


def test_diff_hides_old_and_new_secret_values_and_still_shows_which_changed(tmp_path: Path) -> None:
    src, out = _diff_case(tmp_path, mode="slow")
    done = run("convert", src, out, "--diff")
    assert done.exit_code == 1
    shown = done.stdout + done.stderr
    for value in [*OLD.values(), *NEW.values(), "c3VwZXJzZWNyZXRibG9i", "supersecretblob"]:
        assert value not in shown, value
    changed = [line for line in done.stdout.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    for key in ("DB_PASSWORD", "config.json", "blob", "API_TOKEN"):
        minus = [line for line in changed if line.startswith("-") and key in line]
        plus = [line for line in changed if line.startswith("+") and key in line]
        assert minus and plus and "<redacted:" in minus[0] and minus[0][1:] != plus[0][1:], key
    assert any(line == "-    MODE: fast" for line in changed) and any(line == "+    MODE: slow" for line in changed)


def test_diff_shows_no_line_for_a_secret_that_did_not_change(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.yaml": DIFF_SRC.format(**OLD, mode="fast")})
    assert run("convert", "-q", src, tmp_path / "out").exit_code == 0
    (src / "app.yaml").write_text(DIFF_SRC.format(**OLD, mode="slow"))
    done = run("convert", src, tmp_path / "out", "--diff")
    changed = [line for line in done.stdout.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert done.exit_code == 1 and not any("redacted" in line for line in changed if "helmify-report" not in line)


def test_diff_shows_secrets_only_when_asked(tmp_path: Path) -> None:
    src, out = _diff_case(tmp_path)
    done = run("convert", src, out, "--diff", "--show-secrets")
    assert done.exit_code == 1
    assert all(value in done.stdout for value in (*OLD.values(), *NEW.values()))


def test_review_text_hides_a_secrets_block_values_and_keeps_every_line() -> None:
    from helmify_flts import redact

    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  mode: fast\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\nstringData:\n  server.pem: |\n"
        "    -----BEGIN CERTIFICATE-----\n    MIIBszCCAVmgAwIBAgIU\n  user: admin\n"
        "{{- if .Values.x }}\n  extra: {{ .Values.x | quote }}\n{{- end }}\n"
    )
    shown = redact.for_review(text, b"key")
    lines, seen = text.split("\n"), shown.split("\n")
    assert len(seen) == len(lines)
    assert "  mode: fast" in seen and "name: plain" in shown and "  name: tls" in seen  # not a Secret's data
    assert "MIIBszCCAVmgAwIBAgIU" not in shown and "BEGIN CERTIFICATE" not in shown and "admin" not in shown
    assert "{{- if .Values.x }}" in seen  # template actions stay
    assert redact.for_review(text, b"key") == shown and redact.for_review(text, b"other") != shown
