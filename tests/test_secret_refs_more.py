"""The existingSecret switch reaches every field that names a Secret: a ServiceAccount's
``secrets``, ephemeral containers' env, a KEDA ScaledJob's job template. Default values still
render the manifests exactly; the switch set, each such field names the user's Secret and the
chart's Secret is not rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import assert_reproduces, convert_ok, render_objects, write_tree

from helmify_flts import kyaml
from helmify_flts.references import find_references

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: app-creds
  labels: {app: app}
type: Opaque
stringData:
  password: hunter2
"""
MINE = "vault-app-creds"  # the Secret the user manages
ELSEWHERE = "not-in-this-folder"  # a Secret the folder does not have: never renamed


def _switch_of(chart: Path) -> tuple[str, str]:
    """The values key of the chart's one existingSecret switch, as (top, key)."""
    values = kyaml.load_all((chart / "values.yaml").read_text(encoding="utf-8"))[0]
    found = [
        (top, "existingSecret") for top, sub in values.items() if isinstance(sub, dict) and "existingSecret" in sub
    ]
    assert len(found) == 1, values
    return found[0]


def _converted(tmp_path: Path, manifest: str) -> tuple[Path, dict[str, Any]]:
    """Convert a folder of the Secret and ``manifest``, prove that default values render it
    exactly, and return the chart and the objects it renders with the switch set."""
    src = write_tree(tmp_path / "src", {"secret.yaml": SECRET, "app.yaml": manifest})
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert_reproduces(out, src)
    top, key = _switch_of(out)
    objects = render_objects(out, values={top: {key: MINE}})
    assert not [ident for ident in objects if ident[1] == "Secret"]  # the chart's own is off
    return out, objects


def _one(objects: dict, kind: str) -> dict:
    found = [obj for ident, obj in objects.items() if ident[1] == kind]
    assert len(found) == 1, list(objects)
    return found[0]


def _secret_fields(kind: str, manifest: str) -> set[tuple]:
    """The paths at which references.py finds the folder's Secret named in ``manifest``."""
    obj = kyaml.load_all(manifest)[0]
    secret = kyaml.load_all(SECRET)[0]
    group = obj["apiVersion"].rpartition("/")[0]
    objects = {(group, kind, "", obj["metadata"]["name"]): obj, ("", "Secret", "", "app-creds"): secret}
    return {
        ref.path for ref in find_references(objects) if ref.target_kind == "Secret" and ref.target_name == "app-creds"
    }


# ------------------------------------------------------------------------- a ServiceAccount

SERVICE_ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  labels: {app: app}
secrets:
  - name: app-creds
  - name: not-in-this-folder
imagePullSecrets:
  - name: app-creds
"""


def test_a_service_accounts_secrets_name_the_users_secret_when_the_switch_is_set(tmp_path: Path) -> None:
    _, objects = _converted(tmp_path, SERVICE_ACCOUNT)
    account = _one(objects, "ServiceAccount")
    assert [s["name"] for s in account["secrets"]] == [MINE, ELSEWHERE]
    assert [s["name"] for s in account["imagePullSecrets"]] == [MINE]
    # references.py reads both lists as naming the Secret too
    assert _secret_fields("ServiceAccount", SERVICE_ACCOUNT) == {
        ("secrets", 0, "name"),
        ("imagePullSecrets", 0, "name"),
    }


# ------------------------------------------------------------------------- ephemeral containers

DEBUGGED_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: app
  labels: {app: app}
spec:
  containers:
    - name: app
      image: nginx:1.25
  ephemeralContainers:
    - name: debugger
      image: busybox:1.36
      env:
        - name: PASSWORD
          valueFrom: {secretKeyRef: {name: app-creds, key: password}}
        - name: OTHER
          valueFrom: {secretKeyRef: {name: not-in-this-folder, key: password}}
      envFrom:
        - secretRef: {name: app-creds}
"""


def test_ephemeral_containers_name_the_users_secret_when_the_switch_is_set(tmp_path: Path) -> None:
    _, objects = _converted(tmp_path, DEBUGGED_POD)
    debugger = _one(objects, "Pod")["spec"]["ephemeralContainers"][0]
    assert [e["valueFrom"]["secretKeyRef"]["name"] for e in debugger["env"]] == [MINE, ELSEWHERE]
    assert debugger["envFrom"][0]["secretRef"]["name"] == MINE
    at = ("spec", "ephemeralContainers", 0)
    assert _secret_fields("Pod", DEBUGGED_POD) == {
        at + ("env", 0, "valueFrom", "secretKeyRef", "name"),
        at + ("envFrom", 0, "secretRef", "name"),
    }


# ------------------------------------------------------------------------- a KEDA ScaledJob

SCALED_JOB = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata:
  name: app
  labels: {app: app}
spec:
  jobTargetRef:
    template:
      spec:
        restartPolicy: Never
        imagePullSecrets:
          - name: app-creds
        initContainers:
          - name: wait
            image: busybox:1.36
            env:
              - name: PASSWORD
                valueFrom: {secretKeyRef: {name: app-creds, key: password}}
        containers:
          - name: job
            image: busybox:1.36
            env:
              - name: PASSWORD
                valueFrom: {secretKeyRef: {name: app-creds, key: password}}
              - name: OTHER
                valueFrom: {secretKeyRef: {name: not-in-this-folder, key: password}}
            envFrom:
              - secretRef: {name: app-creds}
        volumes:
          - name: creds
            secret: {secretName: app-creds}
          - name: bundle
            projected:
              sources:
                - secret: {name: app-creds}
                - secret: {name: not-in-this-folder}
  triggers:
    - type: cron
      metadata: {timezone: UTC, start: "0 * * * *", end: "5 * * * *", desiredReplicas: "1"}
"""


def test_a_scaled_jobs_job_template_names_the_users_secret_when_the_switch_is_set(tmp_path: Path) -> None:
    out, objects = _converted(tmp_path, SCALED_JOB)
    pod = _one(objects, "ScaledJob")["spec"]["jobTargetRef"]["template"]["spec"]
    assert [s["name"] for s in pod["imagePullSecrets"]] == [MINE]
    assert pod["initContainers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["name"] == MINE
    job = pod["containers"][0]
    assert [e["valueFrom"]["secretKeyRef"]["name"] for e in job["env"]] == [MINE, ELSEWHERE]
    assert job["envFrom"][0]["secretRef"]["name"] == MINE
    assert pod["volumes"][0]["secret"]["secretName"] == MINE
    assert [s["secret"]["name"] for s in pod["volumes"][1]["projected"]["sources"]] == [MINE, ELSEWHERE]
    pod_at = ("spec", "jobTargetRef", "template", "spec")
    assert _secret_fields("ScaledJob", SCALED_JOB) == {  # references.py knows the same six fields
        pod_at + ("imagePullSecrets", 0, "name"),
        pod_at + ("initContainers", 0, "env", 0, "valueFrom", "secretKeyRef", "name"),
        pod_at + ("containers", 0, "env", 0, "valueFrom", "secretKeyRef", "name"),
        pod_at + ("containers", 0, "envFrom", 0, "secretRef", "name"),
        pod_at + ("volumes", 0, "secret", "secretName"),
        pod_at + ("volumes", 1, "projected", "sources", 0, "secret", "name"),
    }
    # Emptied again, the switch gives back the chart's Secret and the names that follow it.
    top, key = _switch_of(out)
    objects = render_objects(out, values={top: {key: ""}})
    pod = _one(objects, "ScaledJob")["spec"]["jobTargetRef"]["template"]["spec"]
    assert pod["volumes"][0]["secret"]["secretName"] == "app-creds"
    assert [ident[3] for ident in objects if ident[1] == "Secret"] == ["app-creds"]


def test_the_switch_and_release_names_meet_in_a_scaled_job(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"secret.yaml": SECRET, "app.yaml": SCALED_JOB})
    out = tmp_path / "chart"
    convert_ok(src, out, "--rules", "conventions")
    top, key = _switch_of(out)
    # Default values: the job template names the chart's Secret with the release prefix.
    objects = render_objects(out, release="blue")
    secret = next(ident[3] for ident in objects if ident[1] == "Secret")
    assert secret != "app-creds"
    pod = _one(objects, "ScaledJob")["spec"]["jobTargetRef"]["template"]["spec"]
    assert pod["volumes"][0]["secret"]["secretName"] == secret
    assert pod["containers"][0]["envFrom"][0]["secretRef"]["name"] == secret
    # The switch set: the user's Secret, without the prefix.
    objects = render_objects(out, release="blue", values={top: {key: MINE}})
    pod = _one(objects, "ScaledJob")["spec"]["jobTargetRef"]["template"]["spec"]
    assert pod["volumes"][0]["secret"]["secretName"] == MINE
    assert pod["containers"][0]["envFrom"][0]["secretRef"]["name"] == MINE
    assert [s["name"] for s in pod["imagePullSecrets"]] == [MINE]


# ------------------------------------------------------------------------- a Role's resourceNames

ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: app
  labels: {app: app}
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [get]
    resourceNames: [app-creds, not-in-this-folder]
  - apiGroups: [""]
    resources: [configmaps, secrets]
    verbs: [get, watch]
    resourceNames: [app-creds]
  - apiGroups: [""]
    resources: [configmaps]  # a ConfigMap that happens to share the Secret's name stays
    verbs: [get]
    resourceNames: [app-creds]
"""


def test_a_roles_grant_on_the_secret_names_the_users_secret_when_the_switch_is_set(tmp_path: Path) -> None:
    """With the switch set the app reads the user's Secret, and its Role still granted it the
    chart's only: reading the user's was forbidden."""
    _, objects = _converted(tmp_path, ROLE)
    rules = _one(objects, "Role")["rules"]
    assert [rule["resourceNames"] for rule in rules] == [[MINE, ELSEWHERE], [MINE], ["app-creds"]]
