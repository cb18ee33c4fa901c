"""A third set of real-world shapes (tests/public_shapes/): workflow and CI custom resources
full of their own template syntax (Argo's ``{{inputs.parameters.x}}``, Tekton's
``$(params.x)``), an operator-managed Kafka, Gateway API routes, a database StatefulSet with an
overlay, a folder of batch Jobs and CronJobs, Windows nodes across namespaces, Knative and
OpenShift objects, and files in every encoding and YAML style; and the failures they and the
fuzz campaigns of seeds 9101-9104 showed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import assert_reproduces, convert_ok, render_objects, run, write_tree

SHAPES = Path(__file__).resolve().parent / "public_shapes"


MIGRATE_JOB = """\
apiVersion: v1
kind: Service
metadata: {name: reports-db}
spec:
  type: ExternalName
  externalName: reports.example.rds.amazonaws.com
  ports: [{port: 5432}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: OnFailure
      containers:
        - name: migrate
          image: example/migrate:41
          args: [up, --url, 'postgres://reports:$(DB_PASSWORD)@reports-db:5432/reports?sslmode=disable']
          env:
            - name: DB_PASSWORD
              value: from-a-secret-in-real-life
            - name: SHELL_FORM
              value: 'postgres://reports:${DB_PASSWORD}@reports-db/reports'
"""


def test_a_url_whose_password_is_a_variable_names_its_host(tmp_path: Path) -> None:
    # Kubernetes expands $(VAR) in args, a shell ${VAR}: the password of a database URL is most
    # often written so. The URL's user part ended at the variable's ")" or "}", so its host was
    # read as no host name at all: the release prefix renamed the Service and left the URL
    # naming the old name, without a word.
    src = write_tree(tmp_path / "src", {"migrate.yaml": MIGRATE_JOB})
    chart = tmp_path / "chart"
    result = run("convert", src, chart, "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    assert run("verify", chart, src).exit_code == 0
    job = render_objects(chart, release="blue")[("batch", "Job", "", "blue-migrate")]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][2] == "postgres://reports:$(DB_PASSWORD)@blue-reports-db:5432/reports?sslmode=disable"
    assert container["env"][1]["value"] == "postgres://reports:${DB_PASSWORD}@blue-reports-db/reports"
    graph = (chart / "helmify-report.md").read_text()
    assert "reports-db:5432" in graph


def test_database_statefulset_with_a_namespaced_overlay(tmp_path: Path) -> None:
    # A base without a namespace and a prod overlay that sets one, resizes the claim template,
    # scales, patches the disruption budget and merges into the init-script ConfigMap.
    src = SHAPES / "sql-statefulset"
    env = ("--env", f"prod={src / 'prod'}")
    for packs in ((), ("--rules", "conventions"), ("--rules", "production")):
        chart = tmp_path / ("chart" + "".join(packs).replace("--rules", "-"))
        convert_ok(src / "base", chart, *env, *packs)
        result = run("verify", chart, src / "base", *env)
        assert result.exit_code == 0, result.stderr


def test_verify_counts_a_removed_object_once(tmp_path: Path) -> None:
    # With the conventions the folder's Namespace is labelled (an edit) and then left to the
    # release (removed): verify said "12 of 12 resources as declared (13 with declared changes)",
    # more changed resources than it rendered.
    src = SHAPES / "windows-tenants"
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions")
    result = run("verify", chart, src)
    assert result.exit_code == 0, result.stderr
    assert "12 of 12 resources as declared (12 with declared changes)" in result.stderr
    assert "1 removed as the chart declares" in result.stderr


def test_json_utf16_escapes_read_as_kubectl_reads_them(tmp_path: Path) -> None:
    # Python's json.dumps (and any writer that escapes all but ASCII) writes an emoji as a
    # surrogate pair; YAML's \u takes no surrogates, so valid JSON that kubectl applies was
    # refused as "not valid YAML". A lone surrogate is U+FFFD to Go's decoder; an escaped
    # backslash before "u" is text.
    text = (
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "emoji"},\n'
        ' "data": {"rocket": "go \\ud83d\\ude80!", "lone": "a\\ud83db\\ude80c",'
        ' "text": "\\\\ud83d\\\\ude80", "mixed": "\\\\\\ud83d\\ude80", "bmp": "caf\\u00e9"}}\n'
    )
    src = write_tree(tmp_path / "src", {"emoji.json": text})
    chart = tmp_path / "chart"
    convert_ok(src, chart)
    assert run("verify", chart, src).exit_code == 0
    data = render_objects(chart)[("", "ConfigMap", "", "emoji")]["data"]
    assert data == {
        "rocket": "go \U0001f680!",
        "lone": "a\ufffdb\ufffdc",
        "text": "\\ud83d\\ude80",
        "mixed": "\\\U0001f680",
        "bmp": "café",
    }


KAFKA_ACLS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders}
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec:
      containers: [{name: app, image: example/orders:1}]
---
apiVersion: v1
kind: Secret
metadata: {name: orders-tls}
stringData: {ca.crt: not-a-real-cert}
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaUser
metadata: {name: orders-user, labels: {strimzi.io/cluster: events}}
spec:
  authentication: {type: tls}
  authorization:
    type: simple
    acls:
      - resource: {type: topic, name: orders, patternType: literal}
        operations: [Read, Write]
      - resource: {type: group, name: orders, patternType: prefix}
        operations: [Read]
  credentials:
    - {type: secret, name: orders-tls}
"""


def test_a_name_beside_a_type_names_an_object_of_that_type_only(tmp_path: Path) -> None:
    # Strimzi's ACLs name a topic or a consumer group by {type, name}: the same word as a
    # Deployment's name is no reference to it, and the warning that the installed chart would
    # name an object it does not render was wrong there. A type that spells a kind still warns.
    src = write_tree(tmp_path / "src", {"kafka.yaml": KAFKA_ACLS})
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    (line,) = [w for w in result.stderr.splitlines() if w.startswith("warning: KafkaUser orders-user:")]
    assert "/spec/credentials/0/name 'orders-tls' names Secret/orders-tls" in line
    assert "acls" not in line and "Deployment/orders" not in line


def test_a_warning_about_objects_an_overlay_moves_is_said_once(tmp_path: Path) -> None:
    # prod sets a namespace of its own, so the rules see the base's CronJob and prod's copy: the
    # same finding about `pg_dump -h postgres` was printed twice, word for word.
    src = SHAPES / "sql-statefulset"
    result = run("convert", src / "base", tmp_path / "chart", "--rules", "conventions", "--env", f"prod={src / 'prod'}")
    assert result.exit_code == 0, result.stderr
    lines = [w for w in result.stderr.splitlines() if "not provably a host name" in w]
    # One per object, each named: the base's CronJob, and prod's copy by its namespace.
    assert len(lines) == len(set(lines)) == 2, lines
    assert lines[0].startswith("warning: CronJob postgres-backup /spec/")
    assert lines[1].startswith("warning: CronJob postgres-backup in namespace db-prod /spec/")


KNATIVE = """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello}
spec:
  template:
    spec:
      containers:
        - image: example/hello:1
          ports: [{name: http1, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: metrics, annotations: {prometheus.io/scrape: "true"}}
spec:
  selector: {app: x}
  ports: [{name: metrics, port: 9090}]
"""


def test_a_custom_kind_named_like_a_built_in_one_gets_none_of_its_knobs(tmp_path: Path) -> None:
    # Knative's Service has no type, ports or selector: the packs' Service rules gave it
    # service.type and service.annotations knobs, which render a field it does not have.
    src = write_tree(tmp_path / "src", {"hello.yaml": KNATIVE})
    chart = tmp_path / "chart"
    result = run("convert", src, chart, "--rules", "production")
    assert result.exit_code == 0, result.stderr
    assert run("verify", chart, src).exit_code == 0
    values = yaml.safe_load((chart / "values.yaml").read_text())
    assert "service" not in values["hello"]
    assert values["metrics"]["service"]["type"] is None
    # A ServiceMonitor for the core Service only, and messages tell the two kinds apart.
    monitors = (chart / "helmify-report.md").read_text()
    assert "ServiceMonitor" in monitors and "ServiceMonitor/hello" not in monitors
    named = run("convert", src, tmp_path / "conv", "--rules", "conventions")
    assert "Service.serving.knative.dev/hello keeps its name" in named.stderr


def test_a_rule_naming_apiversions_still_selects_the_namesake(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"hello.yaml": KNATIVE})
    rules = write_tree(
        tmp_path / "rules",
        {
            "knative.yaml": """\
rules:
  - id: knative-image
    description: The Knative Service's image.
    match: {kinds: [Service], apiVersions: ["serving.knative.dev/*"]}
    path: spec.template.spec.containers[0].image
    key: "{base}.image"
"""
        },
    )
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", str(rules / "knative.yaml"))
    assert yaml.safe_load((chart / "values.yaml").read_text())["hello"]["image"] == "example/hello:1"


def test_a_name_under_a_secret_key_ref_names_the_secret(tmp_path: Path) -> None:
    # The warning about a custom resource's fields named every renamed object called "minio"
    # (Secret, Service and Deployment) for a secretKeyRef's name: its key is under the ref.
    result = run("convert", SHAPES / "serverless", tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    assert "/secretKeyRef/name 'minio' names Secret/minio; " in result.stderr
    assert "Service/minio" not in result.stderr


ACCOUNT_NAMES = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: ledger, namespace: finance}
---
apiVersion: security.openshift.io/v1
kind: SecurityContextConstraints
metadata: {name: ledger-nonroot}
runAsUser: {type: MustRunAsNonRoot}
users: [system:serviceaccount:finance:ledger, system:serviceaccount:other:ledger]
groups: [system:serviceaccounts:finance]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ledger, namespace: finance}
spec:
  rules:
    - from:
        - source:
            principals: [cluster.local/ns/finance/sa/ledger, cluster.local/ns/financex/sa/web]
"""


def test_service_account_user_names_in_the_main_namespace_are_listed(tmp_path: Path) -> None:
    # OpenShift's SCCs and a mesh's policies name a service account by its user name, which
    # holds its namespace: installed in another namespace, the chart still granted the old one,
    # without a word.
    src = write_tree(tmp_path / "src", {"scc.yaml": ACCOUNT_NAMES})
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    lines = [w for w in result.stderr.splitlines() if "names the namespace the release replaces" in w]
    assert len(lines) == 2, lines
    assert lines[0].startswith(
        "warning: AuthorizationPolicy ledger /spec/rules/0/from/0/source/principals/0: 'finance' names"
    )
    assert lines[1].startswith("warning: SecurityContextConstraints ledger-nonroot /groups/0, /users/0: 'finance'")


NEL_KEY = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
    - host: "*.example.com"
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
            "\\N": note
"""


def test_a_key_holding_a_nel_keeps_its_field_in_the_template(tmp_path: Path) -> None:
    # The Ingress's rules are a knob read whole with toYaml, which writes a NEL inside a key raw,
    # where YAML reads a line break: convert's own check failed with "This is a bug". Values of
    # such text were already kept in the template; keys now are too, and an environment that
    # needs the key in its values is refused with the reason.
    src = write_tree(tmp_path / "src", {"web.yaml": NEL_KEY})
    chart = tmp_path / "chart"
    result = run("convert", src, chart)
    assert result.exit_code == 0, result.stderr
    assert "Ingress/web spec.rules left as is: a key holding a NEL character (U+0085)" in result.stderr
    assert_reproduces(chart, src)  # (verify's schema check refuses the unknown key, rightly)
    base = write_tree(tmp_path / "base", {"web.yaml": NEL_KEY.replace('            "\\N": note\n', "")})
    result = run("convert", base, tmp_path / "env-chart", "--env", f"dev={src}")
    assert result.exit_code == 2, result.stderr
    assert "[dev] Ingress/web: the value for web.ingress.rules cannot pass through Helm values (a key holding" in (
        result.stderr
    )


def test_long_names_the_release_prefix_would_cut_to_one_keep_theirs(tmp_path: Path) -> None:
    # With the prefix, names are cut to 63 characters: two ConfigMaps whose long names differ
    # only at the end became one, and the proof, which renamed both alike, said "2 of 2".
    long = "payments-reconciliation-settlement-worker-eu-west-primary-"
    text = "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{which: x}}\n"
        for name in (long + "x1", long + "x2", "payments-reconciliation-api", "web")
    )
    src = write_tree(tmp_path / "src", {"cms.yaml": text})
    chart = tmp_path / "chart"
    result = run("convert", src, chart, "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "keep their names" in line]
    assert warned == [
        f"warning: ConfigMap/{long}x1 and {long}x2 keep their names: with the release prefix, cut to 63 characters, "
        "they would be one name for a release name of 3 characters or more; shorten them to tell them apart within "
        "their first characters"
    ]
    verified = run("verify", chart, src)
    assert verified.exit_code == 0 and "4 of 4 resources" in verified.stderr, verified.stderr
    names = sorted(i[3] for i in render_objects(chart, release="a-release-name-of-thirty-chars"))
    assert names == [
        "a-release-name-of-thirty-chars-payments-reconciliation-api",
        "a-release-name-of-thirty-chars-web",
        long + "x1",
        long + "x2",
    ]


def test_declared_changes_that_make_two_objects_one_are_refused() -> None:
    # What the chart must render is the sources with the declared changes: a change that gives
    # an object another one's identity would drop one from it, and the proof would pass.
    from helmify_flts.refactorings.base import Edit, apply

    objects = {
        ("", "ConfigMap", "", name): {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
        for name in ("a", "b")
    }
    rename = Edit(("", "ConfigMap", "", "a"), ({"op": "replace", "path": "/metadata/name", "value": "b"},), "r", "w")
    with pytest.raises(ValueError, match="the identity of another object"):
        apply(objects, [rename])


CLEANUP = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: cleanup}
spec:
  schedule: "@hourly"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: cleanup
              image: busybox:1.36
              command:
                - /bin/sh
                - -c
                - |
                  find /scratch -type f -mmin +MINUTES -delete
                  echo "done at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
"""


def test_date_in_utc_is_no_user_and_password(tmp_path: Path) -> None:
    # `date -u +%H:%M` read as curl's `-u user:password`: the report hid the time format, and an
    # environment whose script differs was said to hold a credential in plain text.
    base = write_tree(tmp_path / "base", {"cleanup.yaml": CLEANUP.replace("MINUTES", "120")})
    prod = write_tree(tmp_path / "prod", {"cleanup.yaml": CLEANUP.replace("MINUTES", "60")})
    chart = tmp_path / "chart"
    result = run("convert", base, chart, "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    assert "credential" not in result.stderr
    report = (chart / "helmify-report.json").read_text()
    assert "date -u +%Y-%m-%dT%H:%M:%SZ" in report and "<redacted>" not in report
    # curl's user and password stay hidden.
    from helmify_flts import redact

    assert redact.inline("curl -u admin:hunter2 http://x") == "curl -u admin:<redacted> http://x"


NODEPORT = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: TYPE
  selector: {app: web}
  ports: [{name: http, port: 80}]
"""


def test_an_environment_setting_an_optional_knob_to_null_is_refused_with_why(tmp_path: Path) -> None:
    # service.type renders only when its key is not null: a `type: null` in an environment went
    # into values-dev.yaml as null, the chart left the key out, and convert's own check failed
    # with "This is a bug".
    base = write_tree(tmp_path / "base", {"web.yaml": NODEPORT.replace("TYPE", "NodePort")})
    dev = write_tree(tmp_path / "dev", {"web.yaml": NODEPORT.replace("TYPE", "null")})
    result = run("convert", base, tmp_path / "chart", "--env", f"dev={dev}")
    assert result.exit_code == 2, result.stderr
    assert "This is a bug" not in result.stderr
    assert (
        "error: web.yaml:1: [dev] Service/web: spec.type is null in this environment, and its values key "
        "web.service.type renders nothing for a null (a null unsets a key); remove the key"
    ) in result.stderr
    assert not (tmp_path / "chart").exists()


REORDERED_ENV = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: example/api:1
          env:
ENV
"""


def test_diff_hides_credentials_in_an_env_list_read_whole(tmp_path: Path) -> None:
    # An environment that reorders env items gets the list whole in its values file, as
    # `- name: DB_PASSWORD` / `value: ...` lines: --diff, which reads a chart file line by line,
    # showed the value, whose own key (`value`) says nothing.
    first = "            - name: DB_PASSWORD\n              value: hunter2-not-real\n"
    second = "            - name: LOG_LEVEL\n              value: info\n"
    base = write_tree(tmp_path / "base", {"api.yaml": REORDERED_ENV.replace("ENV\n", first + second)})
    prod = write_tree(tmp_path / "prod", {"api.yaml": REORDERED_ENV.replace("ENV\n", second + first)})
    result = run("convert", base, tmp_path / "chart", "--env", f"prod={prod}", "--diff")
    assert result.exit_code == 1, result.stderr
    assert "value: info" in result.stdout
    assert "hunter2-not-real" not in result.stdout + result.stderr
    assert "<redacted:" in result.stdout


@pytest.mark.parametrize("packs", [(), ("--rules", "conventions")], ids=["default", "conventions"])
def test_a_gateways_certificate_refs_follow_the_secret(tmp_path: Path, packs: tuple[str, ...]) -> None:
    # A Gateway's listener names its certificate by certificateRefs, whose kind defaults to
    # Secret: one that left the kind out kept the old name under the release prefix (with a
    # warning), and none followed the existingSecret switch, so TLS named a Secret not rendered.
    chart = tmp_path / "chart"
    result = run("convert", SHAPES / "gateway-routes", chart, *packs)
    assert result.exit_code == 0, result.stderr
    assert "certificateRefs" not in result.stderr
    prefix = "blue-" if packs else ""
    for values, name in (({}, f"{prefix}wildcard-shop-tls"), ({"wildcardShopTls": {"existingSecret": "mine"}}, "mine")):
        objects = render_objects(chart, release="blue", namespace="edge-system", values=values)
        gateway = objects[("gateway.networking.k8s.io", "Gateway", "edge-system", "public")]
        refs = [
            ref["name"]
            for listener in gateway["spec"]["listeners"]
            for ref in listener.get("tls", {}).get("certificateRefs", [])
        ]
        assert refs == [name, name]
