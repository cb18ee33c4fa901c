"""The helmify-flts command (cli.entry) leaves nothing behind and keeps its exit statuses where
the output streams are gone or closed, and a run that is interrupted stops the builds it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, write_tree

ENTRY = "from helmify_flts.cli import entry; entry()"
# Every module a run imports, imported before it starts: an interrupt that lands inside an import
# leaves that module's lock held, and a build thread importing the module later never ends (a
# problem of its own, apart from what these tests hold).
IMPORTED_FIRST = (
    "import importlib, pkgutil, subprocess, helm_python, helmify_flts\n"
    "for found in pkgutil.walk_packages(helmify_flts.__path__, 'helmify_flts.'):\n"
    "    importlib.import_module(found.name)\n"
)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that still runs (a zombie waits only to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


def _wait_for(check, seconds: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.mark.parametrize("command", ["verify", "convert"])
def test_an_interrupted_run_stops_its_builds_and_removes_their_folders(tmp_path: Path, command: str) -> None:
    # The command leaves without waiting for threads: a build still running when the run is
    # interrupted must have been stopped, and its temporary folder removed, by then.
    pids = tmp_path / "pids"
    slow = f'#!/bin/sh\nif [ "$1" = version ]; then echo v5.5.0; exit 0; fi\necho $$ >> {pids}\nexec sleep 60\n'
    bin_dir = write_tree(tmp_path / "bin", {"kustomize": slow})
    (bin_dir / "kustomize").chmod(0o755)
    src = write_tree(tmp_path / "src", {"kustomization.yaml": "resources: []\n"})
    chart = write_tree(tmp_path / "chart", {"Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n"})
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "TMPDIR": str(temp)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            IMPORTED_FIRST + ENTRY,
            command,
            *((chart, src) if command == "verify" else (src, tmp_path / "out")),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_for(lambda: pids.is_file() and pids.read_text().strip(), 60), "the build never started"
        time.sleep(0.5)  # the run waits for the build by now
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    build = int(pids.read_text().split()[0])
    outlived = not _wait_for(lambda: not _running(build), 5)
    if _running(build):  # a failing run leaves it: end it here, not after the tests
        os.kill(build, signal.SIGKILL)
    assert proc.returncode == 1 and "Aborted!" in err, err
    assert time.monotonic() - started < 30  # the build would take 60 s
    assert not outlived, "the kustomize build outlived the command"
    assert not list(temp.glob("helmify-render-*")), "the build's temporary folder was left behind"


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    # `helmify-flts rules --markdown | head -1`, with the reader gone before the text is written:
    # no "internal error" to report, and not the status of bad input.
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-c", ENTRY, "rules", "--markdown"],
            cwd=ROOT,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1


def test_a_closed_stdout_or_stderr_keeps_the_commands_status() -> None:
    # Python starts with sys.stdout (or sys.stderr) None when that descriptor is closed; click
    # then writes nothing there, and the command still succeeds.
    for closed in (">&-", "2>&-"):
        done = subprocess.run(
            ["sh", "-c", f'exec "$0" "$@" {closed}', sys.executable, "-c", ENTRY, "rules"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (closed, done.stderr)
        assert "Traceback" not in done.stderr
        assert ("image-pull-policy" in done.stdout) is (closed == "2>&-")


class _Interrupted(Exception):
    pass


def test_a_build_waited_for_again_after_an_interruption_is_waited_for_to_its_end() -> None:
    # On Python 3.11 a Thread.join interrupted by a signal (Ctrl-C) marks the thread as ended, and
    # a later join returns at once while it still runs: Sources.close would then let the command
    # leave before the build has removed its temporary folder.
    from helmify_flts import kustomize

    ended: list[bool] = []

    def build() -> str:
        time.sleep(1.0)
        ended.append(True)
        return "built"

    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        job = kustomize._Job(build)
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        try:
            job.result()
        except _Interrupted:
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        assert not ended, "the interruption came after the build"
        assert job.result() == "built" and ended == [True]
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_a_chart_rendered_in_groups_prepares_its_report_after_its_last_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rendered in groups to bound the engine's memory, a chart does not hold the report's data
    # beside the engine's: no render starts the report's preparation while it runs.
    import threading

    import helm_python
    from conftest import convert_ok

    from helmify_flts import partition, report

    preparing = threading.Event()
    renders: list[bool] = []
    real_render, real_init = helm_python.Chart.render, report.Prepared.__init__

    def render(self: helm_python.Chart, *args: object, **kwargs: object) -> dict:
        # beside the report, the command's thread starts preparing it at once
        renders.append(preparing.wait(timeout=0.5))
        return real_render(self, *args, **kwargs)

    def prepare(self: report.Prepared, result: object) -> None:
        preparing.set()
        real_init(self, result)

    monkeypatch.setattr(partition, "GROUP_BYTES", 10)
    monkeypatch.setattr(helm_python.Chart, "render", render)
    monkeypatch.setattr(report.Prepared, "__init__", prepare)
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n"
    src = write_tree(tmp_path / "src", {"cm.yaml": cm, "cm2.yaml": cm.replace("name: a", "name: b")})
    convert_ok(src, tmp_path / "out")
    assert len(renders) >= 2 and not any(renders) and preparing.is_set(), renders


def test_a_run_that_ends_waits_a_bounded_time_for_a_build_held_up_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    # A build thread stuck where stopping its process cannot reach it (say, on an import that an
    # interrupted command left locked) must not keep the command from ending.
    import threading

    from helmify_flts import kustomize

    held = threading.Event()
    monkeypatch.setattr(kustomize, "CLOSE_WAIT", 0.3)
    sources = kustomize.Sources()
    sources.builds["/stuck"] = kustomize._Job(held.wait)
    started = time.monotonic()
    sources.close()
    assert time.monotonic() - started < 5
    assert isinstance(sources.builds["/stuck"], kustomize.UserError)
    held.set()
