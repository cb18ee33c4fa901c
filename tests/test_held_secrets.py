"""The values a run's Secrets hold are hidden wherever they are copied: each run (command) holds
its own, apart from a run at the same time in another thread."""

from __future__ import annotations

import threading
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
