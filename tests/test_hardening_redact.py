"""No secret in anything a person or a CI log reads, and redaction in linear time.

The catalogue of credential shapes lives in helmify_flts/redact.py; these tables hold one case
per shape, and near-misses that must stay readable.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from conftest import convert_ok, run, write_tree

from helmify_flts import redact, render
from helmify_flts.errors import UserError
from helmify_flts.redact import REDACTED, Kind

# --------------------------------------------------------------------------- names

NAMES = [
    # (name, what it says about its value)
    ("password", Kind.CREDENTIAL),
    ("rootPassword", Kind.CREDENTIAL),
    ("GF_SECURITY_ADMIN_PASSWORD", Kind.CREDENTIAL),
    ("DBPASSWORD", Kind.CREDENTIAL),
    ("passwd", Kind.CREDENTIAL),
    ("DB_PASS", Kind.CREDENTIAL),
    ("MYSQL_PWD", Kind.CREDENTIAL),
    ("ssh-passphrase", Kind.CREDENTIAL),
    ("CLIENT_SECRET", Kind.CREDENTIAL),
    ("jwtSecret", Kind.CREDENTIAL),
    ("API_TOKEN", Kind.CREDENTIAL),
    ("vault.token", Kind.CREDENTIAL),
    ("vault.hashicorp.com/token", Kind.CREDENTIAL),
    ("accessToken", Kind.CREDENTIAL),
    ("credentials", Kind.CREDENTIAL),
    ("GOOGLE_APPLICATION_CREDENTIALS_JSON", Kind.CREDENTIAL),
    ("apiKey", Kind.CREDENTIAL),
    ("X-API-KEY", Kind.CREDENTIAL),
    ("APIKEY", Kind.CREDENTIAL),
    ("AWS_ACCESS_KEY_ID", Kind.CREDENTIAL),
    ("AWS_SECRET_ACCESS_KEY", Kind.CREDENTIAL),
    ("MINIO_SECRET_KEY", Kind.CREDENTIAL),
    ("SSH_KEY", Kind.CREDENTIAL),
    ("signingKey", Kind.CREDENTIAL),
    ("privateKey", Kind.CREDENTIAL),
    ("tls.key", Kind.CREDENTIAL),
    ("server.pem", Kind.CREDENTIAL),
    ("SENTRY_DSN", Kind.CREDENTIAL),
    ("BASIC_AUTH", Kind.CREDENTIAL),
    ("Authorization", Kind.CREDENTIAL),
    ("secureJsonData", Kind.CREDENTIAL),
    ("sslpassword", Kind.CREDENTIAL),
    ("secret", Kind.CREDENTIAL),
    # pointers: they name where a credential is, and stay readable
    ("secretKeyRef", Kind.POINTER),
    ("secretRef", Kind.POINTER),
    ("secretName", Kind.POINTER),
    ("existingSecret", Kind.POINTER),
    ("imagePullSecrets", Kind.POINTER),
    ("PASSWORD_FILE", Kind.POINTER),
    ("POSTGRES_PASSWORD_FILE", Kind.POINTER),
    ("tokenPath", Kind.POINTER),
    ("KEY_PATH", Kind.POINTER),
    ("TOKEN_URL", Kind.POINTER),
    ("name", Kind.POINTER),
    # near-misses: ordinary names
    ("key", None),  # secretKeyRef.key, matchExpressions[].key, tolerations[].key
    ("publicKey", None),
    ("sortKey", None),
    ("monkey", None),
    ("tokenizer", None),
    ("passthrough", None),
    ("bypass", None),
    ("TOKEN_TTL", None),
    ("passwordPolicy", None),
    ("LOG_LEVEL", None),
    ("GF_SECURITY_ADMIN_USER", None),
    ("image", None),
]


@pytest.mark.parametrize(("name", "kind"), NAMES, ids=[n for n, _ in NAMES])
def test_name_catalogue(name: str, kind: Kind | None) -> None:
    assert redact.classify(name) is kind


def test_a_secret_mapping_is_a_volume_source_not_a_credential() -> None:
    assert redact.classify("secret", leaf=False) is None
    shown = redact.field(
        "Deployment",
        ("spec", "volumes"),
        [{"name": "creds", "secret": {"secretName": "db-credentials", "defaultMode": 420}}],
    )
    assert shown == [{"name": "creds", "secret": {"secretName": "db-credentials", "defaultMode": 420}}]


# --------------------------------------------------------------------------- shapes inside text

SHAPES = [
    # (id, text, secret fragments that must go, readable fragments that must stay)
    (
        "url",
        "postgresql://mlflow:s3cret@postgres:5432/mlflow",
        ["s3cret"],
        ["postgresql://mlflow:", "@postgres:5432/mlflow"],
    ),
    ("url-slash", "postgres://app:pa/ss@db:5432/app", ["pa/ss", "ss@"], ["postgres://app:", "@db:5432/app"]),
    ("url-at", "redis://app:p@ss@redis:6379/0", ["p@ss", "ss@"], ["redis://app:", "@redis:6379/0"]),
    ("url-at-and-slash", "amqp://u:p@s/s@rabbit/vhost", ["p@s", "s/s"], ["amqp://u:", "@rabbit/vhost"]),
    ("url-colon", "mongodb://root:a:b:c@mongo:27017", ["a:b:c"], ["@mongo:27017"]),
    ("dsn-key", "https://0123abcdkey@o1.ingest.sentry.io/42", ["0123abcdkey"], ["@o1.ingest.sentry.io/42"]),
    (
        "jdbc",
        "jdbc:postgresql://db:5432/app?user=app&password=jdbcPw1&ssl=true",
        ["jdbcPw1"],
        ["user=app", "&ssl=true"],
    ),
    (
        # pgjdbc reads a parameter up to the next "&": a "#" is part of the password, not a
        # URL fragment, and what followed it was shown (found by fuzzing).
        "jdbc-hash",
        "jdbc:postgresql://db/app?user=app&password=Pw4#tail9x&ssl=true",
        ["Pw4", "tail9x"],
        ["user=app", "&ssl=true"],
    ),
    (
        "jdbc-sslpassword",
        "jdbc:postgresql://db/app?sslmode=verify-full&sslpassword=keyPw2",
        ["keyPw2"],
        ["sslmode=verify-full"],
    ),
    (
        "mssql",
        "Server=tcp:db,1433;Database=app;User Id=sa;Password=MsPw3!x;Encrypt=true",
        ["MsPw3!x"],
        ["Server=tcp:db,1433", "User Id=sa", "Encrypt=true"],
    ),
    ("odbc-braces", "DRIVER={ODBC Driver 18};SERVER=db;UID=u;PWD={pw;4};", ["pw;4", "pw"], ["UID=u", "SERVER=db"]),
    ("libpq", "host=db user=app password=LibPq5 sslmode=require", ["LibPq5"], ["host=db", "sslmode=require"]),
    ("bearer", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig6", ["eyJhbGciOiJIUzI1NiJ9"], ["Authorization"]),
    ("bearer-inline", "curl -H 'X: Bearer abcDEF123456' http://api", ["abcDEF123456"], ["http://api"]),
    ("basic", "Basic dXNlcjpwYXNzd29yZA==", ["dXNlcjpwYXNzd29yZA"], ["Basic"]),
    ("flag-equals", "--db-password=ArgPw7 --verbose", ["ArgPw7"], ["--db-password=", "--verbose"]),
    ("flag-space", "serve --token TokPw8 --port 80", ["TokPw8"], ["--port 80"]),
    ("java-opts", "-Xmx1g -Dspring.datasource.password=JavaPw9 -Dother=1", ["JavaPw9"], ["-Xmx1g", "-Dother=1"]),
    (
        "env-file",
        'DB_HOST=db\nexport DB_PASSWORD="EnvPw10"\nAPI_KEY=EnvKey11\n',
        ["EnvPw10", "EnvKey11"],
        ["DB_HOST=db"],
    ),
    (
        "properties",
        "spring.datasource.url=jdbc:postgresql://db/app\nspring.datasource.password=Spring12\n",
        ["Spring12"],
        ["spring.datasource.url=jdbc:postgresql://db/app"],
    ),
    ("ini", "[db]\nhost = db\npassword = IniPw13\n; secret = Commented14\n", ["IniPw13", "Commented14"], ["host = db"]),
    (
        "yaml",
        "apiVersion: 1\ndatasources:\n  - name: pg\n    secureJsonData:\n      password: Graf15\n"
        "      tlsClientKey: Graf16\n    url: postgres:5432\n",
        ["Graf15", "Graf16"],
        ["name: pg", "url: postgres:5432"],
    ),
    ("yaml-nested-value", "auth:\n  credentials:\n    value: Nested17\nreplicas: 2\n", ["Nested17"], ["replicas: 2"]),
    (
        "yaml-block",
        "user: app\npassword: |\n  Block18\n  Block19\nport: 5432\n",
        ["Block18", "Block19"],
        ["user: app", "port: 5432"],
    ),
    ("yaml-comment", "user: app\n# password: Old20\nport: 5432\n", ["Old20"], ["user: app"]),
    (
        "json",
        '{\n  "api": {"token": "Json21", "url": "http://api"},\n  "debug": true\n}\n',
        ["Json21"],
        ["http://api", "debug"],
    ),
    ("json-one-line", '{"password": "Json22", "user": "app"}', ["Json22"], ["app"]),
    ("json-url", '{"dsn": "postgres://u:Json23@db/app", "pool": 5}', ["Json23"], ["pool"]),
    ("yaml-unparseable-block", "a: [\npassword: |\n  Block24\nb: 1\n", ["Block24"], ["b: 1"]),
    (
        "pem-key",
        "server.conf: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEpPem25\n  -----END RSA PRIVATE KEY-----\n"
        "ca: |\n  -----BEGIN CERTIFICATE-----\n  MIICcert\n  -----END CERTIFICATE-----\n",
        ["MIIEpPem25"],
        ["-----BEGIN RSA PRIVATE KEY-----", "MIICcert"],
    ),
    ("curl-user", "curl -u admin:CurlPw26 https://api/x", ["CurlPw26"], ["-u admin:", "https://api/x"]),
    ("jwt", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.Sig27sig here", ["Sig27sig", "eyJzdWIi"], ["here"]),
    ("aws-key-id", "id AKIAIOSFODNN7EXAMPL8 end", ["AKIAIOSFODNN7EXAMPL8"], ["end"]),
    ("github-token", "GH ghp_" + "a1" * 18 + " end", ["a1a1a1"], ["end"]),
]


@pytest.mark.parametrize(("text", "hidden", "kept"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_shape_catalogue(text: str, hidden: list[str], kept: list[str]) -> None:
    shown = redact.text(text)
    assert REDACTED in shown
    for fragment in hidden:
        assert fragment not in shown, shown
    for fragment in kept:
        assert fragment in shown, shown
    assert redact.text(shown) == shown  # redacting twice changes nothing more


READABLE = [
    "http://prometheus:9090/api/v1",
    "https://host:8443/path?query=1",
    "git@github.com:org/repo.git",
    "basic authentication is on",
    "the token is refreshed hourly",
    "-Xmx512m -Xms512m",
    "--config.file=/etc/prometheus/prometheus.yml --storage.tsdb.retention.time=7d",
    "/run/secrets/db-password",
    "key=value;other=1",
    "apiVersion: 1\nproviders:\n  - name: default\n    folder: ''\n",
    "a:\n  b: [1, 2]\n",
]


@pytest.mark.parametrize("text", READABLE)
def test_near_misses_stay_readable(text: str) -> None:
    assert redact.text(text) == text


FIELDS = [
    # (kind, names along the path, value, expected)
    ("Secret", ("stringData", "password"), "s3cret", REDACTED),
    ("Secret", ("data",), {"password": "czNjcmV0"}, {"password": REDACTED}),
    (
        "Secret",
        (),
        {"metadata": {"name": "db-credentials"}, "stringData": {"user": "app"}, "type": "Opaque"},
        {"metadata": {"name": "db-credentials"}, "stringData": {"user": REDACTED}, "type": "Opaque"},
    ),
    ("Secret", ("metadata", "name"), "db-credentials", "db-credentials"),
    ("Deployment", ("spec", "env", "DB_PASS", "value"), "p", REDACTED),
    ("Deployment", ("spec", "env", "PASSWORD_FILE", "value"), "/run/secrets/x", "/run/secrets/x"),
    ("Deployment", ("spec", "env", "valueFrom", "secretKeyRef", "name"), "db-credentials", "db-credentials"),
    ("Deployment", ("spec", "env", "valueFrom", "secretKeyRef", "key"), "password", "password"),
    ("Deployment", ("db", "existingSecret"), "vault-db", "vault-db"),
    (
        "Deployment",
        ("metadata", "annotations"),
        {"vault.token": "v", "team": "a"},
        {"vault.token": REDACTED, "team": "a"},
    ),
    (
        "Deployment",
        ("spec", "env"),
        [{"name": "MYSQL_PWD", "value": "m"}, {"name": "MODE", "value": "fast"}],
        [{"name": "MYSQL_PWD", "value": REDACTED}, {"name": "MODE", "value": "fast"}],
    ),
    ("Deployment", ("spec", "args"), ["--token", "t0k3n", "--port", "80"], ["--token", REDACTED, "--port", "80"]),
    ("Deployment", ("spec", "automountServiceAccountToken"), False, False),
    ("ConfigMap", ("data", "password"), "p", REDACTED),
    (
        "Secret",
        ("metadata", "annotations"),
        {
            "kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion":"v1","kind":"Secret",'
            '"metadata":{"name":"s"},"data":{"rootUser":"YWRtaW4="}}\n'
        },
        {
            "kubectl.kubernetes.io/last-applied-configuration": '{\n  "apiVersion": "v1",\n  "kind": "Secret",\n'
            '  "metadata": {\n    "name": "s"\n  },\n'
            '  "data": {\n    "rootUser": "<redacted>"\n  }\n}'
        },
    ),
]


@pytest.mark.parametrize(("kind", "names", "value", "expected"), FIELDS)
def test_fields_by_where_they_sit(kind: str, names: tuple, value: object, expected: object) -> None:
    assert redact.field(kind, names, value) == expected


def test_path_names_take_an_items_name_only_before_its_value() -> None:
    obj = {"spec": {"containers": [{"name": "token-svc", "image": "x", "env": [{"name": "DB_PASS", "value": "p"}]}]}}
    assert redact.path_names(obj, ("spec", "containers", 0, "image")) == ("spec", "containers", "image")
    assert redact.path_names(obj, ("spec", "containers", "0", "env", "0", "value")) == (
        "spec",
        "containers",
        "env",
        "DB_PASS",
        "value",
    )


# --------------------------------------------------------------------------- linear time

ADVERSARIAL = {
    "scheme-runs": "a://" * 75_000,
    "colon-runs": "x:" * 150_000,
    "letters": "a" * 300_000,
    "equals": "=" * 300_000,
    "pairs": "a=" * 150_000,
    "credential-pairs": "password=" * 33_000,
    "flags": "--token " * 37_000,
    "bearer": "bearer " * 42_000,
    "at-signs": "a://" + "u:p@/" * 60_000,
    "lines": "password: |\n" * 25_000,
    "json-open": "{" + '"a":' * 75_000,
    "pem-begins": "-----BEGIN " * 27_000,
    "pem-unclosed": "-----BEGIN PRIVATE KEY-----" * 11_000,
    "jwt-like": "eyJaaaaaaaaaa." * 21_000,
    "jwt-dashes": "eyJa-" * 60_000,
    "yaml-keys": "\nu:" * 100_000,
    "yaml-keys-parsed": "\nu:" * 21_000,  # just under the size parsed as YAML
    "json-list": "[" + "1," * 150_000 + "1]",
    "blank-lines": "\n" * 300_000,
    "jwt-segments": "eyJaaaaaaaaa.eyJ-" * 18_000,
    "curl-users": "-u a:" * 60_000,
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=list(ADVERSARIAL))
def test_redaction_is_linear(text: str) -> None:
    # CPU time of this thread, so a busy machine does not count; the old URL regex needed
    # minutes for 300 KB, a linear scan well under a second.
    start = time.thread_time()
    redact.text(text)
    redact.field("ConfigMap", ("data", "x"), text)
    assert time.thread_time() - start < 10.0


def test_a_300kb_env_value_converts_quickly(tmp_path: Path) -> None:
    # The old URL pattern re-read a run of scheme characters from each of its positions: a 300 KB
    # run of letters took minutes.
    env = [("BIG", "a" * 300_000), ("BIG2", "a://" * 75_000), ("BIG3", "x:" * 150_000)]
    src = write_tree(tmp_path / "src", {"app.yaml": _deployment(env)})
    start = time.perf_counter()
    convert_ok(src, tmp_path / "chart")
    assert time.perf_counter() - start < 30.0


# --------------------------------------------------------------------------- end to end


def _deployment(env: list[tuple[str, str]], args: list[str] | None = None, annotations: dict | None = None) -> str:
    doc = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app", "labels": {"app": "app"}},
        "spec": {
            "selector": {"matchLabels": {"app": "app"}},
            "template": {
                "metadata": {"labels": {"app": "app"}, **({"annotations": annotations} if annotations else {})},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "example/app:1.0",
                            **({"args": args} if args else {}),
                            "env": [{"name": n, "value": v} for n, v in env]
                            + [
                                {
                                    "name": "DB_SECRET",
                                    "valueFrom": {"secretKeyRef": {"name": "db-credentials", "key": "password"}},
                                }
                            ],
                        }
                    ]
                },
            },
        },
    }
    return json.dumps(doc)


def _secret(password: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db-credentials"},
            "type": "Opaque",
            "stringData": {"password": password, "user": "app"},
        }
    )


def _configmap(suffix: str) -> str:
    data = {
        "datasources.yaml": "apiVersion: 1\ndatasources:\n  - name: pg\n    url: postgres:5432\n"
        f"    secureJsonData:\n      password: GrafanaPw{suffix}\n",
        "app.env": f"DB_HOST=db\nDB_PASSWORD=EnvFilePw{suffix}\n",
        "application.properties": "spring.datasource.url=jdbc:postgresql://db/app\n"
        f"spring.datasource.password=SpringPw{suffix}\n",
        "settings.json": f'{{\n  "api": {{"token": "JsonTok{suffix}"}},\n  "host": "api"\n}}\n',
    }
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-config"}, "data": data})


def _tree(suffix: str) -> dict[str, str]:
    env = [
        ("DATABASE_URL", f"postgres://app:Sl/ash{suffix}@db:5432/app"),
        ("REDIS_URL", f"redis://app:At@Pw{suffix}@redis:6379"),
        ("JDBC_URL", f"jdbc:postgresql://db/app?user=app&password=Jdbc{suffix}"),
        ("MSSQL", f"Server=db;User Id=sa;Password=Mssql{suffix};"),
        ("AUTH_HEADER", f"Bearer eyJhbGciOiJIUzI1NiJ9.Bearer{suffix}"),
        ("DB_PASS", f"DbPass{suffix}"),
        ("MYSQL_PWD", f"MysqlPwd{suffix}"),
        ("PASSWORD_FILE", "/run/secrets/db-password"),
        ("LOG_LEVEL", f"debug-visible{suffix}"),
    ]
    args = [f"--db-password=ArgPw{suffix}", "--token", f"ArgTok{suffix}", "--verbose", f"--level={suffix}"]
    return {
        "app.yaml": _deployment(env, args, {"vault.token": f"VaultTok{suffix}", "team": "data"}),
        "secret.yaml": _secret(f"StringData{suffix}"),
        "config.yaml": _configmap(suffix),
    }


SECRETS = [
    "Sl/ash",
    "ash{}",
    "At@Pw",
    "Pw{}@",
    "Jdbc",
    "Mssql",
    "Bearer{}",
    "DbPass",
    "MysqlPwd",
    "ArgPw",
    "ArgTok",
    "VaultTok",
    "StringData",
    "GrafanaPw",
    "EnvFilePw",
    "SpringPw",
    "JsonTok",
]


def _leaks(text: str, suffix: str) -> list[str]:
    return [s for s in SECRETS if (s.format(suffix) if "{}" in s else s + suffix) in text]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("leaks")
    src = write_tree(root / "src", _tree("Base"))
    dev = write_tree(root / "dev", _tree("Dev"))
    out = root / "chart"
    convert_ok(src, out, "--env", f"dev={dev}")
    return out


@pytest.mark.parametrize("name", ["helmify-report.md", "helmify-report.json"])
def test_no_credential_shape_reaches_the_report(converted: Path, name: str) -> None:
    text = (converted / name).read_text(encoding="utf-8")
    assert _leaks(text, "Base") == []
    assert _leaks(text, "Dev") == []
    assert "debug-visibleBase" in text and "/run/secrets/db-password" in text  # ordinary values stay
    assert "@db:5432/app" in text and "user=app" in text


def test_the_environment_section_shows_the_changes_without_secrets(converted: Path) -> None:
    data = json.loads((converted / "helmify-report.json").read_text(encoding="utf-8"))
    overrides = {o["key"]: o for o in data["environments"]["dev"]["overrides"]}
    assert overrides["app.env.LOG_LEVEL"]["value"] == "debug-visibleDev"
    assert overrides["app.env.DB_PASS"]["value"] == REDACTED
    secret_rows = [o for key, o in overrides.items() if key.endswith("password") and "stringData" in key]
    assert secret_rows and all(o["base"] == o["value"] == REDACTED for o in secret_rows)


def test_a_secret_is_named_alike_in_every_row(converted: Path) -> None:
    data = json.loads((converted / "helmify-report.json").read_text(encoding="utf-8"))
    refs = [f for res in data["resources"] for f in res["fields"] if f["path"].endswith("secretKeyRef.name")]
    assert refs and all(f["original"] == "db-credentials" for f in refs)
    assert any(res["kind"] == "Secret" and res["name"] == "db-credentials" for res in data["resources"])


def test_config_files_keep_their_readable_parts(converted: Path) -> None:
    data = json.loads((converted / "helmify-report.json").read_text(encoding="utf-8"))
    files = {f["path"]: f["original"] for res in data["resources"] if res["kind"] == "ConfigMap" for f in res["fields"]}
    assert "url: postgres:5432" in files['data["datasources.yaml"]']
    assert "DB_HOST=db" in files['data["app.env"]']
    assert "spring.datasource.url=jdbc:postgresql://db/app" in files['data["application.properties"]']


def test_differences_redact_secret_values() -> None:
    source = {
        ("", "Secret", "", "s"): {
            "kind": "Secret",
            "metadata": {"name": "s"},
            "stringData": {"password": "OldPw1"},
            "data": {"k": "T2xk"},
        }
    }
    rendered = {
        ("", "Secret", "", "s"): (
            "t.yaml",
            {"kind": "Secret", "metadata": {"name": "s"}, "stringData": {"password": "NewPw2"}},
        )
    }
    lines = "\n".join(render.compare(source, rendered).describe())
    assert "stringData.password" in lines and "data" in lines
    for secret in ("OldPw1", "NewPw2", "T2xk"):
        assert secret not in lines


def test_verify_prints_no_secret(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", _tree("Base"))
    out = tmp_path / "chart"
    convert_ok(src, out)
    changed = tmp_path / "changed"
    shutil.copytree(src, changed)
    write_tree(changed, _tree("Changed"))
    result = run("verify", out, changed)
    assert result.exit_code == 1
    assert "differs" in result.stdout and "debug-visibleChanged" in result.stdout
    assert _leaks(result.stdout + result.stderr, "Base") == []
    assert _leaks(result.stdout + result.stderr, "Changed") == []


# --------------------------------------------------------------------------- environment table cells


def test_long_values_show_where_they_differ(converted: Path, tmp_path: Path) -> None:
    base = ["-f", "/mnt/locust/locustfile.py", "--master", "--host", "http://inference-lb", "--expect-workers", "2"]
    dev = base[:-1] + ["1"]
    src = write_tree(tmp_path / "src", {"app.yaml": _deployment([], base)})
    env = write_tree(tmp_path / "dev", {"app.yaml": _deployment([], dev)})
    out = tmp_path / "chart"
    convert_ok(src, out, "--env", f"dev={env}")
    row = next(
        line
        for line in (out / "helmify-report.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `app.args`")
    )
    cells = [c.strip() for c in row.split(" | ")]
    assert cells[1] == "`[6]: 2`" and cells[2] == "`[6]: 1`"


def test_cells_name_items_and_keys_and_cut_strings_around_the_difference() -> None:
    from helmify_flts.report import _cells

    ports = [
        {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
        {"name": "metrics", "port": 9100, "targetPort": 9100, "protocol": "TCP"},
    ]
    wider = [dict(ports[0], nodePort=30080), ports[1]]
    assert _cells(ports, wider) == ("`[http].nodePort: (none)`", "`[http].nodePort: 30080`")
    long_a, long_b = "x" * 100 + "-old-tail", "x" * 100 + "-new-tail"
    a, b = _cells(long_a, long_b)
    assert "-old-tail" in a and "-new-tail" in b and len(a) < 60
    short = _cells("a", "b")
    assert short == ("`a`", "`b`")


def test_schema_messages_do_not_quote_credentials() -> None:
    from helmify_flts import verify

    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"password": 87654321}}
    problems, _ = verify.schema_problems({("", "Secret", "", "s"): ("t.yaml", secret)})
    assert problems and "stringData.password" in problems[0] and "87654321" not in problems[0]
    plain = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"mode": 12345678}}
    problems, _ = verify.schema_problems({("", "ConfigMap", "", "c"): ("t.yaml", plain)})
    assert problems and "12345678" in problems[0]  # ordinary values still say what is wrong


def test_parser_snippets_in_errors_are_redacted(tmp_path: Path) -> None:
    """Today's C parser quotes no lines in its errors; a pure-Python one does (below), so errors
    that carry a parser's message go through redact.message as a guard."""
    import yaml

    with pytest.raises(yaml.YAMLError) as pure:
        yaml.load("db:\n  password: Snippet3: x\n", Loader=yaml.SafeLoader)  # noqa: S506
    assert "Snippet3" in str(pure.value) and "Snippet3" not in redact.message(str(pure.value))
    values = write_tree(tmp_path, {"values.yaml": "db:\n  password: Snippet1: x\n"}) / "values.yaml"
    with pytest.raises(UserError) as caught:
        render.load_values_file(values)
    assert "Snippet1" not in str(caught.value) and "not valid YAML" in str(caught.value)
    assert (
        redact.message('in "<unicode string>", line 3:\n    password: Snippet2\n        ^')
        == 'in "<unicode string>", line 3:\n    password: <redacted>\n        ^'
    )
