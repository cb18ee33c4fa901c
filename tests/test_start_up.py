"""Start-up and end-to-end speed: what a plain convert loads, and when the kustomize builds run."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, convert_ok, write_tree

from helmify_flts import chart, kustomize

SHOP = ROOT / "tests" / "kustomize" / "shop"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: team\ndata:\n  k: v\n"


def _modules_after(code: str, prefix: str = "helmify_flts") -> set[str]:
    """The modules (named ``prefix``...) a fresh interpreter has loaded after running ``code``."""
    probe = code + f"\nimport sys; print(' '.join(m for m in sys.modules if m.startswith({prefix!r})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_the_cli_loads_no_conversion_module_before_a_command_runs() -> None:
    loaded = _modules_after("import helmify_flts.cli")
    assert not {"helmify_flts.chart", "helmify_flts.report", "helmify_flts.proof", "helmify_flts.render"} & loaded
    assert not any(m.startswith("helmify_flts.refactorings") for m in loaded)


def test_a_plain_convert_does_not_load_the_refactorings(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": CM})
    code = (
        "import sys\nfrom helmify_flts.cli import main\n"
        f"try:\n    main(['convert', '-q', {str(src)!r}, {str(tmp_path / 'out')!r}])\n"
        "except SystemExit as exc:\n    assert exc.code == 0, exc.code"
    )
    loaded = _modules_after(code)
    assert "helmify_flts.chart" in loaded and (tmp_path / "out" / "values.yaml").is_file()
    assert not any(m.startswith("helmify_flts.refactorings") for m in loaded)


def _convert_code(*args: object) -> str:
    """Python that runs ``helmify-flts convert -q ARGS`` and checks it succeeded."""
    argv = ["convert", "-q", *map(str, args)]
    return (
        f"import sys\nfrom helmify_flts.cli import main\ntry:\n    main({argv!r})\n"
        "except SystemExit as exc:\n    assert exc.code == 0, exc.code"
    )


def test_a_plain_convert_loads_only_what_it_runs(tmp_path: Path) -> None:
    # Each module costs start-up time: the environments load only with --env, subprocess only
    # where a kustomization is built, and the host name is read without the socket module.
    src = write_tree(tmp_path / "src", {"cm.yaml": CM})
    loaded = _modules_after(_convert_code(src, tmp_path / "out"), prefix="")
    assert "helmify_flts.chart" in loaded and (tmp_path / "out" / "values.yaml").is_file()
    assert not {"helmify_flts.environments", "helmify_flts.credentials", "subprocess", "socket"} & loaded
    env = write_tree(tmp_path / "dev", {"cm.yaml": CM.replace("k: v", "k: w")})
    with_env = _modules_after(_convert_code(src, tmp_path / "out2", f"--env=dev={env}"))
    assert {"helmify_flts.environments", "helmify_flts.credentials"} <= with_env


def test_builds_start_before_the_yaml_library_loads(tmp_path: Path) -> None:
    # A kustomize build is the longest step of a run that has one: it starts before the tool loads
    # the YAML library (a quarter of its imports), which then loads while the build runs.
    src = write_tree(tmp_path / "src", {"cm.yaml": CM})
    code = (
        "import sys\nfrom helmify_flts import kustomize\nreal, seen = kustomize.Sources.start, []\n"
        "def start(self, folders):\n    seen.append('yaml' in sys.modules)\n    real(self, folders)\n"
        "kustomize.Sources.start = start\n"
        + _convert_code(src, tmp_path / "out")
        + "\nfinally:\n    print('yaml loaded at the first start:', seen[0])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "yaml loaded at the first start: False" in done.stdout


def test_without_refactorings_the_proof_still_renders_in_the_main_namespace(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": CM})
    result = chart.build(chart.Options(src=src, chart_name="c"))
    assert result.declared == {} and (result.proof_release, result.proof_namespace) == ("release", "team")
    convert_ok(src, tmp_path / "out")
    report = json.loads((tmp_path / "out" / "helmify-report.json").read_text(encoding="utf-8"))
    assert report["proof"] == {"release": "release", "namespace": "team"}


def test_builds_start_without_waiting_and_load_waits_for_them(monkeypatch: pytest.MonkeyPatch) -> None:
    real = kustomize.build
    started: list[str] = []

    def slow(folder: Path, tool: kustomize.Tool) -> kustomize.Build:
        started.append(threading.current_thread().name)
        time.sleep(1.0)
        return real(folder, tool)

    monkeypatch.setattr(kustomize, "build", slow)
    sources = kustomize.Sources()
    begun = time.monotonic()
    sources.start([SHOP / "base", SHOP / "overlays" / "prod"])
    assert time.monotonic() - begun < 0.5  # the caller goes on loading while the builds run
    loaded = sources.load(SHOP / "base")
    assert loaded.built_with and all(r.built for r in loaded.resources)
    assert "(" in str(sources.tool)  # the version query ran beside the builds and was collected
    assert sources.load(SHOP / "overlays" / "prod").resources and len(started) == 2


def test_a_missing_kustomize_is_said_when_the_folder_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    sources = kustomize.Sources()
    sources.start([SHOP / "base"])  # nothing to say yet: a bad rule file would be said first
    with pytest.raises(kustomize.UserError) as caught:
        sources.load(SHOP / "base")
    assert "--raw" in caught.value.message


def test_values_layout_builds_each_folder_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    real = kustomize.build

    def counting(folder: Path, tool: kustomize.Tool) -> kustomize.Build:
        calls.append(folder)
        return real(folder, tool)

    monkeypatch.setattr(kustomize, "build", counting)
    layout = write_tree(tmp_path / "team", {"values.yaml": "web:\n  replicas: 2\n"})
    convert_ok(SHOP / "base", tmp_path / "chart", "--values-layout", layout / "values.yaml")
    assert len(calls) == 1


def test_flts_end_to_end_in_a_bounded_time(tmp_path: Path) -> None:
    # Generous for a loaded 2-core machine; the benchmark gives the real figure.
    started = time.monotonic()
    envs = [f"--env={n}={FIXTURES / 'environments' / n}" for n in ("dev", "prod")]
    rules = ["--chart-name", "flts", "--rules", str(ROOT / "rules" / "flts.yaml")]
    done = subprocess.run(
        [sys.executable, "-m", "helmify_flts.cli", "convert", "-q", str(FIXTURES / ".kubernetes"), str(tmp_path / "o")]
        + rules
        + envs,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 20


def test_the_proof_and_the_report_construct_each_resource_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from helmify_flts import kyaml, proof, report

    envs = tuple((n, FIXTURES / "environments" / n) for n in ("dev", "prod"))
    opts = chart.Options(src=FIXTURES / ".kubernetes", chart_name="flts", envs=envs, raw=True)
    result = chart.build(opts)
    nodes = {id(r.node) for r in (*result.resources, *(r for el in result.environments.values() for r in el.resources))}
    made: list[int] = []
    real = kyaml.construct

    def counting(node: object) -> object:
        if id(node) in nodes:
            made.append(id(node))
        return real(node)

    monkeypatch.setattr(kyaml, "construct", counting)
    proven = proof.prove_conversion(result)
    report.files(result, proven)
    assert proven.ok and len(made) == len(set(made))  # before: up to four times each
    assert {id(node) for node in result.plain} >= nodes  # planning made them: the proof and report reuse them


@pytest.mark.parametrize(
    "annotation",
    [
        "path: web.yaml\n",
        "path: a b.yaml\n",
        "configuredIn: ../../base/kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: SecretGenerator\n",
        "path: 0755\n",
        "path: on\n",
        'path: "quoted.yaml"\n',
        "path: web.yaml # comment\n",
        "path: - x\n",
        "repo: https://github.com/o/r\nref: v1\npath: app.yaml\n",
        "path:\n",
        "configuredBy:\n  kind: X\n",
        "  path: x.yaml\n",
    ],
)
def test_origin_annotations_read_without_a_parser_as_the_parser_reads_them(annotation: str) -> None:
    from helmify_flts import kyaml

    fast = kustomize._plain_lines(annotation)
    try:
        parsed = kyaml.load_all(annotation)[0]
    except Exception:  # noqa: BLE001 - what the parser refuses must not be read the fast way
        parsed = None
    assert fast is None or fast == parsed
    if annotation.startswith(("path: web.yaml\n", "configuredIn:")):  # what kustomize writes: no parser
        assert fast is not None and kustomize._origin(annotation, "/tmp/w", "/tmp/w") is not None


def test_loading_the_rules_looks_for_the_built_in_packs_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from helmify_flts import rules

    looked: list[Path] = []
    real = Path.is_file

    def is_file(path: Path) -> bool:
        if path.name == f"{rules.DEFAULT_PACK}.yaml":
            looked.append(path)
        return real(path)

    rules._builtin_dir.cache_clear()
    monkeypatch.setattr(Path, "is_file", is_file)
    ruleset = rules.load_rules((str(ROOT / "rules" / "flts.yaml"),))
    assert ruleset.rules and len(looked) <= len(rules.BUILTIN_DIR_CANDIDATES) + 1  # before: about 300


FAKE_KUSTOMIZE = """#!/bin/sh
if [ "$1" = version ]; then echo v5.5.0; exit 0; fi
cat <<DOC
apiVersion: v1
kind: ConfigMap
metadata:
  name: env
  annotations:
    config.kubernetes.io/origin: |
      path: kustomization.yaml
data:
  GOGC: "$GOGC"
  GOMEMLIMIT: "$GOMEMLIMIT"
DOC
"""


@pytest.mark.parametrize(("given", "seen"), [({}, ("400", "1GiB")), ({"GOGC": "50"}, ("50", ""))])
def test_kustomize_runs_with_less_garbage_collection_unless_the_user_set_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: dict, seen: tuple
) -> None:
    from helmify_flts import kyaml

    bin_dir = write_tree(tmp_path / "bin", {"kustomize": FAKE_KUSTOMIZE})
    (bin_dir / "kustomize").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    for name in ("GOGC", "GOMEMLIMIT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    src = write_tree(tmp_path / "src", {"kustomization.yaml": "resources: []\n"})
    sources = kustomize.Sources()
    (res,) = sources.load(src).resources
    data = kyaml.construct(res.node)["data"]
    assert (data["GOGC"], data["GOMEMLIMIT"]) == seen and "v5.5.0" in str(sources.tool)


def test_the_report_is_prepared_while_the_chart_is_proven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import helm_python

    from helmify_flts import report

    preparing = threading.Event()
    overlapped: list[tuple[bool, str]] = []
    real_render, real_init = helm_python.Chart.render, report.Prepared.__init__

    def render(self: helm_python.Chart, *args: object, **kwargs: object) -> dict:
        # in turn, the report would start only after this returned
        overlapped.append((preparing.wait(timeout=10), threading.current_thread().name))
        return real_render(self, *args, **kwargs)

    def prepare(self: report.Prepared, result: chart.Result) -> None:
        preparing.set()
        real_init(self, result)

    monkeypatch.setattr(helm_python.Chart, "render", render)
    monkeypatch.setattr(report.Prepared, "__init__", prepare)
    convert_ok(write_tree(tmp_path / "src", {"cm.yaml": CM}), tmp_path / "out")
    assert overlapped == [(True, "helm-render")] and (tmp_path / "out" / "helmify-report.json").is_file()


def test_an_error_in_the_report_is_said_once_the_render_has_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import helm_python
    from conftest import run

    from helmify_flts import report

    rendering: list[str] = []
    real_render = helm_python.Chart.render

    def render(self: helm_python.Chart, *args: object, **kwargs: object) -> dict:
        time.sleep(0.2)  # the report fails long before this ends
        rendering.append("done")
        return real_render(self, *args, **kwargs)

    def broken(self: report.Prepared, result: chart.Result) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(helm_python.Chart, "render", render)
    monkeypatch.setattr(report.Prepared, "__init__", broken)
    done = run("convert", write_tree(tmp_path / "src", {"cm.yaml": CM}), tmp_path / "out")
    assert done.exit_code == 2 and "internal error: ZeroDivisionError" in done.stderr
    assert rendering == ["done"] and not any(t.name == "helm-render" for t in threading.enumerate())
    assert not (tmp_path / "out").exists()


def test_an_error_in_the_proof_is_said_once_the_report_is_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import run

    from helmify_flts import proof

    def broken(_result: chart.Result, meanwhile: object = None) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(proof, "prove_conversion", broken)
    done = run("convert", write_tree(tmp_path / "src", {"cm.yaml": CM}), tmp_path / "out")
    assert done.exit_code == 2 and "internal error: ZeroDivisionError" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_run_that_stops_early_stops_the_builds_it_started(tmp_path: Path) -> None:
    import os

    slow = '#!/bin/sh\nif [ "$1" = version ]; then echo v5.5.0; exit 0; fi\nexec sleep 60\n'
    bin_dir = write_tree(tmp_path / "bin", {"kustomize": slow})
    (bin_dir / "kustomize").chmod(0o755)
    src = write_tree(tmp_path / "src", {"kustomization.yaml": "resources: []\n"})
    bad = write_tree(tmp_path / "rules", {"bad.yaml": "rules: [{id: x, nonsense: 1}]\n"}) / "bad.yaml"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "TMPDIR": str(tmp_path)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "helmify_flts.cli", "convert", str(src), str(tmp_path / "out"), "--rules", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2 and "bad.yaml" in done.stderr, done.stderr
    assert time.monotonic() - started < 30  # the build would take 60 s
    assert not list(tmp_path.glob("helmify-render-*"))  # the build's own temporary folder is gone too


def test_a_large_chart_is_proven_before_its_report_is_prepared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A chart above the size at which it renders in groups does not hold the report's data beside
    # the Helm engine's: the two take turns, in the command's thread.
    from helmify_flts import partition, proof, report

    steps: list[tuple[str, str]] = []
    real_prove, real_init = proof.prove_conversion, report.Prepared.__init__

    def prove(result: chart.Result, meanwhile: object = None) -> proof.ChartProof:
        steps.append(("prove", threading.current_thread().name))
        return real_prove(result, meanwhile)

    def prepare(self: report.Prepared, result: chart.Result) -> None:
        steps.append(("prepare", threading.current_thread().name))
        real_init(self, result)

    monkeypatch.setattr(partition, "GROUP_BYTES", 10)
    monkeypatch.setattr(proof, "prove_conversion", prove)
    monkeypatch.setattr(report.Prepared, "__init__", prepare)
    convert_ok(write_tree(tmp_path / "src", {"cm.yaml": CM}), tmp_path / "out")
    main = threading.main_thread().name
    assert steps == [("prove", main), ("prepare", main)]


def test_the_collector_is_paused_from_the_first_import_to_the_proof(tmp_path: Path) -> None:
    """Importing the conversion's modules and building its node trees make no cycles worth a
    scan; the collections Python starts on its own during a plain convert come only after the
    proof (when the report is written)."""
    src = write_tree(tmp_path / "src", {"cm.yaml": CM})
    code = (
        "import gc\nruns = []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'start' and runs.append(info['generation']))\n"
        "import helmify_flts.cli\nbefore = len(runs)\n" + _convert_code(src, tmp_path / "out") + "\n"
        "print(before, len(runs), 'helmify_flts.proof' in __import__('sys').modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after, proved = done.stdout.split()
    assert proved == "True"
    # Importing the CLI alone collects (so the probe works); the command adds almost nothing.
    assert int(before) > 0
    assert int(after) - int(before) <= 3


def test_patterns_few_texts_need_are_compiled_only_when_used() -> None:
    """Compiling a regular expression costs 0.1-0.8 ms; these are for texts few conversions hold
    (tokens, anchors, timestamps, large charts), and a plain FLTS convert compiles none of them."""
    code = (
        "import sys\n"
        "from helmify_flts import cli\n"
        "sys.argv = ['helmify-flts', 'convert', '-q', '--raw', sys.argv[1], sys.argv[2]]\n"
        "try:\n    cli.main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "from helmify_flts import partition, redact, redact_commands, yamldoc\n"
        "lazy = [redact._known_re, redact._bearer_re, redact_commands._exec_ref_re, yamldoc._anchor_re,\n"
        "        yamldoc._alias_re, yamldoc._timestamp_re, partition._patterns]\n"
        "print(sum(f.cache_info().currsize for f in lazy))\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-c", code, str(FIXTURES / ".kubernetes"), str(Path(tmp) / "out")],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0"]
    from helmify_flts import redact, yamldoc

    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"
    assert redact.inline(f"auth {token}") == f"auth {redact.REDACTED}"
    assert redact.inline("Authorization: Bearer abcdefgh12345678") == f"Authorization: Bearer {redact.REDACTED}"
    assert yamldoc._timestamp_re().fullmatch("2026-11-26") and yamldoc._alias_re().search("a: *ref").group(1) == "ref"
