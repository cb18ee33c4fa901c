"""A KEDA TriggerAuthentication follows its Secret's existingSecret switch; messages show values
keys with a dot inside a segment escaped, as the review report does."""

from __future__ import annotations

from pathlib import Path

from conftest import assert_reproduces, convert_ok, render_objects, write_tree

from helmify_flts import kyaml

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: rabbit-conn
  labels: {app: worker}
type: Opaque
stringData:
  host: amqp://guest:guest@rabbit:5672/
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: rabbit-settings
  labels: {app: worker}
data:
  queue: jobs
"""
WORKER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  labels: {app: worker}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - name: worker
          image: worker:1.0
"""
AUTH = """\
apiVersion: keda.sh/v1alpha1
kind: {kind}
metadata:
  name: rabbit-auth
spec:
  secretTargetRef:
    - parameter: host
      name: rabbit-conn
      key: host
    - parameter: password
      name: not-in-this-folder
      key: password
  configMapTargetRef:
    - parameter: queueName
      name: rabbit-settings
      key: queue
"""
SCALER = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
spec:
  scaleTargetRef: {{name: worker}}
  triggers:
    - type: rabbitmq
      metadata: {{queueName: jobs}}
      authenticationRef: {{name: rabbit-auth, kind: {kind}}}
"""


def _keda_folder(root: Path, kind: str) -> Path:
    return write_tree(
        root,
        {
            "secret.yaml": SECRET,
            "configmap.yaml": CONFIGMAP,
            "worker.yaml": WORKER,
            "auth.yaml": AUTH.format(kind=kind),
            "scaler.yaml": SCALER.format(kind=kind),
        },
    )


def _switch_of(chart: Path) -> str:
    """The values key of the one existingSecret switch of ``chart``, as --set writes it."""
    values = kyaml.load_all((chart / "values.yaml").read_text(encoding="utf-8"))[0]
    found = [
        f"{top}.existingSecret" for top, sub in values.items() if isinstance(sub, dict) and "existingSecret" in sub
    ]
    assert len(found) == 1, values
    return found[0]


def _auth_refs(objects: dict, kind: str) -> tuple[list[str], list[str]]:
    auth = next(obj for ident, obj in objects.items() if ident[1] == kind)
    return [r["name"] for r in auth["spec"]["secretTargetRef"]], [r["name"] for r in auth["spec"]["configMapTargetRef"]]


def _check_switch(tmp_path: Path, kind: str, *extra: str) -> None:
    src = _keda_folder(tmp_path / "src", kind)
    out = tmp_path / "chart"
    convert_ok(src, out, *extra)
    assert_reproduces(out, src)
    top, key = _switch_of(out).split(".")

    objects = render_objects(out, values={top: {key: "vault-rabbit"}})
    assert not [ident for ident in objects if ident[1] == "Secret"]  # the chart's own is off
    secrets, configmaps = _auth_refs(objects, kind)
    assert secrets == ["vault-rabbit", "not-in-this-folder"]
    assert configmaps == ["rabbit-settings"]  # a ConfigMap is no Secret: it stays

    objects = render_objects(out, values={top: {key: ""}})
    assert _auth_refs(objects, kind)[0] == ["rabbit-conn", "not-in-this-folder"]


def test_a_trigger_authentication_names_the_users_secret_when_the_switch_is_set(tmp_path: Path) -> None:
    _check_switch(tmp_path, "TriggerAuthentication")


def test_a_cluster_trigger_authentication_names_the_users_secret_when_the_switch_is_set(tmp_path: Path) -> None:
    _check_switch(tmp_path, "ClusterTriggerAuthentication")


def test_the_switch_and_release_names_meet_in_a_trigger_authentication(tmp_path: Path) -> None:
    src = _keda_folder(tmp_path / "src", "TriggerAuthentication")
    out = tmp_path / "chart"
    convert_ok(src, out, "--rules", "conventions")
    top, key = _switch_of(out).split(".")
    # Default values: the chart's Secret, with the release prefix, as the reference names it.
    objects = render_objects(out, release="blue")
    secret = next(ident for ident in objects if ident[1] == "Secret")
    assert _auth_refs(objects, "TriggerAuthentication")[0] == [secret[3], "not-in-this-folder"]
    assert secret[3] != "rabbit-conn"
    objects = render_objects(out, release="blue", values={top: {key: "vault-rabbit"}})
    assert _auth_refs(objects, "TriggerAuthentication")[0] == ["vault-rabbit", "not-in-this-folder"]
