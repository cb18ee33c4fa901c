"""The proof loads a chart held in memory from an archive made in memory: nothing is written
outside OUT, and the engine reads exactly the files it would read from the chart's folder."""

from __future__ import annotations

import gzip
import io
import tarfile
import tempfile
from pathlib import Path

import helm_python
import pytest
from conftest import FIXTURES, ROOT, convert_ok, run

from helmify_flts import chart, chartarchive, render
from helmify_flts.render import _render_each

CHART = "apiVersion: v2\nname: c\nversion: 0.1.0\n"
# Every file Helm loaded into the chart, and one read back through .Files.Get.
LISTING = """apiVersion: v1
kind: ConfigMap
metadata:
  name: listing
data:
  files: |
{{- range $path, $_ := .Files }}
    {{ $path }}
{{- end }}
  long: {{ .Files.Get "files/LONG" | quote }}
"""
HIDDEN = (
    ".helmify-changes.json",
    "files/app/backup.bak",
    "files/.git/config",
    "files/nested/.idea/workspace.xml",
    "notes~",
)


def folder_render(files: dict[str, str], values: dict | None = None, name: str = "c") -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in files.items():
            render._write(Path(tmp) / name, rel, text)
        return _render_each(Path(tmp) / name, {None: values})[None]


def archive_render(files: dict[str, str], values: dict | None = None, name: str = "c") -> dict:
    packed = chartarchive.pack(name, files)
    assert packed is not None
    return _render_each(packed, {None: values})[None]


def listing_chart(**extra: str) -> dict[str, str]:
    long_rel = "files/" + "/".join(["d" * 60] * 2) + "/" + "k" * 90  # 213 bytes: the ustar prefix holds part
    return {
        "Chart.yaml": CHART,
        ".helmignore": chart.HELMIGNORE + ".helmify-changes.json\n",
        "templates/listing.yaml": LISTING.replace("files/LONG", long_rel),
        long_rel: "read through a long path\n",
        "files/app/settings.json": "{}\n",
        **{rel: "hidden\n" for rel in HIDDEN},
        **extra,
    }


def test_the_archive_holds_what_the_folder_loader_reads() -> None:
    files = listing_chart()
    from_archive = archive_render(files)
    assert from_archive == folder_render(files)
    listed = from_archive["c/templates/listing.yaml"]
    assert "files/app/settings.json" in listed and "read through a long path" in listed
    for rel in HIDDEN:
        assert rel not in listed  # hidden by .helmignore, as the folder loader hides them


def test_an_independent_reader_sees_the_same_files() -> None:
    files = listing_chart()
    packed = chartarchive.pack("c", files)
    assert packed is not None
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(packed)), format=tarfile.USTAR_FORMAT) as tar:
        members = {m.name: tar.extractfile(m).read().decode() for m in tar.getmembers()}
    kept = {f"c/{rel}": text for rel, text in files.items() if rel not in HIDDEN}
    assert members == kept


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("!keep.bak", "a negation depends on the order of the rules"),
        ("files/[ab].txt", "a character class reads differently in Go"),
        ("files/**", "Helm refuses a double star"),
        ("a\\*b", "an escape"),
    ],
)
def test_rules_read_otherwise_by_helm_decline_the_archive(rule: str, why: str) -> None:
    assert chartarchive.pack("c", {"Chart.yaml": CHART, ".helmignore": rule + "\n"}) is None, why


def test_a_name_no_ustar_header_holds_declines_the_archive() -> None:
    assert chartarchive.pack("c", {"Chart.yaml": CHART, "files/" + "x" * 101: "a"}) is None
    assert chartarchive.pack("c", {"Chart.yaml": CHART, "files/" + "y/" * 130 + "z": "a"}) is None
    assert chartarchive.pack("c", {"Chart.yaml": CHART, "files/caf\u00e9": "a"}) is None


def test_rules_match_as_helm_matches_them() -> None:
    rules = chartarchive._rules("*.bak\n.git/\n/top.txt\nfiles/a*\n")
    assert rules is not None
    hidden = {
        rel for rel in ("x.bak", "files/y.bak", "files/.git/c", "top.txt", "files/top.txt", "files/ab", "files/a/b")
    }
    assert {rel for rel in hidden if chartarchive._hidden(rel, rules)} == {
        "x.bak",
        "files/y.bak",
        "files/.git/c",
        "top.txt",
        "files/ab",
        "files/a/b",  # the folder files/a matches, and hides what it holds
    }
    assert not chartarchive._hidden(".git", chartarchive._rules(".git/\n"))  # a folder rule, a file
    assert chartarchive._hidden("templates/.x.yaml", rules)  # Helm's default rule


def test_a_convert_writes_nothing_to_the_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    seen: list[list[str]] = []
    real = helm_python.Chart.load_archive.__func__

    def load_archive(cls, data):  # noqa: ANN001, ANN202
        seen.append(sorted(p.name for p in private.rglob("*")))
        return real(cls, data)

    monkeypatch.setattr(helm_python.Chart, "load_archive", classmethod(load_archive))

    out = tmp_path / "out"
    result = run(
        "convert",
        FIXTURES / ".kubernetes",
        out,
        "--raw",
        "--rules",
        ROOT / "rules" / "flts.yaml",
        "--env",
        f"prod={FIXTURES / 'environments' / 'prod'}",
    )
    assert result.exit_code == 0, result.stderr
    assert seen == [[]]  # loaded once, for every values set, with nothing on disk
    assert not list(private.iterdir())


def test_flts_renders_alike_from_the_archive_and_from_the_folder(tmp_path: Path) -> None:

    out = tmp_path / "out"
    convert_ok(FIXTURES / ".kubernetes", out, "--raw", "--rules", "conventions", "--rules", "flts-production")
    files = {
        p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
        for p in out.rglob("*")
        if p.is_file() and p.name not in ("helmify-report.md", "helmify-report.json", ".helmify-state.json")
    }
    values = {"fastapi": {"replicas": 5}}
    assert archive_render(files, values, "flts") == folder_render(files, values, "flts")
