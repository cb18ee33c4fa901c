"""The values a run's Secrets hold are hidden wherever they are copied: each run (command) holds
its own, apart from a run at the same time in another thread, and finding them costs one scan
of a text however many are held, within bounds on hostile input."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from conftest import run, write_tree

from helmify_flts import cli, redact
from helmify_flts.background import Call

WAIT = 60  # seconds a thread waits for the other before the test fails rather than hangs


def secret_copied(name: str, value: str) -> dict[str, str]:
    """A Secret whose value a ConfigMap and an env value copy under names that give nothing away."""
    return {
        "secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}-db}}\nstringData:\n  pw: {value}\n",
        "cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}-cfg}}\ndata:\n  conf: {value}\n"
        f"  file: |\n    line1\n    setting = {value}\n",
        "app.yaml": f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, labels: {{app: {name}}}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: web
        image: nginx
        env:
        - {{name: PLAIN, value: {value}}}
""",
    }


# --------------------------------------------------------------------------- runs apart


def test_two_conversions_at_once_each_hide_their_own_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The values were module state that every command cleared when it started: run B, started
    after run A had loaded its Secrets, made A forget them, and A's report showed A's value."""
    values = {"a": "Qa7firstRunSecret", "b": "Wb9secondRunSecret"}
    srcs = {name: write_tree(tmp_path / f"src-{name}", secret_copied(name, v)) for name, v in values.items()}
    learnt = {name: threading.Event() for name in values}
    real_learn = redact.learn

    def learn(resources: object) -> None:
        real_learn(resources)
        name = threading.current_thread().name
        learnt[name].set()
        if name == "a":  # A goes on to its report only once B has started and loaded its Secrets
            assert learnt["b"].wait(WAIT)

    monkeypatch.setattr(redact, "learn", learn)
    codes: dict[str, object] = {}

    def convert(name: str) -> None:
        if name == "b":
            assert learnt["a"].wait(WAIT)
        try:
            cli.main(["convert", "-v", str(srcs[name]), str(tmp_path / f"out-{name}")])
        except SystemExit as exc:
            codes[name] = exc.code

    threads = [threading.Thread(target=convert, args=(name,), name=name) for name in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 3)
    assert codes == {"a": 0, "b": 0}, codes
    printed = capsys.readouterr()
    for name in values:
        out = tmp_path / f"out-{name}"
        report = (out / "helmify-report.md").read_text() + (out / "helmify-report.json").read_text()
        assert f"{name}-cfg" in report  # the report shows the ConfigMap...
        for value in values.values():
            assert value not in report, (name, value)  # ...and neither run's value in it
    assert not any(value in printed.out + printed.err for value in values.values())


def test_a_thread_a_run_starts_hides_that_runs_values(tmp_path: Path) -> None:
    """A thread the run starts (a build, the render) copies the run's context: it hides the run's
    values, not another run's or none."""
    shown: dict[str, str] = {}
    started = threading.Event()
    other_done = threading.Event()

    def first() -> None:
        redact.forget()
        redact.learn(_secrets({"pw": "Mq3firstValueHeld"}))
        started.set()
        assert other_done.wait(WAIT)
        shown["first"] = Call("hide", redact.held, "x Mq3firstValueHeld y").result(WAIT)

    def second() -> None:
        assert started.wait(WAIT)
        redact.forget()  # another run begins: it must not make the first one forget
        redact.learn(_secrets({"pw": "Nr4secondValueHeld"}))
        shown["second"] = Call("hide", redact.held, "x Nr4secondValueHeld y").result(WAIT)
        other_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert shown == {"first": "x <redacted> y", "second": "x <redacted> y"}


def test_a_commands_values_end_with_it(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", secret_copied("web", "Pk2heldUntilTheEnd"))
    assert run("convert", src, tmp_path / "out").exit_code == 0
    assert redact.held("Pk2heldUntilTheEnd") == "Pk2heldUntilTheEnd"


def test_values_a_library_call_held_do_not_outlive_a_command() -> None:
    """A conversion called as a library (no command) holds its values in its own context; a
    command that runs after it begins and ends with none, as it always forgot them."""
    redact.learn(_secrets({"pw": "Lb5libraryHeldValue"}))
    assert redact.held("Lb5libraryHeldValue") == "<redacted>"
    assert run("rules").exit_code == 0
    assert redact.held("Lb5libraryHeldValue") == "Lb5libraryHeldValue"


# --------------------------------------------------------------------------- what is hidden


class _Res:
    """A loaded Secret, as learn reads it."""

    def __init__(self, name: str, data: dict[str, str], source: str = "s.yaml") -> None:
        import yaml

        self.kind, self.name, self.namespace, self.source, self.line = "Secret", name, None, source, 1
        doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data}
        self.node = yaml.compose(yaml.safe_dump(doc, width=1 << 30), Loader=yaml.CSafeLoader)


def _secrets(data: dict[str, str], name: str = "s") -> list[_Res]:
    return [_Res(name, data)]


def test_overlapping_values_are_hidden_whole() -> None:
    """Values were replaced one after another, longest first: where two overlapped, the longer
    one went and the rest of the shorter one stayed on show."""
    redact.forget()
    redact.learn(_secrets({"one": "Qz7pA1b2", "two": "A1b2Kk9Lmn"}))
    assert redact.held("x Qz7pA1b2Kk9Lmn y") == "x <redacted> y"
    assert redact.held("Qz7pA1b2 and A1b2Kk9Lmn") == "<redacted> and <redacted>"
    assert redact.held("Qz7pA1b2Qz7pA1b2") == "<redacted><redacted>"  # side by side: each hidden


def test_values_inside_one_another_and_the_shortest_held() -> None:
    """One to three characters are never held (they are parts of words and numbers everywhere);
    a value inside a longer one is hidden in it and alone."""
    redact.forget()
    redact.learn(_secrets({f"k{n}": "ab" * n for n in range(1, 6)} | {"x": "q", "y": "on", "z": "dev"}))
    assert redact.held("1 q on dev abc") == "1 q on dev abc"
    assert redact.held("xxabababababyy and abab.") == "xx<redacted>yy and <redacted>."


def test_a_long_value_is_hidden_whole_and_found_by_its_start() -> None:
    """A megabyte value costs the scan its first characters only; where they appear, as much text
    as the value holds is hidden (a text that starts like a secret for that long is taken for it)."""
    big = "".join(f"{n:08x}" for n in range(1 << 17))  # 1 MB, no part repeated
    redact.forget()
    redact.learn(_secrets({"big": big}))
    start = time.process_time()
    assert redact.held("pre " + big + " post") == "pre <redacted> post"
    assert redact.held("pre " + big[:100] + "x" * 10) == "pre <redacted>"
    assert redact.held("pre " + big[:40] + " post") == "pre " + big[:40] + " post"
    assert time.process_time() - start < 2


def test_more_values_than_a_run_can_hide_stop_the_run_with_the_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helmify_flts import heldvalues

    monkeypatch.setattr(heldvalues, "MAX_VALUES", 6)
    files = {
        f"s{i}.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s{i}}}\nstringData:\n"
        + "".join(f"  k{k}: value{i}x{k}xheld\n" for k in range(3))
        for i in range(3)
    }
    src = write_tree(tmp_path / "src", files)
    result = run("convert", src, tmp_path / "out")
    assert result.exit_code == 2, result.stderr
    assert "s2.yaml:1:" in result.stderr and "more than 6 values" in result.stderr
    assert "convert the manifests in parts" in result.stderr
    assert not (tmp_path / "out").exists()


def test_starts_too_long_for_the_pattern_are_found_by_fewer_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    from helmify_flts import heldvalues

    monkeypatch.setattr(heldvalues, "MAX_PATTERN", 100)
    monkeypatch.setattr(heldvalues, "FEW", 0)
    values = {f"k{n}": f"{n:02d}" + "Lw8longSecretStartsHere" * 3 for n in range(4)}
    redact.forget()
    redact.learn(_secrets(values))
    for value in values.values():
        assert redact.held(f"<{value}>") == "<<redacted>>"
    # Found by its first 16 characters: text that shares them is hidden as far as the value goes.
    assert redact.held("01Lw8longSecretS" + "-" * 100) == "<redacted>" + "-" * 45


# --------------------------------------------------------------------------- cost


def test_hiding_costs_one_scan_however_many_values_are_held() -> None:
    """Each value was searched for in each text: 6,000 values and 20,000 texts took about 5 s."""
    secrets = [
        _Res(f"s{i}", {f"k{k}": f"{i:05d}{k}vK{i * 7919 % 10007:05d}q{k}" for k in range(4)}) for i in range(1500)
    ]
    texts = [f"line {n}: setting = value {n % 97} of the report, and more words" for n in range(20000)]
    texts += [f"token {i:05d}3vK{i * 7919 % 10007:05d}q3 end" for i in range(0, 1500, 50)]
    redact.forget()
    redact.learn(secrets)
    start = time.process_time()
    shown = [redact.held(text) for text in texts]
    spent = time.process_time() - start
    assert shown[:20000] == texts[:20000]
    assert all(text == "token <redacted> end" for text in shown[20000:])
    assert spent < 3, f"{spent:.2f} s"


def test_hostile_values_stay_bounded() -> None:
    """Values that are each a prefix of the next, and a text made of them: the pattern keeps each
    value's first characters only, and a scan stays linear. Where the start of the longest value
    appears, as much text as it holds is hidden: here to the end of the text."""
    redact.forget()
    redact.learn(_secrets({f"k{n}": "a" * n for n in range(1, 3000)}))
    start = time.process_time()
    assert redact.held("b" + "a" * 20000 + "b") == "b<redacted>"
    assert redact.held("b" + "a" * 40 + "b") == "b<redacted>b"
    assert redact.held("b" + "a" * 3 + "b") == "baaab"
    assert time.process_time() - start < 5


@pytest.mark.parametrize("few", [0, 1000], ids=["pattern", "searches"])
def test_the_pattern_and_the_searches_hide_what_every_occurrence_covers(
    few: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways of finding held values (a pattern for many, a search each for a few) hide the
    same: every occurrence, overlapping ones as one, side by side ones each on its own."""
    import random

    from helmify_flts import heldvalues

    monkeypatch.setattr(heldvalues, "FEW", few)
    rng = random.Random(7)
    for _ in range(300):
        values = {"".join(rng.choice("abx") for _ in range(rng.randint(1, 9))) for _ in range(rng.randint(1, 30))}
        held = heldvalues.Held()
        held.add(values)
        text = "".join(rng.choice("abxy") for _ in range(rng.randint(0, 80)))
        covered = sorted(
            (at, at + len(v))
            for v in values
            if len(v) >= heldvalues.MIN_HELD
            for at in range(len(text))
            if text.startswith(v, at)
        )
        expected, last, start, end = [], 0, -1, -1
        for at, stop in covered:
            if at < end:
                end = max(end, stop)
                continue
            if end >= 0:
                expected += [text[last:start], "#"]
                last = end
            start, end = at, stop
        want = text if end < 0 else "".join([*expected, text[last:start], "#", text[end:]])
        assert held.hide(text, "#") == want, (sorted(values), text)


def test_a_runs_pattern_does_not_outlive_it_in_the_modules_cache() -> None:
    """re.compile kept each run's pattern (the starts of its secrets) in re's module-wide cache."""
    import re

    redact.forget()
    redact.learn(_secrets({f"k{n}": f"Cz{n:03d}cachedSecretStart" for n in range(40)}))
    assert redact.held("x Cz007cachedSecretStart") == "x <redacted>"
    cached = [*getattr(re, "_cache", {}), *getattr(re, "_cache2", {})]
    assert not any("cachedSecretStart" in str(key) for key in cached)
