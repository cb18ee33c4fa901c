"""Regular expressions compiled ahead of time, for the command's start-up.

Python compiles a regular expression in Python code (``re._compiler``), and a convert compiles
about a hundred of them as it imports its modules and its libraries: some 30 ms of a 0.34 s run,
all of it on the main thread before the first manifest is read. PyYAML's reader alone spends
9 ms on one character class over all of Unicode. What a compile makes, the engine's code, depends
only on the pattern, its flags and the Python build. precompiled_table.py keeps that code for the
patterns a run compiles from program text (a module's constants), and ``install`` puts them in
``re``'s own cache, where ``re.compile`` looks first. Patterns made from input text (names, globs,
Secret values) are never recorded.

On any Python build other than the one the table was made on, ``install`` does nothing and ``re``
compiles as always: the table can make a run faster, never different. A pattern whose text changed
(a library upgrade, an edited module) is simply not found in it.

Remake the table, from the repository root, with ``python -m helmify_flts.precompiled --write``.
tests/test_precompiled.py checks that it matches what ``re`` compiles and that it holds the
package's own patterns.
"""

from __future__ import annotations

import _sre
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

# Imported by the package itself, before anything compiles: typing is the only other import, and
# every run imports it anyway.
_recording = False  # while the table is made, install() must not hide the compiles it records


def build() -> tuple:
    """What the engine's code depends on besides the pattern: the Python release and the engine's
    format and limits."""
    return (
        tuple(sys.version_info[:3]),
        sys.implementation.name,
        _sre.MAGIC,
        _sre.CODESIZE,
        _sre.MAXREPEAT,
        _sre.MAXGROUPS,
    )


def install() -> int:
    """Put the table's patterns in ``re``'s cache, unless it was made on another build. Returns how
    many were added (0 on another build, or once they are in)."""
    if _recording:
        return 0
    from . import precompiled_table as table

    if table.BUILD != build():
        return 0
    cache: dict = re._cache  # type: ignore[attr-defined]  # re.compile's own lookup: (type, pattern, flags)
    added = 0
    for key, (flags, code, groups, groupindex, indexgroup) in table.PATTERNS.items():
        if key not in cache:
            cache[key] = _sre.compile(key[1], flags, list(code), groups, dict(groupindex), indexgroup)
            added += 1
    return added


def compiled_form(kind: type, pattern: str | bytes, flags: int) -> tuple:
    """What ``re._compiler.compile`` passes to the engine for this pattern, as the table keeps it."""
    from re import _compiler, _parser

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    # The code's opcodes are named ints: the table keeps their values.
    return (
        int(flags | parsed.state.flags),
        tuple(map(int, code)),
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )


class Recorder:
    """The patterns ``re`` compiles while it is on, with the module whose program text they come
    from. A pattern counts only if it is compiled while its module is being imported, or if it is
    a constant of the function that compiles it: anything else may be made from input."""

    def __init__(self) -> None:
        self.found: dict[tuple, str] = {}
        self._real: Any = None

    def __enter__(self) -> Recorder:
        global _recording
        _recording = True
        self._real = real = re._compile  # type: ignore[attr-defined]

        def compile_recorded(pattern: Any, flags: Any) -> Any:
            value = flags.value if isinstance(flags, re.RegexFlag) else flags
            key = (type(pattern), pattern, value)
            if isinstance(pattern, str | bytes) and key not in re._cache:  # type: ignore[attr-defined]
                origin = _program_text(pattern, sys._getframe(1))
                if origin is not None and not value & re.DEBUG:
                    self.found.setdefault(key, origin)
            return real(pattern, flags)

        re._compile = compile_recorded  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        global _recording
        re._compile = self._real  # type: ignore[attr-defined]
        _recording = False


def _program_text(pattern: str | bytes, frame: Any) -> str | None:
    """The module whose program text ``pattern`` is, or None when it may come from input."""
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "re":
        frame = frame.f_back
    if frame is None:
        return None
    name = frame.f_globals.get("__name__", "")
    spec = getattr(sys.modules.get(name), "__spec__", None)
    if getattr(spec, "_initializing", False) or pattern in frame.f_code.co_consts:
        return name
    return None


def table_text(found: dict[tuple, str]) -> str:
    """precompiled_table.py for the patterns found, on this build: sorted, so it is the same for
    the same patterns."""
    lines = [
        '"""Generated by `python -m helmify_flts.precompiled --write`; do not edit (see precompiled.py)."""',
        "",
        "# fmt: off",
        f"BUILD = {build()!r}",
        "",
        "# (type, pattern, flags) as re caches it: (flags, code, groups, groupindex, indexgroup), and the",
        "# module whose program text the pattern is.",
        "PATTERNS = {",
    ]
    origins = ["", "ORIGINS = {"]
    for kind, pattern, flags in sorted(found, key=lambda k: (k[0].__name__, repr(k[1]), k[2])):
        key = f"({kind.__name__}, {pattern!r}, {flags!r})"
        lines.append(f"    {key}: {compiled_form(kind, pattern, flags)!r},")
        origins.append(f"    {key}: {found[(kind, pattern, flags)]!r},")
    return "\n".join([*lines, "}", *origins, "}", ""])


def _record_runs(root: Path) -> dict[tuple, str]:
    """Run the command as the README and the benchmarks do, on the repository's fixtures: without
    and with environments, the production pack with kustomize builds, and verify."""
    import contextlib
    import io
    import tempfile
    from pathlib import Path

    fixtures = root / "fixtures"
    envs = ["--env", f"dev={fixtures / 'environments' / 'dev'}", "--env", f"prod={fixtures / 'environments' / 'prod'}"]
    with Recorder() as recorder:
        from . import cli

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "chart"
            runs = [
                ["convert", "-q", str(fixtures / ".kubernetes"), str(out), "--raw"],
                ["convert", "-q", str(fixtures / ".kubernetes"), str(out), "--raw", "--force", *envs],
                ["verify", "-q", str(out), str(fixtures / ".kubernetes"), "--raw", *envs],
                [
                    "convert",
                    "-q",
                    str(fixtures / ".kubernetes"),
                    str(out),
                    "--force",
                    "--rules",
                    "flts-production",
                    *envs,
                ],
                [
                    "convert",
                    "-q",
                    "--check",
                    str(fixtures / ".kubernetes"),
                    str(out),
                    "--rules",
                    "flts-production",
                    *envs,
                ],
            ]
            for args in runs:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
                    cli.main.main(args, prog_name="helmify-flts", standalone_mode=True)
    return recorder.found


def main(argv: list[str]) -> int:
    """``--write``: remake precompiled_table.py; ``--check``: exit 1 if a pattern of the package
    that the runs compile is missing from it."""
    if argv not in (["--write"], ["--check"]):
        print("usage: python -m helmify_flts.precompiled --write | --check", file=sys.stderr)
        return 2
    from pathlib import Path

    found = _record_runs(Path.cwd())
    if argv == ["--write"]:
        table_file = Path(__file__).with_name("precompiled_table.py")
        table_file.write_text(table_text(found), encoding="utf-8")
        print(f"{len(found)} patterns written to {table_file}")
        return 0
    from . import precompiled_table as table

    missing = sorted(
        repr(key[1]) for key, origin in found.items() if origin.startswith("helmify_flts") and key not in table.PATTERNS
    )
    for pattern in missing:
        print(f"missing: {pattern}")
    return 1 if missing else 0


if __name__ == "__main__":  # the package's own copy of this module is the one its commands use
    from helmify_flts import precompiled

    sys.exit(precompiled.main(sys.argv[1:]))
