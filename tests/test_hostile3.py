"""Hostile input that earlier hardening missed: special files and links where input is read,
state and values files that are not what they claim, secrets in arguments, and the cases a
fuzzing campaign (benchmarks/fuzz_convert.py) turned up. Each test runs the CLI as CI would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import assert_reproduces, run, write_tree

from helmify_flts import emit, redact

SECRET = "hunter2zq9secret"


pytestmark = pytest.mark.usefixtures("private_tmp")


def deployment(name: str = "web") -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: {name}
        image: nginx:1.25
        env:
        - name: DB_PASSWORD
          value: {SECRET}
"""


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: a file's bytes, else what it is (links not followed)."""
    out: dict[str, bytes | str] = {}
    if not root.exists():
        return out
    for here, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(here, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                out[rel] = path.read_bytes()
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = "special"
    return out


def assert_refused(result, *words: str) -> None:  # noqa: ANN001
    """Exit 2 with one ``error:`` naming ``words``, no traceback, no secret."""
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error" not in result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    assert SECRET not in result.stdout + result.stderr


def within(seconds: float, *args: str | Path) -> SimpleNamespace:
    """Run the CLI in a process of its own, killed (and the test failed, not hung) after
    ``seconds``: what is tested here is that a run ends."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "helmify_flts.cli", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=seconds,
            env=dict(os.environ, TMPDIR=tempfile.gettempdir()),
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"helmify-flts {' '.join(map(str, args))} ran for over {seconds} s")
    print("exit:", done.returncode, "\nstdout:", done.stdout, "\nstderr:", done.stderr)
    return SimpleNamespace(exit_code=done.returncode, stdout=done.stdout, stderr=done.stderr)


# --------------------------------------------------------------------------- fuzzing finds


def test_a_yaml11_key_an_environment_leaves_out_keeps_its_meaning(tmp_path: Path) -> None:
    """A plain ``yes:`` key is the key "true" to Kubernetes; where an environment leaves it out,
    the chart writes the key anew behind a guard, and wrote the text "yes" (seed 4213)."""
    src = write_tree(
        tmp_path / "src", {"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  yes: db\n"}
    )
    dev = write_tree(
        tmp_path / "dev", {"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: |\n    web\n"}
    )
    out = tmp_path / "out"
    result = run("convert", src, out, "--env", f"dev={dev}")
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, src)
    assert run("verify", out, src, "--env", f"dev={dev}").exit_code == 0


# --------------------------------------------------------------------------- files in SRC that are not files


def kubeconfig() -> str:
    """What a link in a pull request might point at: a file with a credential, outside SRC."""
    return f"apiVersion: v1\nkind: Config\nmetadata: {{name: ci}}\nusers:\n- name: ci\n  user: {{token: {SECRET}}}\n"


@pytest.mark.parametrize("target", ["outside", "/dev/zero"])
@pytest.mark.parametrize("where", ["src", "env"])
def test_a_link_out_of_an_input_folder_is_refused(tmp_path: Path, target: str, where: str) -> None:
    """A link to a file outside the folder (a CI runner's kubeconfig, /dev/zero) was read: the
    first became a template of the chart, the second never ended. kustomize refuses such links."""
    outside = write_tree(tmp_path / "home", {"kube.yaml": kubeconfig()}) / "kube.yaml"
    src = write_tree(tmp_path / "src", {"app.yaml": deployment()})
    dev = write_tree(tmp_path / "dev", {"app.yaml": deployment()})
    folder = src if where == "src" else dev
    (folder / "z.yaml").symlink_to(outside if target == "outside" else Path(target))
    out = tmp_path / "out"
    result = within(30, "convert", src, out, "--env", f"dev={dev}")
    assert_refused(result, "z.yaml", "symbolic link", "outside the folder")
    assert not out.exists()


def test_a_link_inside_the_folder_is_read(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"shared/app.yaml": deployment()})
    (src / "web").mkdir()
    (src / "web" / "app.yaml").symlink_to("../shared/app.yaml")
    out = tmp_path / "out"
    result = run("convert", src, out, "--exclude", "shared/*")
    assert result.exit_code == 0, result.stderr
    assert (out / "templates" / "web.yaml").is_file()


def test_a_named_pipe_in_src_is_refused_at_once(tmp_path: Path) -> None:
    """Reading a named pipe waits for a writer that never comes."""
    src = write_tree(tmp_path / "src", {"app.yaml": deployment()})
    os.mkfifo(src / "pipe.yaml")
    out = tmp_path / "out"
    result = within(30, "convert", src, out)
    assert_refused(result, "pipe.yaml", "named pipe")
    assert not out.exists()


def test_a_file_too_large_for_any_chart_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A manifest file was read whole, whatever its size: a dump committed as .yaml filled the
    memory of the machine running the check. (Sparse: it takes no room on disk.)"""
    from helmify_flts import manifests

    src = write_tree(tmp_path / "src", {"app.yaml": deployment()})
    with (src / "dump.yaml").open("wb") as stream:
        stream.truncate(manifests.MAX_READ + 1)
    out = tmp_path / "out"
    result = within(60, "convert", src, out)
    assert_refused(result, "dump.yaml", "256 MiB", "--exclude")
    assert not out.exists()


def test_the_files_of_a_folder_share_one_read_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helmify_flts import manifests

    src = write_tree(
        tmp_path / "src", {"a.yaml": deployment("a"), "b.yaml": deployment("b"), "c.yaml": deployment("c")}
    )
    size = len(deployment("a").encode())
    monkeypatch.setattr(manifests, "MAX_READ", 2 * size + 10)  # room for two files of the three
    out = tmp_path / "out"
    result = run("convert", src, out)
    assert_refused(result, "c.yaml", "--exclude")
    assert "a.yaml" not in result.stderr and "b.yaml" not in result.stderr
    assert not out.exists()
    monkeypatch.setattr(manifests, "MAX_READ", 3 * size)  # exactly what they hold
    assert run("convert", src, out).exit_code == 0


# --------------------------------------------------------------------------- OUT's state file


@pytest.fixture
def chart(tmp_path: Path) -> tuple[Path, Path]:
    src = write_tree(tmp_path / "src", {"app.yaml": deployment()})
    out = tmp_path / "out"
    assert run("convert", src, out).exit_code == 0
    return src, out


def _pipe(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _deep(path: Path) -> None:
    path.write_text('{"files": ' + "[" * 100_000 + "]" * 100_000 + "}")


def _huge(path: Path) -> None:
    with path.open("w") as stream:
        stream.write('{"files": {}, "pad": "')
        stream.write("x" * (emit.STATE_MAX + 1))
        stream.write('"}')


@pytest.mark.parametrize("spoil", [_pipe, _deep, _huge], ids=["named-pipe", "deep", "huge"])
@pytest.mark.parametrize("mode", [[], ["--check"], ["--diff"]])
def test_a_state_file_that_is_not_one_is_an_error(chart: tuple[Path, Path], spoil, mode: list[str]) -> None:  # noqa: ANN001
    """A named pipe hung the run, deep nesting ended in an internal RecursionError, and a huge
    file was read whole."""
    src, out = chart
    spoil(out / emit.STATE)
    before = snapshot(out)
    result = within(30, "convert", src, out, *mode)
    assert_refused(result, str(out / emit.STATE), "cannot read the state file", "delete")
    assert snapshot(out) == before


# --------------------------------------------------------------------------- verify: the chart is input too


def test_verify_does_not_follow_a_link_out_of_the_chart(chart: tuple[Path, Path], monkeypatch) -> None:  # noqa: ANN001
    """Helm follows links when it loads a chart folder: a link to /proc/self/environ, read with
    .Files.Get into an object's name, printed the CI job's environment in verify's notes."""
    src, out = chart
    monkeypatch.setenv("HELMIFY_TEST_CI_TOKEN", SECRET)
    (out / "files").mkdir()
    (out / "files" / "env").symlink_to("/proc/self/environ")
    write_tree(
        out,
        {
            "templates/mine.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            '  name: {{ .Files.Get "files/env" | replace "\\x00" "-" | quote }}\n'
        },
    )
    result = run("verify", out, src)
    assert_refused(result, str(out / "files" / "env"), "symbolic link", "outside the chart")


@pytest.mark.parametrize("spoil", [_pipe, _deep], ids=["named-pipe", "deep"])
def test_verify_refuses_recorded_declarations_that_are_not_json(chart: tuple[Path, Path], spoil) -> None:  # noqa: ANN001
    src, out = chart
    changes = out / ".helmify-changes.json"
    changes.write_text("{}")
    state = json.loads((out / emit.STATE).read_text())
    state["files"][changes.name] = emit.digest("{}")
    (out / emit.STATE).write_text(json.dumps(state))
    spoil(changes)
    result = within(30, "verify", out, src)
    assert_refused(result, str(changes), "irregular file" if spoil is _pipe else "nested too deeply")


# --------------------------------------------------------------------------- arguments with secrets


@pytest.mark.parametrize(
    ("expression", "shown"),
    [
        (f"web.env.DB_PASSWORD={SECRET},{{bad", "DB_PASSWORD=<redacted>"),  # what follows a comma is quoted back
        (f"db.password=abc,{SECRET}", "db.password=<redacted>"),  # a comma inside a password splits it
        (f"db.password={SECRET},,", "db.password=<redacted>"),
        (f"db.password={SECRET}", None),  # parsed: no error at all
    ],
)
def test_a_set_that_helm_cannot_parse_shows_no_secret(
    chart: tuple[Path, Path], expression: str, shown: str | None
) -> None:
    src, out = chart
    result = run("verify", out, src, "--set", expression)
    assert SECRET not in result.stdout + result.stderr
    if shown is None:
        assert result.exit_code == 0, result.stderr
    else:
        assert_refused(result, "--set", shown)


@pytest.mark.parametrize(
    "value", [f"DB_PASSWORD={SECRET}", f"dev=postgres://app:{SECRET}@db/app", f"dev=--token={SECRET}"]
)
def test_an_env_argument_with_a_credential_is_not_echoed(tmp_path: Path, value: str) -> None:
    src = write_tree(tmp_path / "src", {"app.yaml": deployment()})
    result = run("convert", src, tmp_path / "out", "--env", value)
    assert_refused(result, "--env")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- numbers and keys of odd sizes

BIG = "9" * 5000  # Python refuses to read a decimal of over 4,300 digits


def web_with(annotations: str = "{}", args: str = "[]", env: str = "[]") -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, labels: {{app: web}}}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata:
      labels: {{app: web}}
      annotations: {annotations}
    spec:
      containers:
      - name: web
        image: nginx
        args: {args}
        env: {env}
---
apiVersion: v1
kind: Service
metadata: {{name: kafka}}
spec:
  selector: {{app: kafka}}
  ports: [{{port: 9092}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: prom, labels: {{app: prometheus}}}}
spec:
  selector: {{matchLabels: {{app: prometheus}}}}
  template:
    metadata: {{labels: {{app: prometheus}}}}
    spec:
      containers: [{{name: prometheus, image: prom/prometheus}}]
"""


@pytest.mark.parametrize(
    "manifest",
    [
        "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\n"
        f"spec:\n  n: {BIG}\n  m: -{BIG}\n  h: 0x{'f' * 5000}\n  o: 0{'7' * 5000}\n  z: {'0' * 5000}1\n",
        f"apiVersion: example.com/v1\nkind: Thing\nmetadata: {{name: t}}\nspec:\n  ? {BIG}\n  : x\n",
        web_with(annotations='{prometheus.io/scrape: "true", prometheus.io/port: "²"}'),
        web_with(annotations=f'{{prometheus.io/scrape: "true", prometheus.io/port: "{BIG}"}}'),
        web_with(args='["--broker", "kafka", "²"]'),
        web_with(args=f'["--broker", "kafka", "{BIG}"]'),
    ],
    ids=["huge-integers", "huge-integer-key", "superscript-port", "huge-port", "superscript-arg", "huge-arg"],
)
def test_numbers_python_cannot_read_are_text(tmp_path: Path, manifest: str) -> None:
    """Each ended the run in an internal ValueError: a 5,000-digit integer (int() refuses it) and
    "²" (str.isdigit says yes, int() says no) where a port may stand."""
    src = write_tree(tmp_path / "src", {"a.yaml": manifest})
    out = tmp_path / "out"
    result = run("convert", src, out)
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, src) if "Thing" not in manifest else None
    assert run("verify", out, src).exit_code in (0, 1)  # custom kinds have no schema; it must not crash


RULE = """rules:
  - id: my-rule
    description: x
    match: {kinds: [Deployment]}
    path: PATH
    key: "KEY"
"""


@pytest.mark.parametrize(
    ("path", "key", "words"),
    [
        (f"spec.template.spec.containers[{BIG}].image", "{base}.image", ["list index", "too large"]),
        (f"spec.template.spec.containers[{BIG}:].image", "{base}.image", ["list index", "too large"]),
        ("spec.replicas", "{base}." + ".".join(["k"] * 20000), ["20001 parts", "at most 64"]),
    ],
    ids=["huge-index", "huge-slice", "deep-key"],
)
def test_a_rule_file_with_odd_sizes_is_an_error_with_its_line(
    tmp_path: Path, path: str, key: str, words: list[str]
) -> None:
    """A huge list index ended in an internal ValueError, a key of 20,000 parts in a RecursionError."""
    src = write_tree(tmp_path / "src", {"app.yaml": deployment()})
    rules = write_tree(tmp_path, {"r.yaml": RULE.replace("PATH", path).replace("KEY", key)}) / "r.yaml"
    out = tmp_path / "out"
    result = run("convert", src, out, "--rules", rules)
    assert_refused(result, f"{rules}:", *words)
    assert not out.exists()


LONG = "K" * 1100  # YAML reads a key written without "? " only up to 1024 characters


def test_a_key_too_long_for_a_simple_yaml_key_in_values(tmp_path: Path) -> None:
    """An env var's name becomes a key of values.yaml: Helm could not read it back (exit 1, "a bug")."""
    src = write_tree(tmp_path / "src", {"a.yaml": web_with(env=f'[{{name: {LONG}, value: "x"}}]')})
    out = tmp_path / "out"
    result = run("convert", src, out)
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, src)
    assert f"? {LONG}" in (out / "values.yaml").read_text()


def test_a_long_key_only_an_environment_has(tmp_path: Path) -> None:
    """The template writes such a key behind a guard, and Helm's output could not be read back."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: z\n"
    src = write_tree(tmp_path / "src", {"a.yaml": cm})
    dev = write_tree(tmp_path / "dev", {"a.yaml": cm + f"  ? {LONG}\n  : x\n"})
    out = tmp_path / "out"
    result = run("convert", src, out, "--env", f"dev={dev}")
    assert result.exit_code == 0, result.stderr
    assert run("verify", out, src, "--env", f"dev={dev}").exit_code == 0


def test_a_rule_key_too_long_for_a_simple_yaml_key(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.yaml": deployment()})
    rules = write_tree(tmp_path, {"r.yaml": RULE.replace("PATH", "spec.replicas").replace("KEY", "{base}." + LONG)})
    out = tmp_path / "out"
    result = run("convert", src, out, "--rules", rules / "r.yaml")
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, src)


@pytest.mark.parametrize("part", ["²", BIG])
def test_redaction_reads_no_odd_digits_as_a_list_index(part: str) -> None:
    obj = {"args": ["--token", SECRET]}
    assert redact.path_names(obj, ["args", part]) == ("args",)
    assert redact.at("Pod", obj, ["args", part], SECRET) in (SECRET, "<redacted>")


# --------------------------------------------------------------------------- a Secret's value elsewhere

HELD = "Zq7plainSecretValue"


def secret_elsewhere() -> dict[str, str]:
    """A Secret whose value is copied into a ConfigMap, annotations, a command line and env values
    that no name or shape gives away."""
    return {
        "secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\nstringData:\n  password: {HELD}\n"
        "  username: appuser\n",
        "data.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: api}}\ndata:\n  apiToken: "
        f"{__import__('base64').b64encode(b'Yt5otherSecretValue').decode()}\n",
        "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"
        f"  annotations: {{note: {HELD}}}\ndata:\n  conf: {HELD}\n  multi: |\n    line1\n    {HELD}\n"
        "  other: Yt5otherSecretValue\n  who: appuser\n",
        "app.yaml": f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, labels: {{app: web}}, annotations: {{x: {HELD}}}}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx
        command: ["sh", "-c", "run --flag {HELD}"]
        env:
        - {{name: PLAIN, value: {HELD}}}
        - {{name: OTHER, value: Yt5otherSecretValue}}
        - {{name: WHO, value: appuser}}
""",
    }


def test_a_secrets_value_is_hidden_wherever_else_it_appears(tmp_path: Path) -> None:
    """The report showed a Secret's value where a ConfigMap or an env var held it under a name
    that gives nothing away; a name a Secret holds as a user stays readable."""
    src = write_tree(tmp_path / "src", secret_elsewhere())
    out = tmp_path / "out"
    result = run("convert", src, out, "-v")
    assert result.exit_code == 0, result.stderr
    for shown in (result.stdout + result.stderr, (out / "helmify-report.md").read_text()):
        assert HELD not in shown and "Yt5otherSecretValue" not in shown
    report = (out / "helmify-report.json").read_text()
    assert HELD not in report and "Yt5otherSecretValue" not in report
    assert "appuser" in report  # a user name is no secret, and hiding it would hide other things
    assert_reproduces(out, src)


def test_a_secrets_value_is_hidden_in_verify_differences(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", secret_elsewhere())
    out = tmp_path / "out"
    assert run("convert", src, out).exit_code == 0
    changed = {**secret_elsewhere()}
    changed["cm.yaml"] = changed["cm.yaml"].replace("conf: ", "conf: x")  # the ConfigMap now differs
    other = write_tree(tmp_path / "other", changed)
    result = run("verify", out, other)
    assert result.exit_code == 1, result.stderr
    assert "conf" in result.stdout + result.stderr
    assert HELD not in result.stdout + result.stderr


def test_a_multi_line_value_that_starts_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Helm drops a byte order mark that starts a chart file: moved to files/, the value lost it
    (fuzz_convert --seed 60221)."""
    cm = (
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: g\ndata:\n  y: "\\uFEFF\\nvalue\\n"\n  z: "\\uFEFFa\\nb"\n'
    )
    src = write_tree(tmp_path / "src", {"a.yaml": cm})
    out = tmp_path / "out"
    result = run("convert", src, out)
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, src)
    dev = write_tree(tmp_path / "dev", {"a.yaml": cm.replace("value", "other")})
    result = run("convert", src, out, "--env", f"dev={dev}")
    assert result.exit_code in (0, 2), result.stderr
    assert "a bug" not in result.stderr


# --------------------------------------------------------------------------- a team's values file


@pytest.mark.parametrize(
    ("layout", "line", "words"),
    [
        (f"web:\n  replicas: {BIG}\n", 2, ["5000 digits", "quote it"]),  # an internal ValueError
        ("web:\n  ~: 1\n", 2, ["null key", "name the key"]),  # values.yaml Helm could not read: "a bug"
        ("web:\n  image: {}\n  null: 1\n", 3, ["null key"]),
    ],
    ids=["huge-integer", "tilde-key", "null-key"],
)
def test_a_values_layout_helm_cannot_hold_is_an_error_with_its_line(
    tmp_path: Path, layout: str, line: int, words: list[str]
) -> None:
    src = write_tree(tmp_path / "src", {"app.yaml": deployment()})
    team = write_tree(tmp_path / "team", {"values.yaml": layout}) / "values.yaml"
    out = tmp_path / "out"
    result = run("convert", src, out, "--values-layout", team, "--write-rules", tmp_path / "rules.yaml")
    assert_refused(result, f"{team}:{line}:", *words)
    assert not out.exists() and not (tmp_path / "rules.yaml").exists()


@pytest.mark.parametrize("tag", ["!!int", "!!float", "!!bool", "!!null"])
def test_a_tag_error_in_a_secret_does_not_quote_the_value(tmp_path: Path, tag: str) -> None:
    """The message quoted the text the tag could not decode: a Secret's value."""
    secret = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\nstringData:\n  k: {tag} {SECRET}\n"
    src = write_tree(tmp_path / "src", {"s.yaml": secret})
    result = run("convert", src, tmp_path / "out")
    assert_refused(result, "s.yaml:5:", f"as a {tag}")


def test_a_rule_file_that_cannot_be_written_stops_the_run_before_the_chart(tmp_path: Path) -> None:
    """--write-rules into a folder that does not exist wrote the chart, then failed: half a run."""
    src = write_tree(tmp_path / "src", {"app.yaml": deployment()})
    team = write_tree(tmp_path / "team", {"values.yaml": "web:\n  replicas: 2\n"}) / "values.yaml"
    out = tmp_path / "out"
    target = tmp_path / "missing" / "rules.yaml"
    result = run("convert", src, out, "--values-layout", team, "--write-rules", target)
    assert_refused(result, "--write-rules", str(target.parent), "create it")
    assert not out.exists() and not target.parent.exists()


# --------------------------------------------------------------------------- what the CLI prints


def test_input_text_cannot_start_a_ci_command_line_or_move_the_cursor(tmp_path: Path) -> None:
    """A file or resource name with a line break printed a line of its own: "::add-mask::" or
    "##vso[...]" there is a command to the CI runner; an escape sequence rewrites the terminal."""
    src = write_tree(
        tmp_path / "src",
        {
            "a\n::error::injected.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: 1\n",
            "b.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "b\\n::add-mask::x"}\ndata: {x: "1"}\n',
            "d.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "d\\e[2J\\r##vso[task.setvariable]x"}\n'
            'data: {x: "1"}\n',
        },
    )
    for args in (["convert", src, tmp_path / "out", "-v"], ["convert", src, tmp_path / "out", "-v", "--exclude", "a*"]):
        result = run(*args)
        printed = result.stdout + result.stderr
        assert result.exit_code in (0, 2), printed
        assert not [line for line in printed.splitlines() if line.lstrip().startswith(("::", "##"))], printed
        assert "\x1b" not in printed and "\r" not in printed
        assert "injected.yaml" in printed or "add-mask" in printed  # the name is still shown, escaped


def test_a_hand_edited_report_nested_past_reading(tmp_path: Path) -> None:
    """--check reads OUT's report for the kustomize that built it: nested JSON ended in an
    internal RecursionError."""
    src = write_tree(tmp_path / "src", {"app.yaml": deployment()})
    out = tmp_path / "out"
    assert run("convert", src, out).exit_code == 0
    report = out / "helmify-report.json"
    text = report.read_text().rstrip()
    report.write_text(text[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    result = run("convert", src, out, "--check")
    assert result.exit_code == 1, result.stderr
    assert "helmify-report.json" in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_a_rule_file_cannot_extend_a_file_elsewhere_on_the_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """extends read any file on the runner (a kubeconfig), and its keys showed in the errors."""
    secret = write_tree(tmp_path / "home", {".kube/config.yaml": kubeconfig()}) / ".kube" / "config.yaml"
    work = write_tree(tmp_path / "work", {"src/app.yaml": deployment()})
    target = str(secret) if how == "absolute" else os.path.relpath(secret, work / "ci")
    rules = write_tree(work, {"ci/rules.yaml": f"extends: [{json.dumps(target)}]\nrules: []\n"}) / "ci" / "rules.yaml"
    monkeypatch.chdir(work)
    result = run("convert", "src", "out", "--rules", "ci/rules.yaml")
    assert_refused(result, "ci/rules.yaml:1:", "outside the rule file's folder")
    assert "apiVersion" not in result.stderr and not (work / "out").exists()
    assert rules.is_file()


def test_a_rule_file_may_extend_one_beside_it_or_in_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = "rules:\n  - id: r\n    description: x\n    match: {kinds: [Deployment]}\n    path: spec.replicas\n"
    base += '    key: "{base}.replicaCount"\n'
    work = write_tree(
        tmp_path / "work",
        {
            "src/app.yaml": deployment(),
            "shared/base.yaml": base,
            "ci/team/rules.yaml": "extends: [../../shared/base.yaml]\nrules: []\n",
        },
    )
    monkeypatch.chdir(work)
    result = run("convert", "src", "out", "--rules", "ci/team/rules.yaml")
    assert result.exit_code == 0, result.stderr
    assert "replicaCount" in (work / "out" / "values.yaml").read_text()


def test_a_credential_given_to_verify_is_hidden_where_it_renders_unnamed(chart: tuple[Path, Path]) -> None:
    """A password passed with --set (or --values) is hidden by its key; where it renders into a
    field that names nothing (an image), the difference showed it."""
    src, out = chart
    values = write_tree(out.parent, {"ci.yaml": f"web:\n  image:\n    repository: {SECRET}x\n"}) / "ci.yaml"
    result = run(
        "verify", out, src, "--set", f"web.env.DB_PASSWORD={SECRET}", "--set", f"web.image.repository={SECRET}"
    )
    assert result.exit_code == 1, result.stderr
    assert "image" in result.stdout + result.stderr and SECRET not in result.stdout + result.stderr
    team = write_tree(out.parent, {"team.yaml": f"web:\n  env:\n    DB_PASSWORD: {SECRET}x\n"}) / "team.yaml"
    result = run("verify", out, src, "--values", team, "--values", values)
    assert result.exit_code == 1, result.stderr
    assert "image" in result.stdout + result.stderr and SECRET not in result.stdout + result.stderr


def test_the_review_report_keeps_a_name_on_its_line(tmp_path: Path) -> None:
    """A resource name with a line break started a line of its own in helmify-report.md."""
    src = write_tree(
        tmp_path / "src",
        {"b.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "b\\n::add-mask::x\\e[2J"}\ndata: {x: "1"}\n'},
    )
    out = tmp_path / "out"
    assert run("convert", src, out).exit_code == 0
    report = (out / "helmify-report.md").read_text()
    assert not [line for line in report.splitlines() if line.startswith("::")], report
    assert "\x1b" not in report and "### ConfigMap/b\\u000a::add-mask::x\\u001b[2J" in report


def test_a_secret_value_that_is_also_a_name_stays_readable_as_the_name(tmp_path: Path) -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {TOKEN: creds}\n"
    src = write_tree(tmp_path / "src", {"s.yaml": secret, "app.yaml": deployment()})
    result = run("convert", src, tmp_path / "out", "-v")
    assert result.exit_code == 0, result.stderr
    assert "Secret/creds" in result.stderr and "<redacted>" not in result.stderr


def test_an_empty_list_only_an_environment_has_where_the_chart_writes_it_when_set(tmp_path: Path) -> None:
    """The base's Ingress has TLS entries, dev's an empty list: the template wrote the field only
    when it held something, so dev's render lost it and the run ended in "a bug" (exit 1,
    fuzz_convert --seed 5150), later in an error. Now the field is guarded by presence, and dev
    renders its empty list (tests/test_env_presence.py covers the other shapes)."""
    ingress = (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  rules:\n"
        "  - host: example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
        "        backend: {service: {name: web, port: {number: 80}}}\n"
    )
    src = write_tree(tmp_path / "src", {"a.yaml": ingress + "  tls:\n  - {hosts: [example.com], secretName: t}\n"})
    dev = write_tree(tmp_path / "dev", {"a.yaml": ingress + "  tls: []\n"})
    out = tmp_path / "out"
    result = run("convert", src, out, "--env", f"dev={dev}")
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, src)
    dev_values = yaml.safe_load((out / "values-dev.yaml").read_text())
    assert dev_values["web"]["ingress"]["tls"] == []
    assert_reproduces(out, dev, dev_values)
    same = write_tree(tmp_path / "same", {"a.yaml": ingress + "  tls: []\n"})  # empty in the base too: fine
    assert run("convert", same, tmp_path / "out2", "--env", f"dev={dev}").exit_code == 0
