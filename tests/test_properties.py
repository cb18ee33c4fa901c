"""Property tests: hostile but realistic input never breaks the tool's guarantees.

Generated cases per run (defaults; HELMIFY_FUZZ_EXAMPLES scales them all, see benchmarks/README.md):

- plain and quoted scalars read by kyaml as Helm's own YAML reader (go-yaml v2, as Kubernetes)
  reads them, and re-emitted without a change of value or type: 60 x 20-80 scalars, checked
  against ``helm_python.values_from_yaml`` in one call per example;
- values the tool writes read back unchanged: 60 x 20-80 values;
- map keys read as Kubernetes reads them: 40 x 20-60 keys;
- literal text through the template escape and the real Helm engine: 60 x 20-80 strings,
  one chart render per example;
- secrets in every known shape kept out of the review report and stderr: about 40 folders of
  up to 12 secrets each, through the command line;
- whole hostile manifest folders (with environments, prior OUT contents, read-only runs first)
  through the command line: 100 folders, each checked for the invariants of :func:`check_case`.

Before the generated cases, each property runs the smallest known cases that broke it (issue 7),
as explicit examples. All use a fixed seed (derandomize) so CI runs are reproducible. Each
invariant raises its own exception type, so Hypothesis reports distinct failures separately.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import signal
import stat
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python
import strategies as gen
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from hypothesis import strategies as st

from helmify_flts import kyaml, manifests, proof, render, templating
from helmify_flts.cli import main
from helmify_flts.errors import UserError

CLI_EXAMPLES = 100
_ASKED = int(os.environ.get("HELMIFY_FUZZ_EXAMPLES", "0") or 0)
_SEED = os.environ.get("HELMIFY_FUZZ_SEED")
_SHRINK = os.environ.get("HELMIFY_FUZZ_SHRINK") == "1"

# Names the generated input can never contain, so their presence in rendered output means a
# piece of input was evaluated as a template.
RELEASE, NAMESPACE = "zq-rel-7x", "zq-ns-7x"
# A generated folder is a few KB: a run that takes longer than this is stuck, not slow.
RUN_SECONDS = 30
VICTIM = "v1ct1m-0a1b2c3d"


def examples(default: int) -> int:
    """Examples for a property: its default, scaled when HELMIFY_FUZZ_EXAMPLES asks for more."""
    return max(1, default * _ASKED // CLI_EXAMPLES) if _ASKED else default


def fuzz(default: int, shrink: bool = True) -> Callable:
    """Hypothesis settings shared by every property here: fixed seed unless HELMIFY_FUZZ_SEED.
    Whole-CLI cases are not shrunk unless HELMIFY_FUZZ_SHRINK=1: shrinking one can take minutes,
    and the failure message already names the invariant and shows the case."""
    phases = tuple(Phase) if shrink or _SHRINK else tuple(p for p in Phase if p != Phase.shrink)

    def wrap(test: Callable) -> Callable:
        test = settings(
            max_examples=examples(default),
            deadline=None,
            derandomize=_SEED is None,
            database=None,
            phases=phases,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
                HealthCheck.filter_too_much,
                HealthCheck.large_base_example,
            ],
        )(test)
        return seed(int(_SEED))(test) if _SEED is not None else test

    return wrap


# ---------------------------------------------------------------------------------------------
# Invariants, one exception type each


class Violation(AssertionError):
    """An invariant does not hold; ``invariant`` names it."""

    invariant = "violation"


_TYPES: dict[str, type[Violation]] = {}


def violated(invariant: str, message: str) -> Violation:
    cls = _TYPES.get(invariant)
    if cls is None:
        name = "".join(w.capitalize() for w in invariant.replace("-", " ").split())
        cls = _TYPES[invariant] = type(name, (Violation,), {"invariant": invariant})
    return cls(f"[{invariant}] {message}")


def expect(ok: bool, invariant: str, message: Callable[[], str] | str) -> None:
    if not ok:
        raise violated(invariant, message() if callable(message) else message)


# ---------------------------------------------------------------------------------------------
# Layer 1: scalars under Kubernetes' YAML rules, with Helm's own reader as the reference.


def category(value: Any) -> tuple[str, Any]:
    """What JSON sees: strings, booleans, null and numbers (1 and 1.0 are one number)."""
    if value is None or isinstance(value, (bool, str)):
        return (type(value).__name__, value)
    if isinstance(value, (int, float)):
        number = float(value)
        return ("number", "nan" if math.isnan(number) else number)
    return (type(value).__name__, value)


def helm_reads(texts: list[str]) -> list[Any]:
    """How Helm (sigs.k8s.io/yaml, as Kubernetes) reads each ``k: TEXT``; an Exception where it
    refuses one. One call for the whole batch unless something in it is refused."""
    doc = "".join(f"s{i}: {t}\n" for i, t in enumerate(texts))
    try:
        values = helm_python.values_from_yaml(doc)
        return [values.get(f"s{i}") for i in range(len(texts))]
    except helm_python.HelmError:
        out: list[Any] = []
        for t in texts:
            try:
                out.append(helm_python.values_from_yaml(f"s: {t}\n").get("s"))
            except helm_python.HelmError as exc:
                out.append(exc)
        return out


def styled_scalar() -> st.SearchStrategy[gen.Plain | gen.Styled]:
    return st.one_of(
        st.sampled_from(gen.PLAIN_HAZARDS).map(gen.Plain),
        gen.styled(),
        st.integers(-(2**70), 2**70).map(lambda n: gen.Plain(str(n))),
        st.floats(allow_nan=False).map(lambda f: gen.Plain(repr(f))),
        st.from_regex(r"[-+]?(0[xXoObB])?[0-9a-fA-F_]{1,6}(\.[0-9_]*)?([eE][-+]?[0-9]{1,3})?", fullmatch=True).map(
            gen.Plain
        ),
    )


@fuzz(60)
@given(st.lists(styled_scalar(), min_size=20, max_size=80))
@example([gen.Plain("0x_"), gen.Plain("0b_"), gen.Plain("0o_")])
@example([gen.Plain("0_x1")])
@example([gen.Plain("1e400")])
def test_scalars_read_and_reemitted_as_kubernetes_reads_them(items: list) -> None:
    """kyaml reads every scalar as go-yaml v2 does (same type, same value), and the text it
    emits for it is read back by Helm as the same value: nothing drifts between YAML dialects."""
    spelt = [gen.scalar(item, 0) for item in items]
    expected = helm_reads(spelt)
    emitted: list[tuple[int, str]] = []
    for i, (text, want) in enumerate(zip(spelt, expected, strict=True)):
        if isinstance(want, Exception):
            continue  # Kubernetes would refuse this input; the tool may refuse or pass it through
        try:
            node = next(kyaml.compose_all(f"k: {text}\n")).value[0][1]
            got = kyaml.construct(node)
            again = kyaml.scalar_text(node)
        except Exception as exc:  # noqa: BLE001 - any exception is the finding
            raise violated("scalar-read", f"kyaml fails on k: {text!r}: {exc!r}") from None
        expect(
            category(got) == category(want),
            "scalar-read",
            lambda t=text, g=got, w=want: f"k: {t!r} reads as {g!r} in kyaml but {w!r} in Kubernetes",
        )
        emitted.append((i, again))
    reread = helm_reads([t for _, t in emitted])
    for (i, again), value in zip(emitted, reread, strict=True):
        expect(
            not isinstance(value, Exception) and category(value) == category(expected[i]),
            "scalar-reemit",
            lambda t=spelt[i], a=again, v=value, w=expected[i]: (
                f"k: {t!r} re-emitted as {a!r} reads as {v!r}, was {w!r}"
            ),
        )


@fuzz(60)
@given(
    st.lists(
        st.one_of(
            st.text(),
            st.integers(-(2**53), 2**53),
            st.booleans(),
            st.none(),
            st.floats(allow_nan=False, allow_infinity=False),
            st.sampled_from(gen.TEXT_HAZARDS),
        ),
        min_size=20,
        max_size=80,
    )
)
def test_represented_values_read_back_unchanged(values: list) -> None:
    """Any value the tool writes into values.yaml or a template is read back by Helm unchanged."""
    texts = [kyaml.scalar_text(kyaml.represent(v)) for v in values]
    for value, text, back in zip(values, texts, helm_reads(texts), strict=True):
        expect(
            not isinstance(back, Exception) and category(back) == category(value),
            "value-emit",
            lambda v=value, t=text, b=back: f"{v!r} written as {t!r} reads back as {b!r}",
        )


@fuzz(40)
@given(
    st.lists(
        st.one_of(st.sampled_from(gen.PLAIN_HAZARDS), st.from_regex(r"[0-9][0-9._eE+-]{0,8}", fullmatch=True)),
        min_size=20,
        max_size=60,
    )
)
@example(["1.0", "1e4", "0x_"])
def test_map_keys_read_as_kubernetes_reads_them(keys: list[str]) -> None:
    """A plain map key becomes the JSON key Kubernetes makes of it (``1.0`` -> ``1``, ``on`` -> ``true``)."""
    for k in keys:
        try:
            want = list(helm_python.values_from_yaml(f"{k}: v\n"))
        except helm_python.HelmError:
            continue  # refused by Kubernetes (a null key): no claim
        try:
            got = list(kyaml.load_all(f"{k}: v\n")[0])
        except Exception as exc:  # noqa: BLE001
            raise violated("key-read", f"kyaml fails on key {k!r}: {exc!r}") from None
        expect(got == want, "key-read", f"key {k!r} reads as {got} in kyaml but {want} in Kubernetes")


# ---------------------------------------------------------------------------------------------
# Layer 2: literal text through the template escape and the real Helm engine.


CHART_YAML = "apiVersion: v2\nname: probe\nversion: 0.1.0\n"


@fuzz(60)
@given(st.lists(st.one_of(gen.text(), gen.multiline()), min_size=20, max_size=80))
def test_escaped_text_renders_literally(tmp_path_factory: Any, strings: list[str]) -> None:
    """Input text as values and as keys, emitted and escaped as templates are, renders back
    exactly through Helm: nothing is evaluated, nothing is lost."""
    data = {f"v{i}": s for i, s in enumerate(strings)}
    keys = {s: i for i, s in enumerate(strings)}
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe"}, "data": data, "keys": keys}
    text = templating.escape(kyaml.serialize(kyaml.represent(doc)))
    root = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp())) / "probe"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(CHART_YAML, encoding="utf-8")
    (root / "templates" / "probe.yaml").write_text(text, encoding="utf-8")
    try:
        rendered = render.render_chart(root, None, RELEASE, NAMESPACE)
    except UserError as exc:
        raise violated("escape-renders", f"Helm refuses escaped text: {exc}") from None
    finally:
        shutil.rmtree(root.parent)
    out = helm_python.values_from_yaml(rendered["probe/templates/probe.yaml"])
    for i, s in enumerate(strings):
        expect(
            out["data"].get(f"v{i}") == s,
            "escape-value",
            lambda i=i, s=s: f"{s!r} renders as {out['data'].get(f'v{i}')!r}",
        )
    expect(
        out["keys"] == {s: i for s, i in keys.items()},
        "escape-key",
        lambda: f"keys differ: {sorted(set(out['keys']) ^ set(keys))!r}",
    )


# ---------------------------------------------------------------------------------------------
# Layer 3: the command line on generated folders.


@dataclass(frozen=True)
class Entry:
    kind: str  # file | dir | link
    digest: str = ""
    mode: int = 0


def snapshot(root: Path) -> dict[str, Entry]:
    """Every path under root with its type, content hash and permission bits."""
    out: dict[str, Entry] = {}
    for folder, dirs, files in os.walk(root):
        for nm in dirs + files:
            path = Path(folder) / nm
            rel = path.relative_to(root).as_posix()
            st_ = path.lstat()
            if stat.S_ISLNK(st_.st_mode):
                out[rel] = Entry("link", os.readlink(path))
            elif stat.S_ISDIR(st_.st_mode):
                out[rel] = Entry("dir", "", stat.S_IMODE(st_.st_mode))
            else:
                out[rel] = Entry("file", hashlib.sha256(path.read_bytes()).hexdigest(), stat.S_IMODE(st_.st_mode))
    return out


def changes(before: dict[str, Entry], after: dict[str, Entry]) -> list[str]:
    lines = [f"created {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"deleted {p}" for p in sorted(before.keys() - after.keys())]
    lines += [f"changed {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return lines


@dataclass
class Sandbox:
    """root/ holds everything a run may touch; OUT sits a few levels down so that any escape
    (``..`` in names, absolute paths into root) lands where the snapshot sees it."""

    root: Path
    src: Path
    env: Path | None
    out: Path
    tmp: Path
    user_files: dict[str, bytes] = field(default_factory=dict)

    def outside(self) -> dict[str, Entry]:
        prefix = self.out.relative_to(self.root).as_posix()
        return {p: e for p, e in snapshot(self.root).items() if p != prefix and not p.startswith(prefix + "/")}

    def inside(self) -> dict[str, Entry]:
        return snapshot(self.out) if self.out.is_dir() else {}


def materialise(case: gen.CliCase, root: Path) -> Sandbox:
    work = root / "work"
    box = Sandbox(
        root,
        work / case.src_dir,
        work / case.env_dir if case.env else None,
        work / "charts" / "deep" / case.out_dir,
        root / "tmp" / "a" / "b",
    )
    for folder_ in (box.tmp, box.out.parent):
        folder_.mkdir(parents=True)
    for victim in (root / "victim.txt", work / "victim.txt", box.out.parent / "victim.txt"):
        victim.write_text(f"{VICTIM} {victim.parent.name}\n", encoding="utf-8")
    for folder_, part in ((box.src, case.base), (box.env, case.env)):
        if folder_ is None or part is None:
            continue
        folder_.mkdir(parents=True, exist_ok=True)
        for rel, text in gen.write_folder(part.docs, part.files, str(root), case.crlf, case.bom).items():
            path = folder_ / rel
            if not path.resolve().is_relative_to(root.resolve()):
                continue  # a file name that would itself leave the sandbox: not an input we can write
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    _prepare_out(case.out_state, box)
    return box


def _prepare_out(state: str, box: Sandbox) -> None:
    if state == "absent":
        return
    box.out.mkdir()
    if state == "user-files":
        box.user_files = {
            "README.md": b"# my chart\n",
            "ci/values-ci.yaml": b"replicas: 1\n",
            "templates/_user.tpl": b'{{- define "user.note" -}}mine{{- end }}\n',
            "files/user.txt": b"mine\n",
        }
    elif state == "files-is-a-file":
        box.user_files = {"files": b"not a folder\n"}
    elif state == "values-is-a-folder":
        box.user_files = {"values.yaml/keep.txt": b"mine\n"}
    elif state == "hostile-state":
        victims = {
            "../victim.txt": box.out.parent / "victim.txt",
            "../../../victim.txt": box.root / "work" / "victim.txt",
            str(box.root / "victim.txt"): box.root / "victim.txt",
            "templates/../../victim.txt": box.out.parent / "victim.txt",
        }
        files = {rel: hashlib.sha256(path.read_bytes()).hexdigest() for rel, path in victims.items()}
        state_doc = {"generator": "helmify-flts", "files": files}
        box.user_files = {".helmify-state.json": json.dumps(state_doc).encode()}
    for rel, content in box.user_files.items():
        (box.out / rel).parent.mkdir(parents=True, exist_ok=True)
        (box.out / rel).write_bytes(content)


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str

    def show(self) -> str:
        return (
            f"$ helmify-flts {' '.join(self.args)}\nexit {self.exit_code}\nstdout:\n{self.stdout[-3000:]}\n"
            f"stderr:\n{self.stderr[-3000:]}"
        )


class Stuck(BaseException):
    """Raised inside a run that exceeded RUN_SECONDS (a BaseException: the tool must not swallow it)."""


def _stuck(signum: int, frame: Any) -> None:
    raise Stuck(f"still running after {RUN_SECONDS} s")


def invoke(box: Sandbox, *args: str) -> Run:
    """Run the CLI in-process with the sandbox as the temp folder; an escaping exception is a finding."""
    saved = tempfile.tempdir
    tempfile.tempdir = str(box.tmp)
    previous = signal.signal(signal.SIGALRM, _stuck)
    signal.alarm(RUN_SECONDS)
    try:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    except Stuck:
        import traceback

        where = "".join(traceback.format_exc())[-2500:]
        raise violated("bounded-time", f"helmify-flts {' '.join(args)} did not finish:\n{where}") from None
    except Exception as exc:  # noqa: BLE001 - the finding is that anything escaped
        import traceback

        tb = "".join(traceback.format_exception(exc))[-8000:]
        raise violated("no-traceback", f"helmify-flts {' '.join(args)} raised:\n{tb}") from None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        tempfile.tempdir = saved
    run = Run(tuple(args), result.exit_code, result.stdout, result.stderr)
    expect(run.exit_code in (0, 1, 2), "exit-code", lambda: f"exit code {run.exit_code}\n{run.show()}")
    expect("Traceback" not in run.stderr + run.stdout, "no-traceback", run.show)
    return run


@dataclass
class Outcome:
    """What a case did, for the campaign's statistics: the exit code of each run, and the last
    stderr line of each convert that refused (exit 2) or did not reproduce (exit 1)."""

    codes: list[int] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


def _convert_args(case: gen.CliCase, box: Sandbox, *extra: str) -> list[str]:
    args = ["convert", str(box.src), str(box.out), *extra]
    if box.env is not None:
        args += ["--env", f"dev={box.env}"]
    if case.chart_name is not None:
        args += ["--chart-name", case.chart_name]
    if case.rules:
        rules = box.root / "rules.yaml"
        rules.write_text(gen.COMPONENT_BY_NAME, encoding="utf-8")
        args += ["--rules", str(rules)]
    return args


def _leaks(case: gen.CliCase, text: str) -> list[str]:
    return sorted({s for s in case.hidden() if s in text})


def check_case(case: gen.CliCase, root: Path, outcome: Outcome | None = None) -> Outcome:
    """Run the CLI on a generated case and check every invariant; raise a Violation if one fails."""
    outcome = outcome or Outcome()
    box = materialise(case, root)
    if case.rules:
        _convert_args(case, box)  # writes the rule file before the first snapshot
    outside, inside = box.outside(), box.inside()

    if case.first in ("check", "diff"):
        run = invoke(box, *_convert_args(case, box, f"--{case.first}"))
        outcome.codes.append(run.exit_code)
        expect(
            not changes(outside, box.outside()),
            "nothing-outside-out",
            lambda: "\n".join(changes(outside, box.outside())) + "\n" + run.show(),
        )
        expect(
            not changes(inside, box.inside()),
            "read-only-modes-write-nothing",
            lambda: "\n".join(changes(inside, box.inside())) + "\n" + run.show(),
        )
        expect(VICTIM not in run.stdout + run.stderr, "nothing-outside-out-shown", run.show)
        # --diff prints the chart's files, Secret templates and values included: hidden there too
        shown = _leaks(case, run.stdout + run.stderr)
        expect(not shown, "no-secret-shown", lambda: f"--{case.first} shows {shown}")

    run = invoke(box, *_convert_args(case, box))
    outcome.codes.append(run.exit_code)
    if run.exit_code:
        outcome.refusals.append(f"exit {run.exit_code}: {(run.stderr.strip().splitlines() or [''])[-1]}")
    expect(
        not changes(outside, box.outside()),
        "nothing-outside-out",
        lambda: "\n".join(changes(outside, box.outside())) + "\n" + run.show(),
    )
    expect(VICTIM not in run.stdout + run.stderr, "nothing-outside-out-shown", run.show)
    expect(not _leaks(case, run.stderr), "no-secret-shown", lambda: f"stderr shows {_leaks(case, run.stderr)}")
    if run.exit_code == 2 or "Nothing was written" in run.stderr:
        expect(
            not changes(inside, box.inside()),
            "refused-run-writes-nothing",
            lambda: "\n".join(changes(inside, box.inside())) + "\n" + run.show(),
        )
    for report in ("helmify-report.md", "helmify-report.json"):
        path = box.out / report
        if run.exit_code != 2 and path.is_file():
            leaks = _leaks(case, path.read_text(encoding="utf-8", errors="replace"))
            expect(not leaks, "no-secret-shown", lambda r=report, s=leaks: f"{r} shows {s}")
    if run.exit_code != 2 and (box.out / "helmify-report.json").is_file():
        _check_json_report(box.out / "helmify-report.json")
    # Reproduce or refuse: a chart that does not reproduce its input is the tool's failure, even
    # when the review catches it. Exit 1 is right only for refusing to replace files in OUT that
    # helmify-flts did not write or that were edited, which a fresh OUT does not have.
    # A chart that does not render, or breaks the built-in checks, ends in the same internal-error
    # line: whatever OUT held before, that is the tool's failure too.
    fresh = case.out_state in ("absent", "empty")
    expect(
        "does not reproduce" not in run.stderr
        and "This is a bug" not in run.stderr
        and not (fresh and run.exit_code == 1),
        "convert-renders" if "does not render" in run.stderr else "convert-reproduces",
        run.show,
    )
    if run.exit_code != 0:
        return outcome

    for rel, content in box.user_files.items():
        if rel != ".helmify-state.json":
            expect(
                (box.out / rel).is_file() and (box.out / rel).read_bytes() == content,
                "user-files-kept",
                f"{rel} was changed or removed\n{run.show()}",
            )
    _check_reproduces(box.out, box.src, None, "base")
    if box.env is not None:
        values_file = box.out / "values-dev.yaml"
        expect(values_file.is_file(), "env-reproduces", "values-dev.yaml is missing")
        try:
            values = helm_python.values_from_yaml(values_file.read_text(encoding="utf-8"))
        except helm_python.HelmError as exc:
            raise violated("env-reproduces", f"Helm cannot read values-dev.yaml: {exc}") from None
        _check_reproduces(box.out, box.env, values, "dev")

    written = box.inside()
    again = invoke(box, *_convert_args(case, box))
    outcome.codes.append(again.exit_code)
    expect(again.exit_code == 0, "second-convert-no-op", again.show)
    expect(
        not changes(written, box.inside()), "second-convert-no-op", lambda: "\n".join(changes(written, box.inside()))
    )
    expect(
        not changes(outside, box.outside()), "nothing-outside-out", lambda: "\n".join(changes(outside, box.outside()))
    )
    return outcome


def _check_reproduces(chart: Path, src: Path, values: dict | None, label: str) -> None:
    # Deeply nested input the tool accepted must not fail here for want of stack under pytest.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 6000))
    try:
        _reproduces(chart, src, values, label)
    finally:
        sys.setrecursionlimit(limit)


def _reproduces(chart: Path, src: Path, values: dict | None, label: str) -> None:
    invariant = "base-reproduces" if label == "base" else "env-reproduces"
    expected = proof.Expected.sources(manifests.load_folder(src))
    proven = proof.prove(chart, expected, values, release=RELEASE, namespace=NAMESPACE)
    if proven.failure and proven.failure.kind != "yaml":
        raise violated(invariant, f"[{label}] Helm cannot render the written chart: {proven.failure.message}")
    for template, text in proven.texts.items():
        count = (text.count(RELEASE), text.count(NAMESPACE))
        allowed = (1, 1) if template.endswith("/NOTES.txt") else (0, 0)
        expect(
            count == allowed,
            "nothing-evaluated",
            lambda t=template, x=text: f"[{label}] {t} shows the release or namespace name:\n{x[:2000]}",
        )
    expect(proven.ok, invariant, lambda: f"[{label}] " + "\n".join(proven.describe())[:4000])


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _check_json_report(path: Path) -> None:
    try:
        json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except ValueError as exc:
        raise violated("report-is-json", f"{path.name} is not valid JSON: {exc}") from None


def _known(test: Callable) -> Callable:
    for case in reversed(gen.known_cases()):
        test = example(case=case)(test)
    return test


@fuzz(CLI_EXAMPLES, shrink=False)
@given(gen.cli_case())
@_known
def test_hostile_folders_keep_every_guarantee(tmp_path_factory: Any, case: gen.CliCase) -> None:
    """Exit 0, 1 or 2 and never a traceback; nothing outside OUT touched; a refused run writes
    nothing; a written chart reproduces the base and dev folders without evaluating any input;
    a second run changes nothing; no secret in the report or on stderr."""
    root = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp(), prefix="case-"))
    try:
        check_case(case, root)
    except Violation:
        keep = os.environ.get("HELMIFY_FUZZ_KEEP")  # a folder to keep the failing case's files in
        if keep:
            shutil.copytree(root, Path(keep) / root.name, symlinks=True)
        raise
    finally:
        shutil.rmtree(root, ignore_errors=True)


@fuzz(40, shrink=False)
@given(gen.redaction_folders())
@example(gen.all_placements())
def test_secrets_never_reach_the_report(tmp_path_factory: Any, folders: tuple) -> None:
    """Secrets in every known shape (Secret data, credential env names, URL userinfo, JDBC and
    MSSQL connection strings, bearer tokens, --password arguments, vault annotations, .env,
    YAML, JSON and properties files) appear in neither report nor on stderr, also where an
    environment changes them."""
    base, dev = folders
    root = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp(), prefix="redact-"))
    try:
        case = gen.CliCase(base=base, env=dev)
        box = materialise(case, root)
        run = invoke(box, *_convert_args(case, box))
        expect(run.exit_code == 0, "redaction-case-converts", run.show)
        for shown, text in (
            ("stderr", run.stderr),
            ("helmify-report.md", (box.out / "helmify-report.md").read_text(encoding="utf-8")),
            ("helmify-report.json", (box.out / "helmify-report.json").read_text(encoding="utf-8")),
        ):
            leaks = _leaks(case, text)
            expect(not leaks, "no-secret-shown", lambda s=shown, x=text, k=leaks: _leak_context(s, x, k))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _leak_context(where: str, text: str, leaks: list[str]) -> str:
    lines = [line for line in text.splitlines() if any(s in line for s in leaks)]
    return f"{where} shows {leaks}:\n" + "\n".join(line[:300] for line in lines[:10])
