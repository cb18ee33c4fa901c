"""Patterns compiled ahead of time: the same as re compiles, used only on their build, never made
from input text, and kept up to date with the package's own patterns."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from helmify_flts import precompile, precompiled
from helmify_flts import precompiled_table as table

SAME_BUILD = table.BUILD == precompiled.build()


@pytest.mark.parametrize("key", list(table.PATTERNS), ids=lambda key: repr(key[1])[:40])
def test_each_entry_is_what_re_compiles(key: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    # The table is made on the Python that CI and the benchmarks run (see precompiled.py); on any
    # other it must stay unused, since the engine's code may differ between releases.
    kind, pattern, flags = key
    assert isinstance(pattern, kind)
    cache: dict = {}
    monkeypatch.setattr(re, "_cache", cache)
    precompiled.install()
    if not SAME_BUILD:
        assert cache == {}
        return
    assert table.PATTERNS[key] == precompile.compiled_form(kind, pattern, flags)
    compiled = re._compiler.compile(pattern, flags)  # type: ignore[attr-defined]
    assert cache[key] == compiled  # the engine compares flags, pattern and code
    assert cache[key].groupindex == compiled.groupindex and cache[key].groups == compiled.groups


def test_install_fills_re_cache_and_compile_finds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    cache: dict = {}
    monkeypatch.setattr(re, "_cache", cache)
    assert precompiled.install() == (len(table.PATTERNS) if SAME_BUILD else 0)
    assert precompiled.install() == 0  # once in, nothing is added again
    key = next(iter(table.PATTERNS))
    assert (re.compile(key[1], key[2]) is cache[key]) == SAME_BUILD


def test_another_build_leaves_re_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    cache: dict = {}
    monkeypatch.setattr(re, "_cache", cache)
    monkeypatch.setattr(table, "BUILD", ((3, 11, 0), "cpython", 1, 4, 1, 1))
    assert precompiled.install() == 0
    assert cache == {}


def test_the_yaml_reader_pattern_is_not_compiled_at_start_up() -> None:
    # PyYAML's reader compiles one character class over all of Unicode as it loads: the costliest
    # pattern of a run. Importing the package first must make that compile unnecessary.
    probe = textwrap.dedent(
        """
        import re
        import helmify_flts
        compiled = []
        real = re._compiler.compile
        re._compiler.compile = lambda p, f=0: compiled.append(p) or real(p, f)
        import yaml.reader
        print(len([p for p in compiled if p == yaml.reader.Reader.NON_PRINTABLE.pattern]))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == ("0" if SAME_BUILD else "1")


def _compile_from(text: str) -> re.Pattern:
    return re.compile(text)


def _compile_constant() -> re.Pattern:
    return re.compile(r"helmify-flts-constant-[0-9]+")


def test_the_recorder_keeps_program_text_only() -> None:
    made_from_input = "secret-" + "value-[a-z]+"  # made at run time, as a name or a Secret would be
    with precompile.Recorder() as recorder:
        _compile_from(made_from_input)
        _compile_constant()
    patterns = {key[1] for key in recorder.found}
    assert r"helmify-flts-constant-[0-9]+" in patterns
    assert made_from_input not in patterns
    assert precompiled.install() == 0 or not precompiled._recording  # recording ends with the block


def test_no_origin_is_input() -> None:
    # Every entry comes from a module's program text: a package module or a library's.
    assert set(table.ORIGINS) == set(table.PATTERNS)
    assert all(origin and not origin.startswith("__main__") for origin in table.ORIGINS.values())


def test_the_table_holds_the_package_patterns_a_run_compiles() -> None:
    # Fails when a pattern of the package changed without the table being remade.
    done = subprocess.run(
        [sys.executable, "-m", "helmify_flts.precompile", "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_table_is_deterministic() -> None:
    found = {key: table.ORIGINS[key] for key in table.PATTERNS}
    text = precompile.table_text(found)
    assert precompile.table_text(dict(reversed(found.items()))) == text
    if SAME_BUILD:
        assert text == (ROOT / "helmify_flts" / "precompiled_table.py").read_text()
