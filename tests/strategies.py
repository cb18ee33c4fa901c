"""Hypothesis strategies for hostile but realistic manifest folders, and a YAML writer for them.

The writer is deliberately independent of helmify_flts: inputs are spelt by this module, so a
bug in the tool's own emitter cannot hide in the test input. Every scalar says how it is
written (plain, single- or double-quoted, literal block), because the hazards are in the
spelling: ``on`` and ``"on"`` are different values to Kubernetes.

Secret material is a distinctive token (``s3cr3t`` + hex, optionally a separator and ``k3y`` +
hex) so a leak into a report is found by plain substring search, without false alarms.
"""

from __future__ import annotations

import base64
import copy
import re
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

# The absolute path of the case's sandbox is only known when the case is written; names that
# should point at an absolute path inside the sandbox carry this marker instead.
ROOT_MARK = "@ROOT@"

# ---------------------------------------------------------------------------------------------
# Scalars and their spelling


@dataclass(frozen=True)
class Plain:
    """A scalar written exactly as given, unquoted: its meaning is what YAML 1.1 makes of it."""

    text: str


@dataclass(frozen=True)
class Styled:
    """A string value with a preferred style; the writer falls back to double quotes when the
    preferred style cannot spell the text."""

    text: str
    style: str = "auto"  # auto | dq | sq | block | raw-block


# Plain spellings whose YAML 1.1 (go-yaml v2) meaning is not a string, or is a string that
# YAML 1.2 or PyYAML would read differently.
PLAIN_HAZARDS = (
    "on",
    "off",
    "yes",
    "no",
    "y",
    "n",
    "Y",
    "N",
    "On",
    "OFF",
    "true",
    "False",
    "~",
    "null",
    "0755",
    "0o17",
    "0x1F",
    "0X1f",
    "0b101",
    "0x_",
    "0b_",
    "0o_",
    "0_x1",
    "1_000",
    "08",
    "0",
    "-0",
    "+7",
    "1e4",
    "1E4",
    "1.",
    ".5",
    "-.5",
    "1e400",
    "1_0.5",
    "0.1",
    "1.0",
    "12345678901234567890",
    "123456789012345678901234",
    "9007199254740993",
    ".inf",
    "-.Inf",
    ".nan",
    "=",
    "<<",
    "2026-01-01",
    "2026-01-01T10:00:00Z",
    "2001-12-14 21:59:43.10 -5",
    "10Gi",
    "500m",
    "1:2",
    "_",
    "0x",
    "0.0.1",
)

# Text that is hostile to a template engine, a YAML emitter, a file system or a report.
TEXT_HAZARDS = (
    '{{ fail "x" }}',
    "{{ .Release.Name }}",
    "{{ .Release.Namespace }}",
    "}}",
    "{{",
    "{{-",
    "-}}",
    "{{/* c */}}",
    '{{ "{{" }}',
    "{{ $labels.pod }}",
    "{{pod}}",
    "{{`x`}}",
    "on",
    "off",
    "yes",
    "no",
    "y",
    "n",
    "true",
    "~",
    "null",
    "",
    "0755",
    "0x1F",
    "0x_",
    "0b_",
    "1e4",
    "1e400",
    "1_000",
    "08",
    "12345678901234567890",
    ".inf",
    "=",
    "<<",
    "2026-01-01",
    "'",
    '"',
    "it's",
    '"quoted"',
    "a: b",
    "a #b",
    "- x",
    "# c",
    "&a",
    "*a",
    "!tag",
    "!!int",
    "%",
    "@",
    "`",
    "|",
    ">",
    "---",
    "...",
    "?",
    ":",
    "[a]",
    "{a: b}",
    ",",
    "\u0085",
    "\u2028",
    "\u2029",
    "\u00a0",
    "x\u00a0",
    "\u00a0x",
    "\ufeff",
    "\t",
    " lead",
    "trail ",
    "a\nb",
    "a\r\nb",
    "a\n",
    "\n",
    "\x00",
    "\x07",
    "\x1b[31m",
    "..",
    "../x",
    "/",
    "a/b",
    "/abs",
    "\\",
    "C:\\x",
    "HELMIFYTPL00000",
    "HELMIFYTPL",
    "$(VAR)",
    "${VAR}",
    "%s",
    "é",
    "日本",
    "😀",
    "x" * 300,
    "ab" * 130,
)

WORDS = (
    "web",
    "api",
    "db",
    "cache",
    "nginx",
    "value",
    "hello world",
    "a-b_c.d",
    "10Gi",
    "500m",
    "http://example.com/x?a=1&b=2",
    "info",
    "Always",
    "ClusterIP",
    "/data",
    "--verbose",
    "x",
)

_SAFE_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*")
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def text() -> st.SearchStrategy[str]:
    """Strings: mostly ordinary, often hazardous, sometimes arbitrary unicode."""
    piece = st.sampled_from(WORDS) | st.sampled_from(TEXT_HAZARDS) | st.text(max_size=6)
    return st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(TEXT_HAZARDS),
        st.lists(piece, min_size=2, max_size=4).map("".join),
        st.text(max_size=24),
    )


def multiline() -> st.SearchStrategy[str]:
    """Config-file-like text of several lines (a dashboard, a script, a properties file)."""
    line = (
        st.sampled_from(WORDS)
        | st.sampled_from(TEXT_HAZARDS)
        | st.sampled_from(
            (
                '"legendFormat": "{{instance}}"',
                "summary: '{{ $value }}'",
                "key = value",
                "  indented",
                "",
                "#!/bin/sh",
                "echo $HOME",
                "server localhost:8080;",
                "- item",
                "\tTab",
                "}}}",
                "line\u2028sep",
            )
        )
    )
    return (
        st.lists(line, min_size=2, max_size=8)
        .map("\n".join)
        .flatmap(lambda body: st.sampled_from((body + "\n", body, body + "\n\n")))
    )


def styled(strategy: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Styled]:
    return st.builds(
        Styled, strategy if strategy is not None else text(), st.sampled_from(("auto", "auto", "dq", "sq", "block"))
    )


def scalar_value() -> st.SearchStrategy[Any]:
    """Any leaf a manifest may hold: styled strings, plain hazards, numbers, booleans, null."""
    return st.one_of(
        styled(),
        st.sampled_from(PLAIN_HAZARDS).map(Plain),
        st.integers(-(2**31), 2**31),
        st.booleans(),
        st.none(),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
    )


# ---------------------------------------------------------------------------------------------
# Names, keys, file names

_DNS = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)

NAME_HAZARDS = (
    "cm{{ .Release.Namespace }}",
    '{{ fail "x" }}',
    "../escaped",
    "../../escaped",
    "a/b",
    "..",
    ".",
    "x" * 300,
    "HELMIFYTPL00000",
    "with space",
    "Upper",
    "é-name",
    ROOT_MARK + "/abs-escaped",
    "a\nb",
    "-lead",
    "trail-",
    "a..b",
    "a_b",
    "0755",
    "1e4",
)
KEY_HAZARDS = (
    "..",
    "../k",
    "a/b",
    "../../k",
    '{{ fail "x" }}',
    "{{ .Release.Name }}",
    "k" * 300,
    ".",
    "k\nk",
    " ",
    "HELMIFYTPL00000",
    "é.conf",
    ".env",
    "a b",
    "a:b",
    "-",
    "_",
)
PLAIN_KEY_HAZARDS = ("yes", "on", "1.0", "0755", "1e4", "1", "y", "2026-01-01", "=")
FILE_HAZARDS = (
    "HELMIFYTPL00000.yaml",
    "x\ny.yaml",
    '{{ fail "x" }}.yaml',
    "{{ .Release.Name }}.yaml",
    "a b.yaml",
    "..yaml",
    "-x.yaml",
    "é.yaml",
    "日本.yml",
    "x.json.yaml",
    "sub/dir/x.yaml",
    "sub/y.yml",
    "k" * 200 + ".yaml",
)
CREDENTIAL_ENV = (
    "DB_PASSWORD",
    "API_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "DB_PASS",
    "MYSQL_PWD",
    "SECRET_KEY",
    "GITHUB_TOKEN",
    "MINIO_ROOT_PASSWORD",
    "PRIVATE_KEY",
    "REDIS_PASSWORD",
)


def name() -> st.SearchStrategy[Any]:
    """A resource name: usually a DNS label, sometimes hostile (escaping, long, templated, typed)."""
    return st.one_of(_DNS, st.sampled_from(NAME_HAZARDS), st.sampled_from(("on", "0755", "yes", "1.0")).map(Plain))


def key() -> st.SearchStrategy[Any]:
    """A map key of user data (ConfigMap data, annotations)."""
    normal = st.from_regex(r"[a-z][a-z0-9._-]{0,14}", fullmatch=True)
    return st.one_of(
        normal,
        normal,
        st.sampled_from(KEY_HAZARDS),
        st.sampled_from(PLAIN_KEY_HAZARDS).map(Plain),
        st.sampled_from(TEXT_HAZARDS),
    )


def env_name() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True),
        st.sampled_from(CREDENTIAL_ENV),
        st.sampled_from(("VAR_1", "VAR1", "A.B", "{{ x }}")),
        st.just(Plain("0")),
    )


def file_name() -> st.SearchStrategy[str]:
    return st.one_of(_DNS.map(lambda s: s + ".yaml"), _DNS.map(lambda s: s + ".yml"), st.sampled_from(FILE_HAZARDS))


def name_text(value: Any) -> str:
    """The text a name is written with (for uniqueness); typed plain names keep their spelling."""
    return value.text if isinstance(value, (Plain, Styled)) else str(value)


# ---------------------------------------------------------------------------------------------
# Secrets


@dataclass(frozen=True)
class Token:
    """A secret value; ``shown`` lists every fragment that must never be printed."""

    value: str
    fragments: tuple[str, ...]


def token() -> st.SearchStrategy[Token]:
    hex8 = st.integers(0, 2**32 - 1).map(lambda n: f"{n:08x}")
    sep = st.sampled_from(("", "", "/", "@", ":", "%40", "#", "&"))

    def build(a: str, s: str, b: str) -> Token:
        head = f"s3cr3t{a}"
        if not s:
            return Token(head, (head,))
        tail = f"k3y{b}"
        return Token(f"{head}{s}{tail}", (f"{head}{s}{tail}", head, tail))

    return st.builds(build, hex8, sep, hex8)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# How a secret may be placed in a manifest folder. Each placement knows what must stay hidden.
PLACEMENTS = (
    "secret-stringData",
    "secret-data",
    "env-credential",
    "env-DB_PASS",
    "env-MYSQL_PWD",
    "env-API_TOKEN",
    "env-url",
    "env-jdbc",
    "env-mssql",
    "env-bearer",
    "arg-password",
    "annotation-vault",
    "file-dotenv",
    "file-yaml",
    "file-json",
    "file-properties",
)


@dataclass
class Folder:
    """Resources (documents) and where they are written; secrets that must never be shown."""

    docs: list[dict] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    secrets: list[Token] = field(default_factory=list)

    def hidden(self) -> list[str]:
        out: list[str] = []
        for tok in self.secrets:
            out.extend(tok.fragments)
        return out


def _meta(nm: Any, labels: dict | None = None, annotations: dict | None = None, namespace: Any = None) -> dict:
    meta: dict = {"name": nm}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    return meta


def secret_placement(kind: str, tok: Token, idx: int) -> tuple[str, Any]:
    """(where, fragment): the fragment a placement adds; ``where`` says which part of a folder
    takes it (an env item, a container arg, an annotation, a ConfigMap entry, a Secret entry)."""
    t = tok.value
    if kind.startswith("env-") and kind[4:].isupper():
        return ("env", {"name": kind[4:], "value": t})
    return {
        "secret-stringData": ("secret-string", (f"password{idx}", t)),
        "secret-data": ("secret-data", (f"token{idx}", b64(t))),
        "env-credential": ("env", {"name": CREDENTIAL_ENV[idx % len(CREDENTIAL_ENV)] + f"_{idx}", "value": t}),
        "env-url": ("env", {"name": f"DATABASE_URL_{idx}", "value": f"postgresql://app:{t}@db:5432/app"}),
        # In a query string "&" starts the next parameter, for every reader of URLs: a password
        # holding one is written percent-encoded, as a working URL has it ("#" it may hold raw).
        "env-jdbc": (
            "env",
            {"name": f"JDBC_URL_{idx}", "value": f"jdbc:postgresql://db/app?user=app&password={t.replace('&', '%26')}"},
        ),
        "env-mssql": (
            "env",
            {"name": f"CONNECTION_{idx}", "value": f"Server=db;Database=app;User Id=sa;Password={t};"},
        ),
        "env-bearer": ("env", {"name": f"AUTH_HEADER_{idx}", "value": f"Authorization: Bearer {t}"}),
        "arg-password": ("arg", f"--db-password={t}"),
        "annotation-vault": ("annotation", (f"vault.token/{idx}", t)),
        "file-dotenv": ("file", (f"app{idx}.env", f"MODE=prod\nDB_PASSWORD={t}\nLOG=info\n")),
        "file-yaml": (
            "file",
            (
                f"datasource{idx}.yaml",
                f"apiVersion: 1\ndatasources:\n  - name: pg\n    secureJsonData:\n      password: {t}\n",
            ),
        ),
        "file-json": ("file", (f"grafana{idx}.json", f'{{\n  "auth": {{\n    "password": "{t}"\n  }}\n}}\n')),
        "file-properties": (
            "file",
            (
                f"application{idx}.properties",
                f"spring.datasource.url=jdbc:postgresql://db/app\nspring.datasource.password={t}\n",
            ),
        ),
    }[kind]


# ---------------------------------------------------------------------------------------------
# Resources


@st.composite
def container(draw: st.DrawFn, secrets: list[Token], index: int) -> dict:
    env = []
    for i, env_key in enumerate(draw(st.lists(env_name(), max_size=4, unique_by=name_text))):
        if isinstance(env_key, str) and env_key in CREDENTIAL_ENV:
            tok = draw(token())
            secrets.append(tok)
            env.append({"name": env_key, "value": Styled(tok.value, draw(st.sampled_from(("auto", "dq", "sq"))))})
        elif draw(st.integers(0, 5)) == 0:
            env.append({"name": env_key, "valueFrom": {"secretKeyRef": {"name": "creds", "key": f"k{i}"}}})
        else:
            env.append({"name": env_key, "value": draw(st.one_of(styled(), st.sampled_from(PLAIN_HAZARDS).map(Plain)))})
    if draw(st.booleans()):
        tok = draw(token())
        secrets.append(tok)
        env.append({"name": "DATABASE_URL", "value": f"postgresql://app:{tok.value}@db:5432/app"})
    image = draw(
        st.sampled_from(
            (
                "nginx:1.25",
                "nginx",
                "registry.example.com:5000/team/app:1.10",
                "app@sha256:" + "a" * 64,
                "app:1.0@sha256:" + "b" * 64,
                "img:{{ .Release.Name }}",
                "img:on",
                Plain("img:0755"),
                "busybox:latest",
            )
        )
    )
    out: dict = {
        "name": draw(st.sampled_from((f"c{index}", "main", "app", "{{ x }}"))) if index else "main",
        "image": image,
    }
    if draw(st.booleans()):
        out["imagePullPolicy"] = draw(st.sampled_from(("Always", "IfNotPresent")))
    if draw(st.booleans()):
        out["args"] = draw(st.lists(styled(), max_size=3))
    if draw(st.booleans()):
        out["command"] = ["sh", "-c", Styled(draw(multiline()), "block")]
    if draw(st.booleans()):
        port = draw(st.integers(1, 65535))
        out["ports"] = [{"containerPort": port, "name": draw(st.sampled_from(("http", "metrics")))}]
    if env:
        out["env"] = env
    if draw(st.booleans()):
        out["resources"] = {
            "limits": {
                "cpu": draw(st.sampled_from((Plain("500m"), Plain("1"), Plain("0.5"), "2"))),
                "memory": Plain("1Gi"),
            }
        }
    return out


def _annotations(draw: st.DrawFn) -> dict | None:
    if not draw(st.booleans()):
        return None
    pairs = draw(st.lists(st.tuples(key(), scalar_value()), max_size=3, unique_by=lambda p: name_text(p[0])))
    return dict(pairs) or None


@st.composite
def workload(draw: st.DrawFn, nm: Any, kind: str, secrets: list[Token]) -> dict:
    app = draw(st.one_of(st.just(nm), _DNS, st.sampled_from(NAME_HAZARDS)))
    labels = {"app": app}
    containers = [draw(container(secrets, i)) for i in range(draw(st.integers(1, 2)))]
    pod: dict = {"containers": containers}
    if draw(st.booleans()):
        pod["nodeSelector"] = {"disk": draw(styled())}
    if draw(st.booleans()):
        pod["volumes"] = [{"name": "cfg", "configMap": {"name": draw(name())}}]
    template = {"metadata": {"labels": dict(labels)}, "spec": pod}
    if kind == "Job":
        pod["restartPolicy"] = "Never"
        spec: dict = {"template": template, "backoffLimit": draw(st.integers(0, 6))}
    else:
        spec = {"selector": {"matchLabels": dict(labels)}, "template": template}
        if draw(st.booleans()):
            spec["replicas"] = draw(st.one_of(st.integers(0, 10), st.sampled_from((Plain("0x1F"), Plain("1_0")))))
        if kind == "StatefulSet":
            spec["serviceName"] = nm
            if draw(st.booleans()):
                spec["volumeClaimTemplates"] = [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": Plain("10Gi")}},
                        },
                    }
                ]
    return {
        "apiVersion": "batch/v1" if kind == "Job" else "apps/v1",
        "kind": kind,
        "metadata": _meta(nm, labels, _annotations(draw), draw(st.sampled_from((None, None, "prod", Plain("on"))))),
        "spec": spec,
    }


@st.composite
def service(draw: st.DrawFn, nm: Any) -> dict:
    ports = [
        {
            "name": draw(st.sampled_from(("http", "grpc", "{{ p }}"))),
            "port": draw(st.integers(1, 65535)),
            "targetPort": draw(st.one_of(st.integers(1, 65535), st.just("http"))),
        }
    ]
    spec: dict = {"selector": {"app": draw(st.one_of(st.just(nm), _DNS))}, "ports": ports}
    if draw(st.booleans()):
        spec["type"] = draw(st.sampled_from(("ClusterIP", "NodePort", "LoadBalancer")))
    if draw(st.booleans()):
        spec["clusterIP"] = "None"
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(nm, None, _annotations(draw)), "spec": spec}


@st.composite
def config_map(draw: st.DrawFn, nm: Any) -> dict:
    single = st.tuples(key(), st.one_of(styled(), st.sampled_from(PLAIN_HAZARDS).map(Plain)))
    multi = st.tuples(key(), st.builds(Styled, multiline(), st.sampled_from(("block", "block", "dq", "raw-block"))))
    data = dict(draw(st.lists(st.one_of(single, multi), min_size=1, max_size=4, unique_by=lambda p: name_text(p[0]))))
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(nm, None, _annotations(draw)), "data": data}


@st.composite
def secret(draw: st.DrawFn, nm: Any, secrets: list[Token]) -> dict:
    doc: dict = {"apiVersion": "v1", "kind": "Secret", "metadata": _meta(nm), "type": "Opaque"}
    for section in draw(st.sampled_from((("data",), ("stringData",), ("data", "stringData")))):
        entries = {}
        for k in draw(st.lists(key(), min_size=1, max_size=3, unique_by=name_text)):
            tok = draw(token())
            secrets.append(tok)
            if section == "data":
                secrets.append(Token(b64(tok.value), (b64(tok.value),)))
                entries[k] = b64(tok.value)
            else:
                entries[k] = Styled(tok.value, draw(st.sampled_from(("auto", "dq", "sq"))))
        doc[section] = entries
    return doc


@st.composite
def hpa(draw: st.DrawFn, nm: Any, target: Any) -> dict:
    low = draw(st.integers(1, 5))
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(nm),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": low,
            "maxReplicas": low + draw(st.integers(0, 10)),
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": draw(st.integers(1, 100))},
                    },
                }
            ],
        },
    }


@st.composite
def ingress(draw: st.DrawFn, nm: Any, backend: Any) -> dict:
    host = draw(st.sampled_from(("example.com", "*.example.com", "{{ .Values.host }}", "on")))
    path = {
        "path": draw(st.sampled_from(("/", "/api", "/{{ x }}", "/a b"))),
        "pathType": "Prefix",
        "backend": {"service": {"name": backend, "port": {"number": draw(st.integers(1, 65535))}}},
    }
    spec: dict = {"rules": [{"host": host, "http": {"paths": [path]}}]}
    if draw(st.booleans()):
        spec["tls"] = [{"hosts": [host], "secretName": draw(name())}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _meta(nm, None, _annotations(draw)),
        "spec": spec,
    }


_TREE = st.recursive(
    scalar_value(),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(key(), st.sampled_from(("enum", "default", "x-kubernetes"))), children, max_size=3),
    ),
    max_leaves=10,
)


@st.composite
def custom(draw: st.DrawFn, nm: Any) -> dict:
    """A custom resource (an operator's kind) with arbitrary data the tool must pass through."""
    spec = draw(st.dictionaries(key(), _TREE, min_size=1, max_size=4))
    spec["enum"] = [Plain("="), "=", Plain("on")]
    if draw(st.integers(0, 5)) == 0:  # deep nesting, written as a flow sequence
        depth = draw(st.sampled_from((20, 200)))
        spec["deep"] = Plain("[" * depth + "]" * depth)
    if draw(st.integers(0, 5)) == 0:  # anchors and aliases, small enough to expand
        spec["aliases"] = Plain("{a: &a [x, {y: 1}], b: &b [*a, *a], c: [*b, *b, *a]}")
    return {
        "apiVersion": "example.com/v1",
        "kind": draw(st.sampled_from(("Widget", "PrometheusRule", "ScaledObject"))),
        "metadata": _meta(nm, None, _annotations(draw)),
        "spec": spec,
    }


# ConfigMaps and Deployments twice: their data and env lists are where most hazards land.
KINDS = (
    "Deployment",
    "ConfigMap",
    "Service",
    "Secret",
    "Deployment",
    "ConfigMap",
    "Job",
    "HorizontalPodAutoscaler",
    "Ingress",
    "StatefulSet",
    "Custom",
)


@st.composite
def resource(draw: st.DrawFn, nm: Any, secrets: list[Token], names: list[Any]) -> dict:
    kind = draw(st.sampled_from(KINDS))
    other = draw(st.sampled_from(names)) if names else nm
    if kind in ("Deployment", "Job", "StatefulSet"):
        return draw(workload(nm, kind, secrets))
    if kind == "Service":
        return draw(service(nm))
    if kind == "ConfigMap":
        return draw(config_map(nm))
    if kind == "Secret":
        return draw(secret(nm, secrets))
    if kind == "HorizontalPodAutoscaler":
        return draw(hpa(nm, other))
    if kind == "Ingress":
        return draw(ingress(nm, other))
    return draw(custom(nm))


def identity(doc: dict) -> tuple[str, str]:
    return (doc["kind"], name_text(doc["metadata"]["name"]))


@st.composite
def folder(draw: st.DrawFn, min_size: int = 1, max_size: int = 5) -> Folder:
    """A manifest folder: a few resources of common kinds spread over files."""
    names = draw(st.lists(name(), min_size=min_size, max_size=max_size, unique_by=name_text))
    out = Folder()
    for nm in names:
        out.docs.append(draw(resource(nm, out.secrets, names)))
    file_names = draw(st.lists(file_name(), min_size=1, max_size=3, unique_by=str.lower))
    out.files = [draw(st.sampled_from(file_names)) for _ in out.docs]
    return out


# ---------------------------------------------------------------------------------------------
# Environments: a copy of the base folder with some values changed, list items added or removed,
# keys only the environment has, and resources added or removed.

_IDENTITY_PATHS = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")}


def _paths(tree: Any, prefix: tuple = ()) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(leaves, maps, lists) of a document, as paths of keys and indices."""
    leaves: list[tuple] = []
    maps: list[tuple] = []
    lists: list[tuple] = []
    if isinstance(tree, dict):
        maps.append(prefix)
        for k, v in tree.items():
            sub = _paths(v, prefix + (k,))
            leaves += sub[0]
            maps += sub[1]
            lists += sub[2]
    elif isinstance(tree, list):
        lists.append(prefix)
        for i, v in enumerate(tree):
            sub = _paths(v, prefix + (i,))
            leaves += sub[0]
            maps += sub[1]
            lists += sub[2]
    elif prefix not in _IDENTITY_PATHS and prefix[-1:] != ("name",):
        # A list item's name is its identity: renaming is an item removed plus one added (covered
        # below), and a secret renamed to an innocent name could not be recognised as one.
        leaves.append(prefix)
    return leaves, maps, lists


def _get(tree: Any, path: tuple) -> Any:
    for part in path:
        tree = tree[part]
    return tree


@st.composite
def environment(draw: st.DrawFn, base: Folder) -> Folder:
    """An environment folder derived from ``base``."""
    docs = copy.deepcopy(base.docs)
    env = Folder(docs=docs, files=list(base.files), secrets=list(base.secrets))
    for doc in docs:
        for _ in range(draw(st.integers(0, 2))):
            leaves, maps, lists = _paths(doc)
            op = draw(st.sampled_from(("set", "set", "add-key", "drop-item", "add-item")))
            if op == "set" and leaves:
                path = draw(st.sampled_from(leaves))
                _get(doc, path[:-1])[path[-1]] = draw(scalar_value())
            elif op == "add-key" and maps:
                target = _get(doc, draw(st.sampled_from(maps)))
                target.setdefault(draw(key()), draw(scalar_value()))
            elif op == "drop-item" and any(_get(doc, p) for p in lists):
                items = _get(doc, draw(st.sampled_from([p for p in lists if _get(doc, p)])))
                del items[draw(st.integers(0, len(items) - 1))]
            elif op == "add-item" and lists:
                items = _get(doc, draw(st.sampled_from(lists)))
                if items and isinstance(items[0], dict) and "name" in items[0]:
                    new = copy.deepcopy(items[0])
                    new["name"] = draw(st.one_of(_DNS, env_name()))
                    if "value" in new:
                        new["value"] = draw(styled())
                    items.insert(draw(st.integers(0, len(items))), new)
                else:
                    items.insert(draw(st.integers(0, len(items))), draw(scalar_value()))
    if docs and draw(st.integers(0, 3)) == 0:
        drop = draw(st.integers(0, len(docs) - 1))
        del docs[drop]
        del env.files[drop]
    if draw(st.integers(0, 2)) == 0:
        taken = {identity(d) for d in docs}
        extra = draw(folder(max_size=2))
        for doc, file in zip(extra.docs, extra.files, strict=True):
            if identity(doc) not in taken:
                docs.append(doc)
                env.files.append(file)
        env.secrets += extra.secrets
    return env


# ---------------------------------------------------------------------------------------------
# Writing YAML

_PRINTABLE = re.compile("[\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BREAKS = "\r\x85\u2028\u2029"
_DQ_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\x00": "\\0",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
    "\ufeff": "\\uFEFF",
}


def double_quoted(s: str) -> str:
    out = []
    for ch in s:
        if ch in _DQ_ESCAPES:
            out.append(_DQ_ESCAPES[ch])
        elif not _PRINTABLE.fullmatch(ch):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _printable(s: str) -> bool:
    return all(_PRINTABLE.fullmatch(ch) for ch in s) and "\ufeff" not in s


def _plain_ok(s: str) -> bool:
    return bool(_SAFE_PLAIN.fullmatch(s)) and s.lower() not in _YAML11_WORDS and s not in ("Y", "N")


def _block_ok(s: str) -> bool:
    lines = s.split("\n")
    return (
        "\n" in s
        and _printable(s)
        and not any(ch in s for ch in _BREAKS)
        and not any(line[:1] in (" ", "\t") for line in lines)
        and s.strip("\n") != ""
    )


def scalar(value: Any, indent: int) -> str:
    """The spelling of a leaf after ``key:`` or ``- `` (a block scalar continues on the next lines)."""
    if isinstance(value, Plain):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    style, s = ("auto", value) if isinstance(value, str) else (value.style, value.text)
    if style == "raw-block" and "\n" in s and _printable(s.replace("\u2028", "")) and s.strip("\n"):
        style = "block-raw"
    elif style in ("block", "auto") and _block_ok(s):
        style = "block"
    elif style == "sq" and _printable(s) and "\n" not in s and not any(ch in s for ch in _BREAKS):
        return "'" + s.replace("'", "''") + "'"
    elif style == "auto" and _plain_ok(s):
        return s
    else:
        return double_quoted(s)
    # Literal block: clip, strip or keep the final line breaks as the text has them.
    if s.endswith("\n\n"):
        chomp, body = "+", s[:-1]
    elif s.endswith("\n"):
        chomp, body = "", s[:-1]
    else:
        chomp, body = "-", s
    pad = " " * (indent + 2)
    lines = "\n".join(pad + line if line else "" for line in body.split("\n"))
    return f"|{chomp}\n{lines}"


def _key(k: Any) -> str:
    if isinstance(k, Plain):
        return k.text
    s = k.text if isinstance(k, Styled) else str(k)
    if _plain_ok(s) and s != "<<":
        return s
    return double_quoted(s)


def _node(value: Any, indent: int) -> str:
    """Text after ``key:`` for any value: a space and a scalar, or a nested block."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return " {}"
        return "\n" + "\n".join(f"{pad}{_key(k)}:{_node(v, indent + 2)}" for k, v in value.items())
    if isinstance(value, list):
        if not value:
            return " []"
        items = []
        for item in value:
            if isinstance(item, dict) and item:
                first, *rest = item.items()
                lines = [f"{pad}- {_key(first[0])}:{_node(first[1], indent + 4)}"]
                lines += [f"{pad}  {_key(k)}:{_node(v, indent + 4)}" for k, v in rest]
                items.append("\n".join(lines))
            else:
                items.append(f"{pad}-{_node(item, indent + 2)}")
        return "\n" + "\n".join(items)
    return " " + scalar(value, indent - 2)


def dump(doc: dict) -> str:
    return "\n".join(f"{_key(k)}:{_node(v, 2)}" for k, v in doc.items()) + "\n"


def write_folder(
    docs: list[dict], files: list[str], root_text: str, crlf: bool = False, bom: bool = False
) -> dict[str, str]:
    """File name -> text; documents sharing a file are separated by ``---``."""
    out: dict[str, list[str]] = {}
    for doc, file in zip(docs, files, strict=True):
        out.setdefault(file, []).append(dump(doc).replace(ROOT_MARK, root_text))
    texts = {}
    for file, parts in out.items():
        text = "---\n" + "---\n".join(parts)
        if crlf:
            text = text.replace("\n", "\r\n")
        texts[file.replace(ROOT_MARK, root_text)] = ("\ufeff" if bom else "") + text
    return texts


# ---------------------------------------------------------------------------------------------
# Whole cases for the command line


@st.composite
def redaction_folders(draw: st.DrawFn) -> tuple[Folder, Folder | None]:
    """A workload, a ConfigMap of files and a Secret carrying secrets in every known shape; with an
    environment, some secrets change there (so they show up among the environment's differences)."""
    kinds = draw(st.lists(st.sampled_from(PLACEMENTS), min_size=1, max_size=12, unique=True))
    with_env = draw(st.booleans())
    secrets: list[Token] = []
    parts: dict[str, list] = {"base": [], "dev": []}
    for i, kind in enumerate(kinds):
        tok = draw(token())
        dev_tok = draw(token()) if with_env and draw(st.booleans()) else tok
        for tk in {tok, dev_tok}:
            secrets.append(tk)
            if kind == "secret-data":
                secrets.append(Token(b64(tk.value), (b64(tk.value),)))
        parts["base"].append(secret_placement(kind, tok, i))
        parts["dev"].append(secret_placement(kind, dev_tok, i))
    base = Folder(_assemble(parts["base"]), [], secrets)
    base.files = [f"{doc['kind'].lower()}.yaml" for doc in base.docs]
    if not with_env:
        return base, None
    dev = Folder(_assemble(parts["dev"]), list(base.files), secrets)
    return base, dev


def _assemble(parts: list[tuple[str, Any]]) -> list[dict]:
    env = [p for where, p in parts if where == "env"]
    args = [p for where, p in parts if where == "arg"]
    annotations = dict(p for where, p in parts if where == "annotation")
    files = {k: Styled(v, "block") for where, (k, v) in ((w, p) for w, p in parts if w == "file")}
    string_data = dict(p for where, p in parts if where == "secret-string")
    data = dict(p for where, p in parts if where == "secret-data")
    main: dict = {"name": "app", "image": "example/app:1.0"}
    if env:
        main["env"] = env
    if args:
        main["args"] = args
    labels = {"app": "app"}
    docs = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta("app", labels, annotations or None),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [main]}},
            },
        }
    ]
    if files:
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("app-files"), "data": files})
    if string_data or data:
        doc: dict = {"apiVersion": "v1", "kind": "Secret", "metadata": _meta("app-secret"), "type": "Opaque"}
        if data:
            doc["data"] = data
        if string_data:
            doc["stringData"] = string_data
        docs.append(doc)
    return docs


OUT_STATES = (
    "absent",
    "absent",
    "absent",
    "empty",
    "user-files",
    "hostile-state",
    "files-is-a-file",
    "values-is-a-folder",
)
COMPONENT_BY_NAME = """\
description: Each ConfigMap and Secret is a component of its own, named exactly after it.
rules:
  - id: by-name
    description: The resource's own name is its component.
    match: {kinds: [ConfigMap, Secret]}
    component: "{name}"
"""


@dataclass
class CliCase:
    """Everything one run of the command line needs: folders, options and what OUT holds first."""

    base: Folder
    env: Folder | None = None
    out_state: str = "absent"
    first: str = "convert"  # convert | check | diff: a read-only run before the real one
    chart_name: str | None = None
    rules: bool = False
    crlf: bool = False
    bom: bool = False
    src_dir: str = "src"
    env_dir: str = "dev"
    out_dir: str = "out"

    def hidden(self) -> list[str]:
        return self.base.hidden() + (self.env.hidden() if self.env else [])


@st.composite
def cli_case(draw: st.DrawFn) -> CliCase:
    base = draw(folder())
    env = draw(environment(base)) if draw(st.booleans()) else None
    return CliCase(
        base=base,
        env=env,
        out_state=draw(st.sampled_from(OUT_STATES)),
        first=draw(st.sampled_from(("convert", "convert", "check", "diff"))),
        chart_name=draw(
            st.sampled_from((None, None, None, None, '{{ fail "x" }}', "{{ .Release.Name }}", "}}", "Ünï", "x" * 300))
        ),
        rules=draw(st.integers(0, 4)) == 0,
        crlf=draw(st.integers(0, 5)) == 0,
        bom=draw(st.integers(0, 5)) == 0,
        src_dir=draw(st.sampled_from(("src", ".kubernetes", '{{ fail "x" }}', "a b", "é"))),
        env_dir=draw(st.sampled_from(("dev", "envs-dev", "{{ .Release.Name }}"))),
        out_dir=draw(st.sampled_from(("out", ".helm", "my chart", '{{ fail "x" }}', "chart"))),
    )


# ---------------------------------------------------------------------------------------------
# Small known cases, run as explicit examples before the generated ones: each is the smallest
# folder found to break an invariant (issue 7), so a fix can be checked against it directly.

_LINES = Styled("line one\nline two\n", "block")


def config_map_doc(nm: Any, data: dict) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": nm}, "data": data}


def deployment_doc(env: list[dict], nm: str = "web") -> dict:
    labels = {"app": nm}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": nm},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": nm, "image": "nginx", "env": env}]},
            },
        },
    }


def _case(
    docs: list[dict],
    dev: list[dict] | None = None,
    files: list[str] | None = None,
    secrets: list[Token] | None = None,
    **options: Any,
) -> CliCase:
    files = files or [f"r{i}.yaml" for i in range(len(docs))]
    env = Folder(dev, [f"r{i}.yaml" for i in range(len(dev))]) if dev is not None else None
    return CliCase(base=Folder(docs, files, secrets or []), env=env, **options)


def known_cases() -> list[CliCase]:
    plain_cm = config_map_doc("c", {"a": "b"})
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {Plain("on"): {"size": 1}},
    }
    widget_dev = copy.deepcopy(widget)
    widget_dev["spec"][Plain("on")]["size"] = 2
    pass_token = Token("s3cr3t0a1b2c3d", ("s3cr3t0a1b2c3d",))
    return [
        # nothing-outside-out: files/<name>/<key> is not confined to OUT, nor to the review's temp folder
        _case([config_map_doc("../../escaped", {"victim.txt": _LINES})]),
        _case([config_map_doc("../../../../escaped", {"k": _LINES})], first="check"),
        # nothing-outside-out(-shown): state entries outside OUT are deleted, and printed by --diff
        _case([plain_cm], out_state="hostile-state"),
        _case([plain_cm], out_state="hostile-state", first="diff"),
        # no-traceback
        _case([config_map_doc("c", {"a": Plain("0x_")})]),
        _case([deployment_doc([{"name": "A", "value": "b"}])], files=["HELMIFYTPL00000.yaml"]),
        _case([config_map_doc("x" * 300, {"k": _LINES})]),
        _case([config_map_doc("c", {"\x00": _LINES})]),
        _case([config_map_doc("c", {"k": _LINES})], out_state="files-is-a-file"),
        _case([plain_cm], out_state="values-is-a-folder"),
        _case([widget], dev=[widget_dev]),
        _case(
            [
                {
                    "apiVersion": "example.com/v1",
                    "kind": "Widget",
                    "metadata": {"name": "w"},
                    "spec": {"deep": Plain("[" * 450 + "]" * 450)},
                }
            ]
        ),
        # no-secret-shown: DB_PASS is a credential name too
        _case([deployment_doc([{"name": "DB_PASS", "value": pass_token.value}])], secrets=[pass_token]),
        # bounded-time: an env item named 0 that dev gives an extra field
        _case(
            [deployment_doc([{"name": Plain("0"), "value": "fast"}])],
            dev=[deployment_doc([{"name": Plain("0"), "value": "fast", "extra": "x"}])],
        ),
        # convert-reproduces / convert-renders
        _case(
            [deployment_doc([{"name": Plain("0"), "value": "fast"}])],
            dev=[deployment_doc([{"name": Plain("0"), "value": "slow"}])],
        ),
        _case([plain_cm], dev=[config_map_doc("c", {"a": "b", '{{ fail "x" }}': "c"})]),
        _case([plain_cm], dev=[config_map_doc("c", {"a": "b", "{{ .Release.Name }}": "c"})]),
        _case([config_map_doc("c", {Plain("0755"): _LINES})], dev=[config_map_doc("c", {Plain("0755"): _LINES})]),
        _case([plain_cm], files=["x\ny.yaml"]),
        _case(
            [
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": "f", "annotations": {"big": 4.485340003408282e16}},
                    "spec": {"ports": [{"port": 1}]},
                }
            ]
        ),
        # report-is-json: a quoted '1e400' in a lifted map
        _case(
            [
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": "f", "annotations": {"x": Styled("1e400", "sq")}},
                    "spec": {"ports": [{"port": 1}]},
                }
            ]
        ),
    ]


def all_placements() -> tuple[Folder, Folder]:
    """Every secret shape at once, each changed in dev: the redaction catalogue in one folder."""
    secrets: list[Token] = []
    parts: dict[str, list] = {"base": [], "dev": []}
    for i, kind in enumerate(PLACEMENTS):
        for label, tok in (
            ("base", Token(f"s3cr3t{i:08x}/k3y{i:08x}", (f"s3cr3t{i:08x}", f"k3y{i:08x}"))),
            ("dev", Token(f"s3cr3t{i:08x}@k3y{i + 100:08x}", (f"k3y{i + 100:08x}",))),
        ):
            secrets.append(tok)
            if kind == "secret-data":
                secrets.append(Token(b64(tok.value), (b64(tok.value),)))
            parts[label].append(secret_placement(kind, tok, i))
    base = Folder(_assemble(parts["base"]), [], secrets)
    base.files = [f"{doc['kind'].lower()}.yaml" for doc in base.docs]
    return base, Folder(_assemble(parts["dev"]), list(base.files), secrets)
