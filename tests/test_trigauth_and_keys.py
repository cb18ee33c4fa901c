"""A KEDA TriggerAuthentication follows its Secret's existingSecret switch; messages show values
keys with a dot inside a segment escaped, as the review report does."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from conftest import assert_reproduces, convert_ok, render_objects, run, write_tree

from helmify_flts import chart, kyaml, refactorings, report
from helmify_flts.refactorings.base import TemplateChanges

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


# ---------------------------------------------------------------- values keys in messages

DOTTED_ENV = "app.mode"  # an env var name may hold dots; its values key segment then does too
SHOWN = "app\\.mode"  # as --set and the review report write that segment


def _web(name: str, value: str, env_name: str = DOTTED_ENV) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, labels: {{app: {name}}}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: {name}
        image: nginx:1.25
        env:
        - name: {env_name}
          value: {value}
"""


def test_a_value_helm_cannot_carry_names_its_key_unambiguously(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"base/web.yaml": _web("web", "plain"), "prod/web.yaml": _web("web", '"a\\x01b"')})
    result = run("convert", root / "base", tmp_path / "chart", "--env", f"prod={root / 'prod'}")
    assert result.exit_code == 2
    assert f"the value for web.env.{SHOWN} cannot pass through Helm" in result.stderr


SHARED_RULE = """\
description: One key for an env var of every workload.
extends: [default]
rules:
  - id: shared-env
    description: The same env var of every workload, from one key.
    path: "{containers}[].env[name={env}].value"
    key: "shared.{env}"
"""


def test_a_shared_key_an_environment_splits_is_named_unambiguously(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "rules.yaml": SHARED_RULE,
            "base/web.yaml": _web("web", "one"),
            "base/api.yaml": _web("api", "one"),
            "prod/web.yaml": _web("web", "two"),
            "prod/api.yaml": _web("api", "three"),
        },
    )
    args = ("--rules", root / "rules.yaml", "--env", f"prod={root / 'prod'}")
    result = run("convert", root / "base", tmp_path / "chart", *args)
    assert result.exit_code == 2
    assert f"values key shared.{SHOWN} is shared by several fields" in result.stderr


def test_a_switch_that_misses_references_names_their_values_keys_unambiguously(tmp_path: Path) -> None:
    """A generated Secret's hash differs per environment, so each reference to it is read whole
    from values, where the switch does not rename it: the warning names those values keys."""
    worker = _web("worker", "x").replace("value: x", "valueFrom: {secretKeyRef: {name: worker-secrets, key: QUEUE}}")
    files = {
        "base/kustomization.yaml": (
            "resources: [worker.yaml]\nsecretGenerator:\n  - name: worker-secrets\n    literals: [QUEUE=base]\n"
        ),
        "base/worker.yaml": worker,
        "prod/kustomization.yaml": (
            "resources: [../base]\nsecretGenerator:\n"
            "  - name: worker-secrets\n    behavior: merge\n    literals: [QUEUE=prod]\n"
        ),
    }
    root = write_tree(tmp_path, files)
    result = run("convert", root / "base", tmp_path / "chart", "--env", f"prod={root / 'prod'}")
    assert result.exit_code == 0, result.stderr
    warning = next(line for line in result.stderr.splitlines() if "does not rename it" in line)
    assert f"(worker.envValueFrom.{SHOWN}.secretKeyRef.name)" in warning


def _fit(tmp_path: Path, manifests: dict[str, str], team: str) -> tuple[Any, Path, dict]:
    src = write_tree(tmp_path / "src", manifests)
    team_file = write_tree(tmp_path, {"team-values.yaml": team}) / "team-values.yaml"
    out = tmp_path / "out"
    result = run("convert", src, out, "--values-layout", team_file)
    assert result.exit_code == 0, result.stderr
    return result, out, json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))["valuesLayout"]


def test_a_team_key_with_a_dot_is_shown_unambiguously_in_the_layout_table(tmp_path: Path) -> None:
    _, out, layout = _fit(tmp_path, {"web.yaml": _web("web-api", "x")}, '"web.api":\n  enabled: true\n')
    assert [r["key"] for r in layout["rows"]] == ["web\\.api.enabled"]
    assert "| `web\\.api.enabled` |" in (out / "helmify-report.md").read_text(encoding="utf-8")


def test_keys_the_chart_adds_to_a_team_layout_are_shown_unambiguously(tmp_path: Path) -> None:
    _, out, layout = _fit(tmp_path, {"web.yaml": _web("web", "x")}, "web:\n  env:\n    OTHER: y\n")
    assert f"web.env.{SHOWN}" in layout["added"]
    assert f"- `web.env.{SHOWN}`" in (out / "helmify-report.md").read_text(encoding="utf-8")


ITEM_RULE = """\
description: Each env var of the main container as a whole item.
extends: [default]
rules:
  - id: env-item
    description: An env var's whole item.
    path: "{podSpec}.containers[0].env[name={env}]"
    key: "{base}.envItem.{env}"
"""


def test_a_team_value_the_chart_replaces_is_named_unambiguously(tmp_path: Path) -> None:
    rules = write_tree(tmp_path, {"rules.yaml": ITEM_RULE}) / "rules.yaml"
    src = write_tree(tmp_path / "src", {"web.yaml": _web("web", "x")})
    team = write_tree(tmp_path, {"team.yaml": f'web:\n  envItem:\n    "{DOTTED_ENV}": see the wiki\n'}) / "team.yaml"
    args = ("--rules", rules, "--values-layout", team, "--write-rules", tmp_path / "fit.yaml")
    result = run("convert", src, tmp_path / "out", *args)
    assert result.exit_code == 0, result.stderr
    assert f"team values: web.envItem.{SHOWN}: the team's value" in result.stderr


def test_verify_names_an_unread_key_unambiguously(tmp_path: Path) -> None:
    # A chart fitted to a team's layout takes keys it does not know (its schema stays open).
    _, out, _ = _fit(tmp_path, {"web.yaml": _web("web", "x")}, "web:\n  replicas: 1\n")
    src = tmp_path / "src"
    typo = write_tree(tmp_path, {"prod.yaml": f'web:\n  env:\n    "{DOTTED_ENV}s": y\n'}) / "prod.yaml"
    result = run("verify", out, src, "--values", typo)
    assert f"web.env.{SHOWN}s is read by no template (did you mean web.env.{SHOWN}?)" in result.stderr


def test_the_report_lists_a_value_a_refactoring_adds_unambiguously() -> None:
    result = SimpleNamespace(proof_release="r", proof_namespace="n", added_values=((("a", "b.c"), "doc"),))
    assert report._declared_top(result, None)["addedValues"] == [{"key": "a.b\\.c", "comment": "doc"}]


def test_what_a_switch_adds_says_which_key_turns_it_on_unambiguously() -> None:
    out = TemplateChanges(files={"templates/extra.yaml": "kind: NetworkPolicy\n"})
    switched = refactorings._switched_files(
        SimpleNamespace(id="extra"), out, set(), [(("net.io", "enabled"), False, "doc")]
    )
    assert [s.why for s in switched] == ["net\\.io.enabled is on"]


def test_a_key_two_fields_fill_differently_is_named_unambiguously(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path, {"rules.yaml": SHARED_RULE, "src/web.yaml": _web("web", "one"), "src/api.yaml": _web("api", "two")}
    )
    result = run("convert", root / "src", tmp_path / "chart", "--rules", root / "rules.yaml")
    assert result.exit_code == 2
    assert f"values key shared.{SHOWN} already holds a different value" in result.stderr


TWO_SWITCHES = """\
description: Switches named after the objects they replace.
extends: [default]
rules:
  - id: own-secret
    description: A Secret of yours.
    match: {kinds: [Secret]}
    existing: {key: "mine.{name}", references: ["{podSpec}.volumes[].secret.secretName"]}
  - id: own-config
    description: A ConfigMap of yours.
    match: {kinds: [ConfigMap]}
    existing: {key: "mine.{name}.configMap", references: ["{podSpec}.volumes[].configMap.name"]}
"""


def test_a_switch_that_clashes_with_another_names_the_key_unambiguously(tmp_path: Path) -> None:
    both = "apiVersion: v1\nkind: {kind}\nmetadata: {{name: db.conf}}\ndata: {{a: Yg==}}\n"
    root = write_tree(
        tmp_path,
        {
            "rules.yaml": TWO_SWITCHES,
            "src/secret.yaml": both.format(kind="Secret"),
            "src/config.yaml": both.format(kind="ConfigMap"),
        },
    )
    result = run("convert", root / "src", tmp_path / "chart", "--rules", root / "rules.yaml")
    assert result.exit_code == 2
    assert "the switch for Secret/db.conf clashes with the values key mine.db\\.conf " in result.stderr


def test_a_lifted_key_a_refactoring_leaves_unread_is_named_unambiguously() -> None:
    lift = SimpleNamespace(
        key=("web", "env", DOTTED_ENV), rule="mine", field="env", resource=SimpleNamespace(kind="K", name="n")
    )
    conv = SimpleNamespace(templates={}, lifts=[lift])
    ruleset = SimpleNamespace(field_rules=[SimpleNamespace(id="mine", where=None)])
    (notice,) = chart._unread_lifts(conv, ruleset)
    assert f"into web.env.{SHOWN}, but a refactoring replaces that field" in notice.message
