"""Nothing derived from untrusted input (manifests, the state file in OUT) makes convert read,
write or delete outside OUT; file names stay safe, bounded and unique; a failing write is an
error that leaves OUT as it was; killed runs leave nothing behind for long."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, assert_proven, assert_reproduces, run, write_tree
from hypothesis import given, settings
from hypothesis import strategies as st

from helmify_flts import chart, chartarchive, emit, filenames, leftovers, render
from helmify_flts.errors import UserError

SECRET = "top secret, not yours\n"


# --------------------------------------------------------------------------- helpers


pytestmark = pytest.mark.usefixtures("private_tmp")


def configmap(name: str, data: dict[str, str], namespace: str | None = None) -> str:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", f"  name: {json.dumps(name)}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    lines.append("data:")
    for key, text in data.items():
        lines.append(f"  {json.dumps(key)}: |")
        lines += [f"    {line}" for line in text.splitlines()]
    return "\n".join(lines) + "\n"


def every_file(root: Path) -> set[str]:
    """Every file and link under ``root``, symbolic links not followed."""
    found = set()
    for here, dirs, files in os.walk(root):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(here, d))]:
            found.add(Path(here, name).relative_to(root).as_posix())
    return found


def snapshot(root: Path) -> dict[str, bytes]:
    return {rel: (root / rel).read_bytes() for rel in every_file(root) if (root / rel).is_file()}


def no_traceback(result) -> None:  # noqa: ANN001
    assert "Traceback" not in result.stderr + result.stdout


def assert_renders_back(out: Path, src: Path) -> None:
    """The round trip without lint: names Kubernetes would refuse are the point of these tests."""
    assert_proven(out, src)


# --------------------------------------------------------------------------- 1. writes outside OUT


@pytest.mark.parametrize("name", ["../../escaped", "../../../../escaped", "/abs/escaped"])
@pytest.mark.parametrize("mode", ["convert", "--check", "--diff"])
def test_hostile_configmap_name_writes_nothing_outside_out(tmp_path: Path, name: str, mode: str) -> None:
    base = tmp_path / "a" / "b"
    src = write_tree(base / "src", {"cm.yaml": configmap(name, {"victim.txt": "line one\nline two\n"})})
    out = base / "out"
    before = every_file(tmp_path)
    result = run("convert", src, out, *([] if mode == "convert" else [mode]))
    no_traceback(result)
    new = every_file(tmp_path) - before
    assert all(path.startswith("a/b/out/") for path in new), sorted(new)
    if mode == "convert":
        assert result.exit_code == 0, result.stderr
        victims = [p for p in new if p.endswith("/victim.txt")]
        assert len(victims) == 1 and victims[0].startswith("a/b/out/files/"), victims
        assert (tmp_path / victims[0]).read_text() == "line one\nline two\n"
        assert_renders_back(out, src)
        # Replacing the ConfigMap removes only the file inside OUT.
        write_tree(src, {"cm.yaml": configmap("plain", {"victim.txt": "other\ntext\n"})})
        again = run("convert", src, out)
        assert again.exit_code == 0, again.stderr
        assert not (tmp_path / victims[0]).exists()
        assert all(p.startswith(("a/b/out/", "a/b/src/")) for p in every_file(tmp_path)), every_file(tmp_path)
    else:
        assert result.exit_code == 1, result.stderr
        assert new == set()


def test_configmap_key_dot_dot_is_kept_inside_files(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": configmap("cfg", {"..": "dot\ndot\n", ".": "one\ntwo\n"})})
    out = tmp_path / "out"
    result = run("convert", src, out)
    no_traceback(result)
    assert result.exit_code == 0, result.stderr
    held = sorted(p for p in every_file(out) if p.startswith("files/"))
    assert len(held) == 2 and all(p.startswith("files/cfg/") for p in held), held
    assert all(part not in (".", "..") for p in held for part in p.split("/"))
    assert_renders_back(out, src)


def test_a_300_character_name_gives_bounded_file_names(tmp_path: Path) -> None:
    name = "a" * 300
    key = "k" * 300 + ".json"
    src = write_tree(tmp_path / "src", {"cm.yaml": configmap(name, {key: "{\n}\n"})})
    out = tmp_path / "out"
    result = run("convert", src, out)
    no_traceback(result)
    assert result.exit_code == 0, result.stderr
    files = every_file(out)
    assert all(len(part.encode()) <= 255 for p in files for part in p.split("/")), files
    assert any(p.startswith("templates/aaaa") for p in files)
    assert [p for p in files if p.startswith("files/")][0].endswith(".json")
    assert_renders_back(out, src)


def test_names_that_would_collide_get_distinct_deterministic_files(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "a.yaml": configmap(
                "cfg",
                {"x.txt": "lower\ncase\n", "X.txt": "upper\ncase\n", "a/b": "slash\nkey\n", "a_b": "under\nscore\n"},
                namespace="one",
            ),
            "b.yaml": configmap("cfg", {"x.txt": "other\nnamespace\n"}, namespace="two"),
            "c.yaml": configmap("CFG", {"y.txt": "upper\nname\n"}, namespace="three"),
        },
    )
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        result = run("convert", src, out, "--chart-name", "c")
        no_traceback(result)
        assert result.exit_code == 0, result.stderr
    held = sorted(p for p in every_file(first) if p.startswith("files/"))
    assert len(held) == 6, held
    assert len({p.casefold() for p in held}) == 6, held  # distinct on a case-insensitive disk too
    assert "files/cfg/x.txt" in held and "files/cfg/a_b" in held  # safe names are left alone
    assert snapshot(first) == snapshot(second)
    assert_renders_back(first, src)


def test_a_name_helm_would_ignore_is_mapped(tmp_path: Path) -> None:
    """`*.bak` is in the chart's .helmignore: a file of that name would read back empty."""
    src = write_tree(tmp_path / "src", {"cm.yaml": configmap("cfg", {"old.bak": "kept\ntext\n"})})
    out = tmp_path / "out"
    result = run("convert", src, out)
    assert result.exit_code == 0, result.stderr
    assert not (out / "files/cfg/old.bak").exists()
    assert_reproduces(out, src)


def test_ignored_names_follow_the_charts_helmignore() -> None:
    patterns = {line.rstrip("/") for line in chart.HELMIGNORE.splitlines() if line and not line.startswith("#")}
    assert patterns == set(filenames.IGNORED)


@pytest.mark.parametrize(
    "name",
    [
        "haproxy-config",
        "prometheus.yml",
        "flts-dashboard.json",
        "10-mlflow-extensions.sh",
        ".env",
        "A_b-C.1",
        "x" * 255,
    ],
)
def test_safe_names_are_left_alone(name: str) -> None:
    assert filenames.safe_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "..",
        ".",
        "",
        "a/b",
        "a\\b",
        "nul\0x",
        "new\nline",
        "tab\t",
        "x" * 256,
        "é",
        "a~b",
        "old.bak",
        ".git",
        "helmify-report.md",
    ],
)
def test_unsafe_names_are_mapped(name: str) -> None:
    mapped = filenames.safe_name(name)
    assert mapped != name
    assert filenames.is_safe(mapped.replace("~", "_"))
    assert not mapped.startswith(".") and len(mapped.encode()) <= 255 and "~" in mapped
    assert filenames.safe_name(name) == mapped  # deterministic


NAMES = st.one_of(
    st.text(max_size=300),
    st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True),
    st.sampled_from(["..", ".", "", "a", "A", "a/b", "a_b", "x.bak", "dev", "DEV", "x" * 256]),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.tuples(NAMES, NAMES), min_size=1, max_size=12))
def test_claimed_paths_are_plain_unique_and_inside(pairs: list[tuple[str, str]]) -> None:
    names = filenames.FileNames(frozenset({"files/dev"}))
    paths = [names.claim(("files", name, key), f"{i}") for i, (name, key) in enumerate(pairs)]
    filenames.check_tree(paths)  # plain, bounded, no file where a folder is needed, no case twins
    assert all(p.startswith("files/") and not p.casefold().startswith("files/dev/") for p in paths)
    again = filenames.FileNames(frozenset({"files/dev"}))
    assert paths == [again.claim(("files", n, k), f"{i}") for i, (n, k) in enumerate(pairs)]
    seen = set()
    for (name, key), path in zip(pairs, paths, strict=True):
        folded = (name.casefold(), key.casefold())
        if filenames.is_safe(name) and filenames.is_safe(key) and folded[0] != "dev" and folded not in seen:
            assert path == f"files/{name}/{key}"  # safe names are left alone when nothing clashes
        seen.add(folded)


@pytest.mark.parametrize("rel", ["../x", "a/../../x", "/etc/x", "a//b", "./a", "a/\0", "a\\..\\x", "x" * 300])
def test_emit_refuses_a_path_outside_out(tmp_path: Path, rel: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(UserError):
        emit.make_plan(out, {"values.yaml": "a: 1\n", rel: "escaped\n"})
    with pytest.raises(UserError):
        emit.write(out, {rel: "escaped\n"}, emit.Plan(create=(rel,)))
    with pytest.raises(UserError):
        render.render_files({"Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n", rel: "escaped\n"}, "c")
    assert every_file(tmp_path) == set()


def test_a_link_inside_out_is_not_followed(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": configmap("cfg", {"a.txt": "one\ntwo\n"})})
    out = tmp_path / "out"
    assert run("convert", src, out).exit_code == 0
    outside = write_tree(tmp_path / "outside", {"cfg/a.txt": SECRET, "values.yaml": SECRET})
    before_outside = snapshot(outside)
    (out / "files/cfg/a.txt").unlink()
    (out / "files/cfg").rmdir()
    (out / "files").rmdir()
    (out / "files").symlink_to(outside, target_is_directory=True)
    (out / "values.yaml").unlink()
    (out / "values.yaml").symlink_to(outside / "values.yaml")
    for extra in ([], ["--diff"], ["--force"]):
        result = run("convert", src, out, *extra)
        no_traceback(result)
        assert result.exit_code == 2, result.stderr
        assert "symbolic link" in result.stderr
        assert SECRET.strip() not in result.stdout + result.stderr
    assert snapshot(outside) == before_outside


def test_environment_files_follow_the_mapped_base_file(tmp_path: Path) -> None:
    """An environment's copy of a file sits under files/<env>/ at the base file's (mapped) place,
    and a resource named like an environment does not take that folder."""

    def manifests_for(text: str) -> dict[str, str]:
        return {
            "cm.yaml": configmap("../up", {"a/b": f"one\n{text}\n"})
            + "---\n"
            + configmap("dev", {"cfg": "base\nonly\n"})
            + "---\n"
            + configmap("cfg", {"x": f"x\n{text}\n"})
        }

    src = write_tree(tmp_path / "src", manifests_for("base"))
    dev = write_tree(tmp_path / "dev", manifests_for("dev"))
    out = tmp_path / "out"
    result = run("convert", src, out, "--env", f"dev={dev}")
    no_traceback(result)
    assert result.exit_code == 0, result.stderr
    held = sorted(p for p in every_file(out) if p.startswith("files/"))
    base = [p for p in held if not p.startswith("files/dev/")]
    assert len(held) == 5 and len(base) == 3, held
    assert all(f"files/dev/{p[len('files/') :]}" in held for p in base if "dev" not in p.split("/")[1]), held
    assert all(p.split("/")[1] != "dev" for p in base), base
    assert_renders_back(out, src)
    verified = run("verify", out, src, "--env", f"dev={dev}")
    assert verified.stderr.count("3 of 3 resources identical") == 2, verified.stderr  # lint dislikes "../up"


# --------------------------------------------------------------------------- 2. the state file


@pytest.fixture
def chart_with_outside_secret(tmp_path: Path) -> tuple[Path, Path, Path]:
    src = write_tree(tmp_path / "src", {"cm.yaml": configmap("cfg", {"a.txt": "one\ntwo\n"})})
    out = tmp_path / "out"
    assert run("convert", src, out).exit_code == 0
    secret = write_tree(tmp_path / "outside" / "deep", {"secret.txt": SECRET}) / "secret.txt"
    return src, out, secret


def _tamper(out: Path, entry: str, secret: Path) -> None:
    state = json.loads((out / emit.STATE).read_text())
    state["files"][entry] = emit.digest(secret.read_text())
    (out / emit.STATE).write_text(json.dumps(state))


@pytest.mark.parametrize("kind", ["relative", "absolute", "through-a-link"])
@pytest.mark.parametrize("mode", [[], ["--diff"], ["--check"], ["--force"]])
def test_state_entries_outside_out_are_an_error(
    chart_with_outside_secret: tuple[Path, Path, Path], kind: str, mode: list[str]
) -> None:
    src, out, secret = chart_with_outside_secret
    if kind == "relative":
        entry = os.path.relpath(secret, out)
        assert entry.startswith("../")
    elif kind == "absolute":
        entry = str(secret)
    else:
        (out / "link").symlink_to(secret.parent, target_is_directory=True)
        entry = "link/secret.txt"
    _tamper(out, entry, secret)
    write_tree(src, {"cm.yaml": configmap("other", {"b.txt": "three\nfour\n"})})  # the entry is not produced
    before = snapshot(out)
    result = run("convert", src, out, *mode)
    no_traceback(result)
    assert result.exit_code == 2, result.stderr
    assert f"{out / emit.STATE}" in result.stderr and "delete" in result.stderr
    assert SECRET.strip() not in result.stdout + result.stderr
    assert secret.read_text() == SECRET and secret.parent.is_dir()
    assert snapshot(out) == before


def test_a_clean_state_file_still_removes_what_is_no_longer_produced(
    chart_with_outside_secret: tuple[Path, Path, Path],
) -> None:
    src, out, _ = chart_with_outside_secret
    assert (out / "files/cfg/a.txt").is_file()
    write_tree(src, {"cm.yaml": configmap("other", {"b.txt": "three\nfour\n"})})
    assert run("convert", src, out).exit_code == 0
    assert not (out / "files/cfg").exists() and (out / "files/other/b.txt").is_file()


# --------------------------------------------------------------------------- 3. leftovers


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_leftovers_of_dead_runs_are_removed_and_live_ones_kept(tmp_path: Path, private_tmp: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": configmap("cfg", {"a.txt": "one\ntwo\n"})})
    out = tmp_path / "out"
    host = leftovers.tag().split("-")[2]
    dead, mine = f"{_dead_pid()}-123-{host}", leftovers.tag()
    made = {
        tmp_path / f".out.new-{dead}-abc": False,
        tmp_path / f".out.new-{mine}-abc": True,  # a live run (this very process)
        tmp_path / f".out.new-{_dead_pid()}-1-ffffff-abc": True,  # another host
        tmp_path / ".out.new-legacy": True,  # no owner in the name: never guessed at
        tmp_path / f".other.new-{dead}-abc": True,  # another chart's
        private_tmp / f"helmify-render-{dead}-xyz": False,
        private_tmp / f"helmify-render-{mine}-xyz": True,
    }
    for folder in made:
        write_tree(folder, {"values.yaml": "password: hunter2\n"})
    result = run("convert", src, out)
    assert result.exit_code == 0, result.stderr
    for folder, kept in made.items():
        assert folder.exists() == kept, folder.name
    assert not list(private_tmp.glob(f"helmify-render-{mine}-*/c*"))  # this run's own folder is gone


def test_a_pid_reused_by_another_process_does_not_keep_leftovers(tmp_path: Path) -> None:
    started = int(leftovers.tag().split("-")[1])
    assert started > 0  # Linux: the start time is known
    host = leftovers.tag().split("-")[2]
    reused = tmp_path / f".out.new-{os.getpid()}-{started + 1}-{host}-abc"
    reused.mkdir()
    assert leftovers.dead(tmp_path, ".out.new-") == [reused]


KILLED_RUN = """
import os, signal, sys
from helmify_flts import emit
from helmify_flts.cli import main
where = sys.argv[1]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if where == "swap":
    emit._swap_in = die
else:
    from helmify_flts import chartarchive, render
    chartarchive.pack = lambda *args: None  # a chart the archive cannot carry is written to a folder
    render._render_each = die  # every render of the proof goes through it
main(["convert", sys.argv[2], sys.argv[3]])
"""


@pytest.mark.parametrize("where", ["swap", "render"])
def test_what_a_killed_run_left_is_removed_by_the_next(tmp_path: Path, private_tmp: Path, where: str) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "cm.yaml": configmap("cfg", {"a.txt": "one\ntwo\n"}),
            "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: hunter2}\n",
        },
    )
    out = tmp_path / "out"
    env = dict(os.environ, TMPDIR=str(private_tmp), PYTHONPATH=str(ROOT))
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, where, str(src), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    pattern = ".out.new-*" if where == "swap" else "helmify-render-*"
    left = list((tmp_path if where == "swap" else private_tmp).glob(pattern))
    assert len(left) == 1, sorted(p.name for p in tmp_path.iterdir())
    if where == "swap":
        assert stat.S_IMODE(left[0].stat().st_mode) == 0o700  # private while it holds the Secret
    result = run("convert", src, out)
    assert result.exit_code == 0, result.stderr
    assert not left[0].exists()
    assert not list(tmp_path.glob(".out.*")) and not list(private_tmp.iterdir())


def test_the_staging_copy_is_private_and_the_chart_is_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": configmap("cfg", {"a.txt": "one\ntwo\n"})})
    out = tmp_path / "out"
    modes = []
    real = Path.write_bytes

    def spy(self: Path, data: bytes) -> int:
        staging = next(p for p in [self, *self.parents] if p.name.startswith(".out.new-"))
        modes.append(stat.S_IMODE(staging.stat().st_mode))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", spy)
    old = os.umask(0o022)
    try:
        assert run("convert", src, out).exit_code == 0
    finally:
        os.umask(old)
    assert modes and set(modes) == {0o700}
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    (out / "mine.txt").write_text("x")  # a second run copies OUT and keeps its mode
    write_tree(src, {"cm.yaml": configmap("cfg", {"a.txt": "one\nthree\n"})})
    modes.clear()
    assert run("convert", src, out).exit_code == 0
    assert modes and set(modes) == {0o700}
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


@pytest.mark.parametrize("mode", [[], ["--check"], ["--force"]])
def test_out_as_a_symbolic_link_is_refused(tmp_path: Path, mode: list[str]) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": configmap("cfg", {"a.txt": "one\ntwo\n"})})
    target = write_tree(tmp_path / "elsewhere", {"keep.txt": "mine\n"})
    link = tmp_path / "out"
    link.symlink_to(target, target_is_directory=True)
    result = run("convert", src, link, *mode)
    no_traceback(result)
    assert result.exit_code == 2 and "symbolic link" in result.stderr, result.stderr
    assert link.is_symlink() and every_file(target) == {"keep.txt"}


# --------------------------------------------------------------------------- 4. no traceback


@pytest.fixture
def small_chart(tmp_path: Path) -> tuple[Path, Path]:
    src = write_tree(tmp_path / "src", {"cm.yaml": configmap("cfg", {"a.txt": "one\ntwo\n"})})
    out = tmp_path / "out"
    assert run("convert", src, out).exit_code == 0
    write_tree(src, {"cm.yaml": configmap("cfg", {"a.txt": "one\nthree\n"})})  # so the next run writes
    return src, out


def _assert_refused(result, out: Path, before: dict[str, bytes], *words: str) -> None:  # noqa: ANN001
    no_traceback(result)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: ") or "\nerror: " in result.stderr
    for word in words:
        assert word in result.stderr
    assert snapshot(out) == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out.")] == []


def test_a_user_file_named_files(small_chart: tuple[Path, Path]) -> None:
    src, out = small_chart
    for rel in sorted(every_file(out / "files"), reverse=True):
        (out / "files" / rel).unlink()
    for folder in sorted((out / "files").rglob("*"), reverse=True):
        folder.rmdir()
    (out / "files").rmdir()
    (out / "files").write_text("my notes\n")
    before = snapshot(out)
    _assert_refused(run("convert", src, out, "--force"), out, before, f"{out / 'files'} is a file")


def test_a_user_folder_named_values_yaml(small_chart: tuple[Path, Path]) -> None:
    src, out = small_chart
    (out / "values.yaml").unlink()
    write_tree(out / "values.yaml", {"mine.txt": "x\n"})
    before = snapshot(out)
    _assert_refused(run("convert", src, out, "--force"), out, before, f"{out / 'values.yaml'} is a folder")


def test_a_read_only_out(small_chart: tuple[Path, Path]) -> None:
    src, out = small_chart
    before = snapshot(out)
    out.chmod(0o555)
    try:
        _assert_refused(run("convert", src, out), out, before, "read-only", str(out))
    finally:
        out.chmod(0o755)


def test_a_read_only_file_system(small_chart: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = small_chart
    before = snapshot(out)

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(out.parent))

    monkeypatch.setattr(emit.tempfile, "mkdtemp", refuse)
    _assert_refused(run("convert", src, out), out, before, "Read-only file system", str(out.parent))


def test_a_full_disk(small_chart: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = small_chart
    before = snapshot(out)
    real = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        if self.name == "a.txt":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    _assert_refused(run("convert", src, out), out, before, "No space left on device", str(out / "files/cfg/a.txt"))


def test_a_full_temp_folder_during_the_review_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": configmap("cfg", {"a.txt": "one\ntwo\n"})})
    out = tmp_path / "out"

    real = Path.write_text

    def full(self: Path, *args, **kwargs) -> int:  # noqa: ANN002, ANN003
        if tmp_path / "tmp" in self.parents:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    monkeypatch.setattr(chartarchive, "pack", lambda *args: None)  # written to a folder, not packed in memory
    result = run("convert", src, out)
    no_traceback(result)
    assert result.exit_code != 0 and "No space left on device" in result.stderr and "TMPDIR" in result.stderr


# --------------------------------------------------------------------------- 5. SRC and OUT, size limit


def test_src_and_out_the_same_folder(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": configmap("cfg", {"a.txt": "one\ntwo\n"})})
    before = snapshot(src)
    for out in (src, tmp_path / "src" / "."):
        result = run("convert", src, out)
        no_traceback(result)
        assert result.exit_code == 2 and "same folder" in result.stderr, result.stderr
    assert snapshot(src) == before


def test_src_inside_out(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "repo" / "k8s", {"cm.yaml": configmap("cfg", {"a.txt": "one\ntwo\n"})})
    before = snapshot(tmp_path)
    result = run("convert", src, tmp_path / "repo")
    assert result.exit_code == 2 and "inside OUT" in result.stderr, result.stderr
    env = run(
        "convert",
        write_tree(tmp_path / "base", {"cm.yaml": configmap("cfg", {"a.txt": "x\ny\n"})}),
        tmp_path / "repo",
        "--env",
        f"dev={src}",
    )
    assert env.exit_code == 2 and "--env dev" in env.stderr, env.stderr
    assert snapshot(tmp_path) == {**before, "base/cm.yaml": (tmp_path / "base/cm.yaml").read_bytes()}


def _huge(lines: int) -> str:
    return "".join(f"line {i:07d} " + "x" * 80 + "\n" for i in range(lines))


def test_a_config_file_over_helms_limit_is_named_before_writing(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"big.yaml": "# a comment\n" + configmap("cfg", {"huge.txt": _huge(60_000)})})
    out = tmp_path / "out"
    result = run("convert", src, out)
    no_traceback(result)
    assert result.exit_code == 2, result.stderr
    assert "error: big.yaml:7: " in result.stderr and "5 MiB" in result.stderr
    assert not out.exists()


def test_values_over_helms_limit_are_named_before_writing(tmp_path: Path) -> None:
    """A huge single-line env value is lifted into values.yaml, which Helm would not load."""
    big = "z" * (5 * 1024 * 1024 + 1)
    doc = "\n".join(
        [
            "apiVersion: apps/v1",
            "kind: Deployment",
            "metadata: {name: web}",
            "spec:",
            "  selector: {matchLabels: {app: web}}",
            "  template:",
            "    metadata: {labels: {app: web}}",
            "    spec:",
            "      containers:",
            "        - name: web",
            "          image: nginx:1.25",
            "          env:",
            "            - name: BLOB",
            f"              value: {big}",
            "",
        ]
    )
    src = write_tree(tmp_path / "src", {"web.yaml": doc})
    out = tmp_path / "out"
    result = run("convert", src, out)
    no_traceback(result)
    assert result.exit_code == 2, result.stderr
    assert "5 MiB" in result.stderr and "values.yaml" in result.stderr
    assert not out.exists()


def test_a_template_over_helms_limit_is_named_before_writing(tmp_path: Path) -> None:
    doc = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one-line}\ndata:\n  blob: "
        + "y" * (5 * 1024 * 1024 + 1)
        + "\n"
    )
    src = write_tree(tmp_path / "src", {"small.yaml": configmap("cfg", {"a.txt": "one\ntwo\n"}), "blob.yaml": doc})
    out = tmp_path / "out"
    result = run("convert", src, out)
    no_traceback(result)
    assert result.exit_code == 2, result.stderr
    assert "error: blob.yaml:1: " in result.stderr and "5 MiB" in result.stderr and "templates/" in result.stderr
    assert not out.exists()


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab/.-\x00\x01\x1f\x7f\x85\u2028é \t")), min_size=1, max_size=8))
def test_a_path_with_a_control_character_is_refused_whatever_else_it_holds(rel: str) -> None:
    from helmify_flts.filenames import problem

    controlled = any(ord(c) < 32 or ord(c) == 127 for c in rel)
    said = problem(rel)
    assert (said in ("it contains a control character", "it contains a NUL character")) == controlled
