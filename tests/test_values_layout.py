"""convert --values-layout: the chart reads the keys of a values file the team already has."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, assert_reproduces, run, write_tree

from helmify_flts import kyaml, layout, render

TEAM = FIXTURES / "values-layout"
SRC = FIXTURES / ".kubernetes"


@pytest.fixture(scope="module")
def flts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """The FLTS fixtures converted with the team's values.yaml; the rule file written beside."""
    base = tmp_path_factory.mktemp("flts")
    out, rules = base / "chart", base / "team.rules.yaml"
    result = run(
        "convert", SRC, out, "--chart-name", "flts", "--values-layout", TEAM / "values.yaml", "--write-rules", rules
    )
    assert result.exit_code == 0
    report = json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))["valuesLayout"]
    return out, rules, {row["key"]: row for row in report["rows"]}


def test_flts_team_keys_are_wired_and_the_proof_holds(flts: tuple[Path, Path, dict]) -> None:
    out, _, rows = flts
    assert_reproduces(out, SRC)
    assert rows["train.gru.image"]["status"] == "wired"
    assert "train-gru" in rows["train.gru.image"]["fields"][0]
    assert ".Values.train.gru.image" in (out / "templates" / "train-gru.yaml").read_text(encoding="utf-8")
    assert rows["inference.replicas"]["fields"] == ["Deployment/flts/inference spec.replicas"]
    assert rows["postgres.persistence.size"]["status"] == "wired"
    assert rows["kafka.config.numPartitions"]["fields"][0].endswith("env[KAFKA_CFG_NUM_PARTITIONS].value")
    # Names across case styles, and a component whose resource is named differently.
    assert rows["preprocess.env.resampleFreq"]["fields"][0].endswith("env[RESAMPLE_FREQ].value")
    assert rows["fastapi.service.port"]["fields"] == ["Service/flts/fastapi-app spec.ports[http].port"]
    assert rows["inferenceLb.service.statsPort"]["fields"] == ["Service/flts/inference-lb spec.ports[stats].port"]
    # A list against a space-joined env value, plain text against a Secret's base64 data.
    assert rows["minio.init.buckets"]["fields"][0].endswith("env[BUCKETS].value")
    assert rows["postgres.auth.password"]["fields"][0].endswith("data.password")
    assert rows["minio.auth.rootPassword"]["team"] == "<redacted>"
    # One key, one field; the same value elsewhere is said, not wired silently.
    assert "also at Ingress/flts/flts-ingress spec.rules[0].host" in rows["ingress.hosts.mlflow"]["note"]
    # The team's existingSecret is the Secret's switch.
    assert rows["minio.auth.existingSecret"]["fields"] == ["Secret/flts/minio-credentials"]
    minio = (out / "templates" / "minio.yaml").read_text(encoding="utf-8")
    assert '{{ .Values.minio.auth.existingSecret | default "minio-credentials" | toJson }}' in minio


def test_flts_conflict_keeps_the_manifest_value_and_shows_the_team_one(flts: tuple[Path, Path, dict]) -> None:
    out, _, rows = flts
    row = rows["postgres.image"]
    assert row["status"] == "conflict"
    assert row["team"] == {"repository": "postgres", "tag": "13"}
    assert row["chart"]["tag"] == "16-alpine"
    values = kyaml.load_all((out / "values.yaml").read_text(encoding="utf-8"))[0]
    assert values["postgres"]["image"]["tag"] == "16-alpine"
    markdown = (out / "helmify-report.md").read_text(encoding="utf-8")
    assert "| team key | manifest fields | status |" in markdown
    assert "`postgres.image`" in markdown and 'team {"repository": "postgres", "tag": "13"}' in markdown


def test_values_yaml_keeps_the_team_layout_order_and_comments(flts: tuple[Path, Path, dict]) -> None:
    out, _, rows = flts
    text = (out / "values.yaml").read_text(encoding="utf-8")
    team_text = (TEAM / "values.yaml").read_text(encoding="utf-8")
    for comment in ("# FLTS pipeline - complete values", "# Buckets created by the init job", "# broker"):
        assert comment in text
    team = kyaml.load_all(team_text)[0]
    values = kyaml.load_all(text)[0]
    assert list(values)[: len(team)] == list(team), "the team's keys keep their order, generated ones follow"
    # Keys no template reads stay, and are reported.
    assert values["prometheus"]["persistence"]["size"] == "5Gi"
    assert values["global"] == {"imageRegistry": "", "storageClass": ""}
    assert rows["prometheus.persistence.size"]["status"] == "read by no template"
    # A number written for a text field (an env value) is kept as the team wrote it.
    assert "    numPartitions: 3\n" in text
    # Fields without a team key get generated keys, reported as added.
    report = json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))["valuesLayout"]
    assert "kafka.podAnnotations" in report["added"]
    assert values["kafka"]["podAnnotations"]["kompose.version"] == "1.34.0 (cbf2835db)"


def test_second_convert_with_only_the_rule_file_gives_identical_templates(
    flts: tuple[Path, Path, dict], tmp_path: Path
) -> None:
    out, rules, _ = flts
    assert rules.is_file() and "component: train.gru" in rules.read_text(encoding="utf-8")
    again = tmp_path / "again"
    assert run("convert", SRC, again, "--chart-name", "flts", "--rules", rules, "-q").exit_code == 0
    mine = {p.relative_to(out): p.read_bytes() for p in (out / "templates").rglob("*") if p.is_file()}
    theirs = {p.relative_to(again): p.read_bytes() for p in (again / "templates").rglob("*") if p.is_file()}
    assert mine == theirs


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 7
    if isinstance(value, list):
        return value + ["extra-item"]
    if isinstance(value, dict):
        return {**value, "extraKey": "x"}
    return f"{value}x" if value is not None else "set"


def _set(tree: dict, path: tuple[str, ...], value: Any) -> dict:
    out = dict(tree)
    if len(path) == 1:
        out[path[0]] = value
    else:
        out[path[0]] = _set(out.get(path[0]) or {}, path[1:], value)
    return out


def _appears(value: Any, members: tuple, comp: Any) -> bool:
    """Whether a team value appears in its component's manifests: as a field's value, an
    image's part, an item of a joined text, or the text a Secret encodes."""
    for f in layout.fields_of(members, [], comp, {}):
        parts = f.value.values() if f.transform in ("image", "image-registry") else [f.value]
        if any(layout.same_value(value, part) for part in parts):
            return True
    return False


def test_ninety_percent_of_matching_team_keys_change_the_render(flts: tuple[Path, Path, dict]) -> None:
    """Change each leaf of the team's file whose value appears in its component's manifests and
    watch the render change: at least 90% must."""
    out, _, _ = flts
    from helmify_flts import chart, teamvalues

    first = chart.build(chart.Options(src=SRC, chart_name="flts"))
    comps = layout.components_of(first)
    baseline = render.render_chart(out)
    counted, changed, missed = 0, 0, []
    started = time.monotonic()
    for leaf in teamvalues.load(TEAM / "values.yaml").leaves:
        _, comp = layout.component_for(leaf.path, comps)
        if comp is None or leaf.path[-1] == "enabled" or not _appears(leaf.value, comps[comp], comp):
            continue
        counted += 1
        if render.render_chart(out, _set({}, leaf.path, _changed(leaf.value))) != baseline:
            changed += 1
        else:
            missed.append(leaf.dotted)
    assert time.monotonic() - started < 120
    assert counted >= 100
    assert changed / counted >= 0.9, missed


def test_team_environment_files_render_and_lint_clean_through_verify(flts: tuple[Path, Path, dict]) -> None:
    out, _, _ = flts
    for env in ("dev", "prod"):
        result = run("verify", out, SRC, "--values", TEAM / f"values-{env}.yaml")
        assert result.exit_code in (0, 1)  # 1: the environment changes the rendered objects, as it should
        assert "lint 0 finding(s)" in result.stderr
        assert "lint:" not in result.stdout and "schema:" not in result.stdout
    prod = run("verify", out, SRC, "--values", TEAM / "values-prod.yaml")
    assert "values-prod.yaml: prometheus.retention is read by no template" in prod.stderr
    assert "existingSecret" not in prod.stderr  # the team's switch names their own Secret
    dev = run("verify", out, SRC, "--values", TEAM / "values-dev.yaml")
    assert "values-dev.yaml: inference.autoscaling.enabled is read by no template" in dev.stderr
    assert "train.gru.training.epochs" not in dev.stderr


def test_verify_names_a_key_that_does_nothing(flts: tuple[Path, Path, dict], tmp_path: Path) -> None:
    out, _, _ = flts
    typo = write_tree(tmp_path, {"prod.yaml": "minio:\n  storage:\n    size: 20Gi\n"}) / "prod.yaml"
    result = run("verify", out, SRC, "--values", typo)
    assert "minio.storage.size is read by no template (did you mean minio.persistence.size?)" in result.stderr


# ---------------------------------------------------------------- other layouts

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: {image}
          imagePullPolicy: IfNotPresent
          ports:
            - containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: info
            - name: CACHE_SIZE
              value: "512"
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  type: ClusterIP
  selector: {{app: {name}}}
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""


def _convert(tmp_path: Path, manifests: dict[str, str], team: str, *extra: str) -> tuple[Any, Path, dict]:
    src = write_tree(tmp_path / "src", manifests)
    team_file = write_tree(tmp_path, {"team-values.yaml": team}) / "team-values.yaml"
    out = tmp_path / "out"
    result = run("convert", src, out, "--chart-name", "app", "--values-layout", team_file, *extra)
    rows = {}
    if result.exit_code == 0:
        assert_reproduces(out, src)
        data = json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))["valuesLayout"]
        rows = {row["key"]: row for row in data["rows"]}
    return result, out, rows


def test_bitnami_style_registry_repository_tag(tmp_path: Path) -> None:
    manifests = {"redis.yaml": DEPLOYMENT.format(name="redis", image="docker.io/bitnami/redis:7.2.4")}
    team = """\
redis:
  image:
    registry: docker.io
    repository: bitnami/redis
    tag: 7.2.4
    pullPolicy: IfNotPresent   # bitnami keeps it beside the image
  replicaCount: 2
"""
    result, out, rows = _convert(tmp_path, manifests, team)
    assert result.exit_code == 0
    assert rows["redis.image"]["status"] == "wired"
    assert rows["redis.image.pullPolicy"]["fields"][0].endswith("imagePullPolicy")
    assert rows["redis.replicaCount"]["fields"] == ["Deployment/redis spec.replicas"]
    text = (out / "values.yaml").read_text(encoding="utf-8")
    assert "# bitnami keeps it beside the image" in text
    rendered = render.render_chart(out, {"redis": {"image": {"registry": "quay.io", "pullPolicy": "Always"}}})
    body = "".join(rendered.values())
    assert 'image: "quay.io/bitnami/redis:7.2.4"' in body and 'imagePullPolicy: "Always"' in body


def test_flat_helm_create_layout_for_one_service(tmp_path: Path) -> None:
    manifests = {"web.yaml": DEPLOYMENT.format(name="web", image="nginx:1.25")}
    team = """\
# Default values for web (helm create).
replicaCount: 2
image:
  repository: nginx
  pullPolicy: IfNotPresent
  # Overrides the image tag whose default is the chart appVersion.
  tag: "1.25"
service:
  type: ClusterIP
  port: 80
resources: {}
nodeSelector: {}
tolerations: []
affinity: {}
"""
    result, out, rows = _convert(tmp_path, manifests, team)
    assert result.exit_code == 0
    assert rows["replicaCount"]["fields"] == ["Deployment/web spec.replicas"]
    assert rows["image"]["status"] == "wired"
    assert rows["service.port"]["fields"] == ["Service/web spec.ports[http].port"]
    assert rows["service.type"]["fields"] == ["Service/web spec.type"]
    assert rows["nodeSelector"]["status"] == "wired"
    body = "".join(render.render_chart(out, {"replicaCount": 5, "service": {"port": 8081}}).values())
    assert "replicas: 5" in body and "port: 8081" in body
    assert "# Overrides the image tag" in (out / "values.yaml").read_text(encoding="utf-8")


def test_keys_that_match_nothing_stay_and_are_reported(tmp_path: Path) -> None:
    manifests = {"web.yaml": DEPLOYMENT.format(name="web", image="nginx:1.25")}
    team = """\
web:
  featureFlags:
    darkMode: true   # not in any manifest
  owner: team-blue
billing:
  enabled: true
  plan: gold
"""
    result, out, rows = _convert(tmp_path, manifests, team)
    assert result.exit_code == 0
    for key in ("web.featureFlags.darkMode", "web.owner", "billing.plan"):
        assert rows[key]["status"] == "read by no template", key
    values = kyaml.load_all((out / "values.yaml").read_text(encoding="utf-8"))[0]
    assert values["billing"] == {"enabled": True, "plan": "gold"}
    assert values["web"]["owner"] == "team-blue"
    assert "# not in any manifest" in (out / "values.yaml").read_text(encoding="utf-8")


def test_an_ambiguous_key_is_reported_with_its_candidates_and_not_wired(tmp_path: Path) -> None:
    two = (
        DEPLOYMENT.format(name="web", image="nginx:1.25")
        .replace("value: info", "value: shared-text")
        .replace('value: "512"', "value: shared-text")
    )
    team = "web:\n  something: shared-text\n"
    result, out, rows = _convert(tmp_path, {"web.yaml": two}, team)
    assert result.exit_code == 0
    row = rows["web.something"]
    assert row["status"] == "ambiguous"
    assert len(row["fields"]) == 2 and any("LOG_LEVEL" in f for f in row["fields"])
    assert "something" not in "".join(p.read_text() for p in (out / "templates").glob("*.yaml"))


def test_a_secret_conflict_is_redacted_in_the_report(tmp_path: Path) -> None:
    secret = """\
apiVersion: v1
kind: Secret
metadata: {name: db-credentials, labels: {app: db}}
stringData:
  password: manifest-pass-123
"""
    manifests = {"db.yaml": DEPLOYMENT.format(name="db", image="postgres:16"), "secret.yaml": secret}
    team = "db:\n  auth:\n    password: team-pass-456\n"
    result, out, rows = _convert(tmp_path, manifests, team)
    assert result.exit_code == 0
    assert rows["db.auth.password"]["status"] == "conflict"
    report = (out / "helmify-report.md").read_text(encoding="utf-8") + (out / "helmify-report.json").read_text()
    assert "team-pass-456" not in report and "manifest-pass-123" not in report
    assert kyaml.load_all((out / "values.yaml").read_text())[0]["db"]["auth"]["password"] == "manifest-pass-123"


# ---------------------------------------------------------------- bad input, outputs


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\na: 2\n", 2, "duplicate keys"),
        ("- a\n- b\n", 1, "one YAML mapping"),
        ("a: [1, 2\n", 2, "not valid YAML"),
        (
            "a: &x ["
            + ", ".join(["1"] * 10)
            + "]\n"
            + "".join(f"b{i}: &y{i} [*x, *x, *x, *x, *x]\n" for i in range(1))
            + "c: "
            + "{" * 250
            + "}" * 250
            + "\n",
            3,
            "levels deep",
        ),
    ],
)
def test_a_bad_team_file_is_an_error_with_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    src = write_tree(tmp_path / "src", {"web.yaml": DEPLOYMENT.format(name="web", image="nginx:1.25")})
    team = write_tree(tmp_path, {"team.yaml": text}) / "team.yaml"
    started = time.monotonic()
    result = run("convert", src, tmp_path / "out", "--values-layout", team)
    assert time.monotonic() - started < 30
    assert result.exit_code == 2
    assert f"{team.as_posix()}:" in result.stderr and words in result.stderr
    if line:
        assert f"team.yaml:{line}:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_alias_bomb_in_the_team_file_is_refused_at_once(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"web.yaml": DEPLOYMENT.format(name="web", image="nginx:1.25")})
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    team = write_tree(tmp_path, {"bomb.yaml": "\n".join(lines) + "\n"}) / "bomb.yaml"
    started = time.monotonic()
    result = run("convert", src, tmp_path / "out", "--values-layout", team)
    assert time.monotonic() - started < 10
    assert result.exit_code == 2 and "bomb.yaml:" in result.stderr and "alias" in result.stderr


def test_write_rules_refuses_paths_inside_src_or_through_links(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"web.yaml": DEPLOYMENT.format(name="web", image="nginx:1.25")})
    team = write_tree(tmp_path, {"team.yaml": "web:\n  replicas: 2\n"}) / "team.yaml"
    inside = run("convert", src, tmp_path / "out", "--values-layout", team, "--write-rules", src / "r.yaml")
    assert inside.exit_code == 2 and "inside SRC" in inside.stderr
    assert not (src / "r.yaml").exists() and not (tmp_path / "out").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, tmp_path / "link")
    linked = run(
        "convert", src, tmp_path / "out", "--values-layout", team, "--write-rules", tmp_path / "link" / "r.yaml"
    )
    assert linked.exit_code == 2 and "symbolic link" in linked.stderr
    assert not (elsewhere / "r.yaml").exists()
    os.symlink(tmp_path / "target.yaml", tmp_path / "r-link.yaml")
    file_link = run(
        "convert", src, tmp_path / "out", "--values-layout", team, "--write-rules", tmp_path / "r-link.yaml"
    )
    assert file_link.exit_code == 2 and not (tmp_path / "target.yaml").exists()
    alone = run("convert", src, tmp_path / "out", "--write-rules", tmp_path / "r.yaml")
    assert alone.exit_code == 2 and "--values-layout" in alone.stderr
    over_team = run("convert", src, tmp_path / "out", "--values-layout", team, "--write-rules", team)
    assert over_team.exit_code == 2 and "input" in over_team.stderr


def test_check_mode_writes_no_rule_file(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"web.yaml": DEPLOYMENT.format(name="web", image="nginx:1.25")})
    team = write_tree(tmp_path, {"team.yaml": "web:\n  replicas: 2\n"}) / "team.yaml"
    result = run(
        "convert", src, tmp_path / "out", "--values-layout", team, "--write-rules", tmp_path / "r.yaml", "--check"
    )
    assert result.exit_code == 1
    assert not (tmp_path / "r.yaml").exists()


@pytest.mark.parametrize(
    ("team", "manifest", "equal"),
    [
        (13, "13", True),
        ("true", True, True),
        (True, "true", True),
        (1, "1000m", True),
        ("1Gi", "1024Mi", True),
        (0.5, "500m", True),
        ("13", "16", False),
        (1, True, False),
        ({"cpu": 1}, {"cpu": "1"}, True),
        (["a", "b"], ["a", "b"], True),
        ("v1", "v1.0", False),
    ],
)
def test_values_compare_as_kubernetes_reads_them(team: Any, manifest: Any, equal: bool) -> None:
    assert layout.same_value(team, manifest) is equal


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("datasetName", "DATASET_NAME"),
        ("inferenceLb", "inference-lb"),
        ("trainGRU", "train_gru"),
        ("replicaCount", "replicas"),
    ],
)
def test_names_compare_across_case_styles(key: str, field: str) -> None:
    assert layout.tokens([key]) == layout.tokens([field])


def test_environment_folders_override_the_team_keys(tmp_path: Path) -> None:
    """With --env, values-<env>.yaml sets the team's keys, transformed as the base holds them
    (a BUCKETS text as a list, a Secret's data as its text)."""
    out = tmp_path / "chart"
    args = ["--values-layout", TEAM / "values.yaml", "--rules", "flts"]
    envs = ["--env", f"prod={FIXTURES / 'environments' / 'prod'}", "--env", f"dev={FIXTURES / 'environments' / 'dev'}"]
    result = run("convert", SRC, out, "--chart-name", "flts", *args, *envs, "-q")
    assert result.exit_code == 0
    prod = kyaml.load_all((out / "values-prod.yaml").read_text(encoding="utf-8"))[0]
    assert prod["postgres"]["persistence"]["size"] == "50Gi"
    # prod brings its own Secrets (the summary's Phase 3): the team's keys switch to them, no password is written
    assert prod["minio"]["auth"] == {"existingSecret": "minio-credentials"}
    assert prod["postgres"]["existingSecret"] == "postgres-credentials"
    assert "password" not in str(prod)
    assert run("verify", out, SRC, "--env", f"prod={FIXTURES / 'environments' / 'prod'}", "-q").exit_code == 0


def test_a_team_file_with_many_keys_is_matched_in_bounded_time(tmp_path: Path) -> None:
    """Each key looks only at the fields that could fit it: 10,000 keys take seconds, not minutes
    (most of it ruamel.yaml's round trip, which is pure Python)."""
    manifests = {"web.yaml": DEPLOYMENT.format(name="web", image="nginx:1.25")}
    lines = ["web:"] + [f"  key{i}:\n    port{i}: {i % 97}\n    name{i}: text-{i}" for i in range(5_000)]
    started = time.monotonic()
    result, out, rows = _convert(tmp_path, manifests, "\n".join(lines) + "\n")
    assert time.monotonic() - started < 60
    assert result.exit_code == 0
    assert rows["web.key5.name5"]["status"] == "read by no template"
    started = time.monotonic()
    assert run("verify", out, tmp_path / "src", "--values", tmp_path / "team-values.yaml", "-q").exit_code == 0
    assert time.monotonic() - started < 60


def test_the_rule_file_is_ordinary_stable_and_convert_is_stable(flts: tuple[Path, Path, dict], tmp_path: Path) -> None:
    out, rules, _ = flts
    listed = run("rules", "--rules", rules)
    assert listed.exit_code == 0 and "team-train-gru-image" in listed.stdout
    again = tmp_path / "again.rules.yaml"
    chart = tmp_path / "chart"
    args = ["--chart-name", "flts", "--values-layout", TEAM / "values.yaml"]
    assert run("convert", SRC, chart, *args, "--write-rules", again, "-q").exit_code == 0
    assert again.read_text(encoding="utf-8") == rules.read_text(encoding="utf-8")
    assert run("convert", SRC, chart, *args, "--write-rules", again, "--check").exit_code == 0
    assert (chart / "values.yaml").read_bytes() == (out / "values.yaml").read_bytes()


@pytest.mark.parametrize(
    ("text", "transform", "longer"),
    [
        ("a b c", "join-space", "a b c d"),
        ("a,b,c", "join-comma", "a,b,c,d"),
        ("a, b, c", "join-comma-space", "a, b, c, d"),
    ],
)
def test_a_list_stands_for_a_joined_env_value(tmp_path: Path, text: str, transform: str, longer: str) -> None:
    manifests = {
        "web.yaml": DEPLOYMENT.format(name="web", image="nginx:1.25").replace("value: info", f'value: "{text}"')
    }
    result, out, rows = _convert(
        tmp_path, manifests, "web:\n  logLevels: [a, b, c]\n", "--write-rules", tmp_path / "r.yaml"
    )
    assert result.exit_code == 0
    assert rows["web.logLevels"]["fields"][0].endswith("env[LOG_LEVEL].value")
    assert f"transform: {transform}" in (tmp_path / "r.yaml").read_text(encoding="utf-8")
    body = "".join(render.render_chart(out, {"web": {"logLevels": ["a", "b", "c", "d"]}}).values())
    assert f'value: "{longer}"' in body


def test_a_team_scalar_where_the_chart_needs_a_map_and_unwritable_keys_are_reported(tmp_path: Path) -> None:
    manifests = {"web.yaml": DEPLOYMENT.format(name="web", image="nginx:1.25")}
    team = """\
web: "see the wiki"
logging:
  level.name: info
"""
    result, out, rows = _convert(tmp_path, manifests, team)
    assert result.exit_code == 0
    row = rows["web"]
    assert row["status"] == "replaced", row
    assert '"see the wiki"' in row["note"] and "replaced by a map" in row["note"]
    assert "team values: web: the team's value" in result.stderr and "team-values.yaml:1" in result.stderr
    table = (out / "helmify-report.md").read_text(encoding="utf-8")
    assert "| `web` | - | replaced; the team's value" in table
    # A key a rule cannot name says why, not only that no template reads it.
    unwritable = rows["logging.level\\.name"]  # the dot inside the key escaped, as --set writes it
    assert unwritable["status"] == "read by no template" and "which a rule cannot name" in unwritable["note"]
