"""The helmify-flts command (cli.entry): the same exit statuses and output as the click command,
flushed before the process leaves without tearing the interpreter down."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, write_tree

from helmify_flts import cli

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n"


def _command(
    *args: str | Path, code: str = "from helmify_flts.cli import entry; entry()"
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_the_installed_command_runs_entry() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"helmify-flts": "helmify_flts.cli:entry"}


def test_a_convert_writes_its_chart_and_says_so(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": CM})
    done = _command("convert", src, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("wrote ") and (tmp_path / "out" / "templates").is_dir()
    assert (tmp_path / "out" / ".helmify-state.json").read_text().endswith("}\n")  # written whole
    again = _command("convert", "--check", src, tmp_path / "out")
    assert again.returncode == 0 and "up to date" in again.stderr


def test_bad_input_and_differences_keep_their_exit_statuses(tmp_path: Path) -> None:
    bad = write_tree(tmp_path / "bad", {"cm.yaml": "kind: [\n"})
    done = _command("convert", bad, tmp_path / "out")
    assert done.returncode == 2 and "error: " in done.stderr and "cm.yaml" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()
    src = write_tree(tmp_path / "src", {"cm.yaml": CM})
    assert _command("convert", "-q", src, tmp_path / "out").returncode == 0
    (src / "cm.yaml").write_text(CM.replace("fast", "slow"))
    assert _command("convert", "--check", src, tmp_path / "out").returncode == 1
    assert _command("no-such-command").returncode == 2


def test_large_output_reaches_a_pipe_whole() -> None:
    returned = _command("rules", "--markdown", code="import sys; from helmify_flts.cli import main; main()")
    left = _command("rules", "--markdown")
    assert left.returncode == returned.returncode == 0
    assert len(left.stdout) > 10_000 and left.stdout == returned.stdout


def test_a_flts_convert_by_the_command_matches_the_library(tmp_path: Path) -> None:
    args = ["--chart-name", "flts", "--raw", "-q"]
    by_entry = _command("convert", FIXTURES / ".kubernetes", tmp_path / "a", *args)
    by_main = _command(
        "convert", FIXTURES / ".kubernetes", tmp_path / "b", *args, code="from helmify_flts.cli import main; main()"
    )
    assert by_entry.returncode == by_main.returncode == 0, by_entry.stderr
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)


@pytest.mark.parametrize(("code", "status", "said"), [(None, 0, ""), (0, 0, ""), (3, 3, ""), (256 + 2, 2, "")])
def test_exit_codes_are_those_python_gives(code: object, status: int, said: str, capsys: pytest.CaptureFixture) -> None:
    assert cli._status(code) == status
    assert capsys.readouterr().err == said


def test_a_message_as_exit_code_is_printed_and_fails(capsys: pytest.CaptureFixture) -> None:
    assert cli._status("stopped") == 1
    assert capsys.readouterr().err == "stopped\n"


def test_a_convert_with_stderr_closed_still_converts(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": CM})
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from helmify_flts.cli import entry; entry()",
            "convert",
            str(src),
            str(tmp_path / "out"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        timeout=300,
        pass_fds=(),
        preexec_fn=lambda: __import__("os").close(2),
    )
    assert done.returncode == 0 and (tmp_path / "out" / "templates").is_dir()
