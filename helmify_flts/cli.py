"""Command line: the only place that prints or exits.

Exit codes: 0 done or up to date; 1 a check found differences (or a hand-edited file stopped
the run); 2 bad input or usage.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import os
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__, collector, heldvalues
from .errors import UserError
from .outcome import EXIT_DIFF, EXIT_OK, EXIT_USAGE, Mode, Outcome, VerifyOutcome  # noqa: F401 - exit codes too

if TYPE_CHECKING:
    from . import chart

# The conversion modules, and the YAML library with kyaml, are imported inside the commands, after
# convert has started any kustomize builds: the builds then run while Python loads the rest of the tool.


def parse_envs(values: tuple[str, ...]) -> tuple[tuple[str, Path], ...]:
    """``dev=envs/dev`` -> (("dev", Path("envs/dev")),); names are DNS-label-like and unique."""
    from .redact import inline  # an argument pasted in the wrong place may be a credential

    out: list[tuple[str, Path]] = []
    for value in values:
        name, sep, folder = value.partition("=")
        if not sep or not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name) or not folder:
            raise UserError(f"--env {inline(value)!r}: write NAME=DIR with a lower-case name such as dev or prod")
        if name in dict(out):
            raise UserError(f"--env {name} is given twice")
        if not Path(folder).is_dir():
            raise UserError(f"--env {name}: {inline(folder)} is not a directory")
        out.append((name, Path(folder)))
    return tuple(out)


PROGRESS_MIN_FILES = 20


def _progress(done: int, total: int, name: str) -> None:
    """One self-overwriting status line on an interactive stderr."""
    if total < PROGRESS_MIN_FILES:
        return
    line = f"reading {done + 1}/{total} {name}"[:79]
    click.echo(f"\r{line:<79}", err=True, nl=False)
    if done + 1 == total:
        click.echo("\r" + " " * 79 + "\r", err=True, nl=False)


# Messages quote input (file and resource names, keys), which may hold line breaks and control
# characters: in a CI log, a line that starts with "::" or "##" is a command to the runner
# (GitHub's ::add-mask::, Azure's ##vso[...]), and an escape sequence rewrites the terminal. No
# line of ours starts so: such a line break came from input and is shown as "\n".
_COMMAND_LINE = r"\n(?=[ \t]*(?:::|##))"
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]"


def safe_to_print(message: str) -> str:
    """``message`` as it may be printed: our own line breaks kept, nothing else that acts
    (templating.printable, for chart files, puts a text on one line instead)."""
    plain = message.isascii() and message.replace("\n", "").isprintable()  # no tab, no control character
    if plain and not any(lead in message for lead in ("\n ", "\n::", "\n##")):
        return message  # most lines: nothing to escape, and no pattern compiled to say so
    message = re.sub(_COMMAND_LINE, r"\\n", message)
    return re.sub(_CONTROL, lambda m: f"\\u{ord(m.group()):04x}", message)


def _err(message: str) -> None:
    redact = sys.modules.get("helmify_flts.redact")  # loaded once sources are: it knows their Secrets
    click.echo(safe_to_print(redact.held(message) if redact else message), err=True)


def _fail(exc: UserError) -> None:
    _err(f"error: {exc}")
    sys.exit(EXIT_USAGE)


def _internal(exc: BaseException, verbose: bool) -> None:
    """A bug, not bad input: one line naming the exception and where in the tool it happened.
    Its text may quote input (a Secret's value), so it is shown only with the traceback, under -v."""
    import traceback  # only a bug needs it

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "helmify_flts" in Path(f.filename).parts]
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    if verbose:
        _err("".join(traceback.format_exception(exc)).rstrip())
    _err(
        f"error: internal error: {type(exc).__name__}{where}. Please report it with "
        f"the command you ran{'' if verbose else ' (-v shows the details)'}"
    )
    sys.exit(EXIT_USAGE)


def _guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command so that nothing ends in a traceback: bad input is one ``error:`` line, and so
    is anything unexpected (a RecursionError, a MemoryError, a bug), with exit 2."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        # Each command hides its own Secrets' values, apart from a command before it or one that
        # runs at the same time in another thread (a library, tests).
        heldvalues.begin()
        try:
            return command(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own ways of ending a command
        except BrokenPipeError:
            raise  # the reader went away (`| head`): not a bug; click ends the command quietly, with 1
        except UserError as exc:
            _fail(exc)
        except Exception as exc:  # noqa: BLE001 - the one place unexpected errors end
            _internal(exc, bool(kwargs.get("verbose")))
        finally:
            heldvalues.end()
        return None

    return run


def _check_out(src: Path, out: Path, envs: tuple[str, ...]) -> None:
    """OUT must be a real folder apart from the manifests: convert replaces OUT as a whole, so
    OUT holding SRC would copy the manifests into the chart, and SRC == OUT would read the chart
    back as input. OUT inside SRC is fine: reading SRC skips it."""
    if out.is_symlink():
        raise UserError(
            f"{out} is a symbolic link (to {os.path.realpath(out)}); give the real folder instead, "
            "so that the chart is not written somewhere the link was made to point"
        )
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} exists and is not a folder; give a folder for the chart")
    real_out = Path(os.path.realpath(out))
    folders = [("SRC", src)] + [
        (f"--env {v.partition('=')[0]}", Path(v.partition("=")[2])) for v in envs if v.partition("=")[2]
    ]
    for label, folder in folders:
        real = Path(os.path.realpath(folder))
        if real == real_out:
            raise UserError(
                f"{label} and OUT are the same folder ({folder}); write the chart to another folder, "
                "such as .helm beside or inside the manifests"
            )
        if real_out in real.parents:
            raise UserError(f"{label} ({folder}) is inside OUT ({out}); give an OUT that does not hold the manifests")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="helmify-flts")
def main() -> None:
    """Turn a folder of Kubernetes manifests into a Helm chart that renders them back exactly.

    \b
    Exit codes: 0 done or up to date; 1 differences found (--check, --diff, verify) or a
    hand-edited generated file; 2 bad input or usage.
    """


@main.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--rules",
    "rule_files",
    multiple=True,
    metavar="FILE",
    help="Rule file layered over the built-in rules (repeatable; later files win).",
)
@click.option("--no-default-rules", is_flag=True, help="Start from no rules instead of the built-in packs.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Leave matching files out (repeatable).")
@click.option("--chart-name", metavar="NAME", help="Chart name (default: from OUT, made DNS-safe).")
@click.option(
    "--env",
    "envs",
    multiple=True,
    metavar="NAME=DIR",
    help="An environment's complete manifest folder; writes values-NAME.yaml (repeatable).",
)
@click.option(
    "--values-layout",
    "values_layout",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="The team's own values.yaml: templates read its keys, values.yaml keeps its layout and comments.",
)
@click.option(
    "--write-rules",
    "write_rules",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="With --values-layout: also write the rule file that wires the team's keys (outside SRC and OUT).",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if OUT differs from what would be written.")
@click.option(
    "--diff", "show_diff", is_flag=True, help="Write nothing; print a unified diff of OUT; exit 1 on differences."
)
@click.option(
    "--show-secrets",
    is_flag=True,
    help="With --diff: print Secret values and credentials as they are, instead of <redacted:...> marks.",
)
@click.option("--force", is_flag=True, help="Overwrite generated files that were edited by hand.")
@click.option(
    "--raw",
    is_flag=True,
    help="Read folders with a kustomization file by file instead of building them with kustomize.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Explain each rule decision (and show an internal error in full).")
@_guarded
def convert(
    src: Path,
    out: Path,
    rule_files: tuple[str, ...],
    no_default_rules: bool,
    exclude: tuple[str, ...],
    chart_name: str | None,
    envs: tuple[str, ...],
    values_layout: Path | None,
    write_rules: Path | None,
    check: bool,
    show_diff: bool,
    show_secrets: bool,
    force: bool,
    raw: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Convert the manifests in SRC into a Helm chart in OUT.

    A folder with a kustomization.yaml is built with kustomize (or kubectl kustomize) first."""
    mode = Mode.of(check, show_diff)
    _check_out(src, out, envs)
    # From the first import to the proof: modules and node trees, which make no cycles worth a scan.
    with collector.paused():
        from . import kustomize

        sources = kustomize.Sources(raw=raw)  # one per run: each kustomization is built once
        sources.start([src, *(Path(v.partition("=")[2]) for v in envs if v.partition("=")[2])])
        click.get_current_context().call_on_close(sources.close)  # a run that ends early stops its builds
        _warm_engine()
        from . import chart, emit, report

        opts = dataclasses.replace(
            _options(src, out, rule_files, no_default_rules, exclude, chart_name, envs, quiet), raw=raw, sources=sources
        )
        fitted = None
        if write_rules is not None or values_layout is not None:
            from . import fit

            fit.check_rules_out(write_rules, values_layout, src, out, rule_files)
        if values_layout is not None:
            fitted = fit.build(opts, values_layout, write_rules or Path("values-layout.rules.yaml"))
            result = fitted.result
        else:
            result = chart.build(opts)
        proven, prepared = _prove_and_prepare(result)
        # What the pause made lives to the end of the run: kept out of the collector's scans, the
        # first collection after the pause does not walk every node of the conversion. Thawed
        # when the command ends, for a process that runs it again (a test, a library user).
        gc.freeze()
        click.get_current_context().call_on_close(gc.unfreeze)
    files = {**result.files, **report.files(result, proven, prepared)}
    if fitted is not None:
        files = fit.report_files(files, fitted)
    plan = emit.make_plan(out, files)
    tool_notes: tuple[str, ...] = ()
    if mode is not Mode.WRITE and plan.update:  # another kustomize alone does not make OUT out of date
        from . import builtwith

        tool_notes = builtwith.notes(builtwith.only_tool_changed(plan, files))
        plan = emit.Plan(current=plan.current) if tool_notes else plan
    outcome = Outcome(out, mode, result, proven, plan, force=force, quiet=quiet, verbose=verbose, notes=tool_notes)
    for line in outcome.warnings():
        _err(line)
    if outcome.shows_diff:
        shown = None
        if not show_secrets:  # a diff is read by people, often in a CI log
            from .redact import for_review

            shown = functools.partial(for_review, key=os.urandom(16))
        click.echo(emit.unified_diff(out, files, plan, shown), nl=False)
    if outcome.writes:
        emit.write(out, files, plan)
        if fitted is not None and write_rules is not None:
            fit.write_rules(write_rules, fitted.rules_text)
    for line in outcome.verdict():
        _err(line)
    sys.exit(outcome.exit_code)


def _prove_and_prepare(result: chart.Result) -> tuple[Any, Any]:
    """The proof, and the parts of the report that do not need it, made while the Helm engine
    renders (outside the interpreter lock). The render starts first: the proof waits for it. A
    chart large enough to render in groups renders alone, and the report is made after it. An
    error of the proof comes first."""
    from . import proof, report

    done: dict[str, Any] = {}

    def prepare() -> None:
        try:
            done["prepared"] = report.Prepared(result)
        except BaseException as exc:  # noqa: BLE001 - raised again below, after the proof's own error
            done["error"] = exc

    proven = proof.prove_conversion(result, meanwhile=prepare)
    if not done:  # rendered in groups, or nothing was rendered
        prepare()
    if "error" in done:
        raise done["error"]
    return proven, done["prepared"]


def _warm_engine() -> None:
    """Load the Helm engine in the background: loading its native library and starting the Go
    runtime in it take about 0.1 s, mostly outside the interpreter lock, so they overlap the
    conversion that comes before the proof. A failure is left to the proof, which reports it."""

    def load() -> None:
        try:
            import helm_python  # noqa: F401
        except Exception:  # noqa: BLE001, S110 - the proof imports it again and says what is wrong
            pass

    threading.Thread(target=load, name="helm-engine", daemon=True).start()


def _options(
    src: Path,
    out: Path,
    rule_files: tuple[str, ...],
    no_default_rules: bool,
    exclude: tuple[str, ...],
    chart_name: str | None,
    envs: tuple[str, ...],
    quiet: bool,
) -> chart.Options:
    from . import chart

    name = chart.dns_safe(chart_name) if chart_name else chart.chart_name_for(out)
    if chart_name and not name:
        raise UserError(f"--chart-name {chart_name!r} has no letters or digits to make a chart name from")
    return chart.Options(
        src=src,
        chart_name=name,
        rule_files=rule_files,
        default_rules=not no_default_rules,
        exclude=exclude,
        skip=out.resolve(),
        envs=parse_envs(envs),
        progress=_progress if not quiet and sys.stderr is not None and sys.stderr.isatty() else None,
    )


@main.command()
@click.argument("chart_dir", metavar="CHART", type=click.Path(path_type=Path))
@click.argument("src", type=click.Path(path_type=Path))
@click.option(
    "--values",
    "-f",
    "value_files",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Values file applied over the chart's values (repeatable).",
)
@click.option("--set", "set_values", multiple=True, metavar="KEY=VALUE", help="Set a value (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Leave matching source files out.")
@click.option(
    "--env",
    "envs",
    multiple=True,
    metavar="NAME=DIR",
    help="Also check that CHART with values-NAME.yaml reproduces DIR (repeatable).",
)
@click.option(
    "--raw",
    is_flag=True,
    help="Read folders with a kustomization file by file instead of building them with kustomize.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Show an internal error in full.")
@_guarded
def verify(
    chart_dir: Path,
    src: Path,
    value_files: tuple[Path, ...],
    set_values: tuple[str, ...],
    exclude: tuple[str, ...],
    envs: tuple[str, ...],
    raw: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Render CHART with Helm and check it reproduces the manifests in SRC exactly.

    Also lints the chart (warnings count) and validates every rendered built-in resource
    against the Kubernetes schema offline (custom resources are noted, not failed)."""
    from . import kustomize
    from . import verify as verifying

    sources = kustomize.Sources(raw=raw)  # one per run: each kustomization is built once
    # A run that ends early (interrupted while the builds run) stops them and removes their
    # folders: the command leaves without waiting for their threads.
    click.get_current_context().call_on_close(sources.close)
    try:
        runs = [("base", src, value_files, "")]
        for name, folder in parse_envs(envs):
            runs.append((name, folder, value_files + (chart_dir / f"values-{name}.yaml",), name))
        sources.prepare([folder for _, folder, _, _ in runs])  # kustomizations build side by side
        with collector.paused():
            verified = tuple(
                (
                    name,
                    verifying.verify(chart_dir, folder, files, set_values, exclude, folder=declared, sources=sources),
                )
                for name, folder, files, declared in runs
            )
    except UserError as exc:
        _fail(exc)
        return
    except RecursionError:
        raise  # a RuntimeError, but not the engine's: an internal error
    except RuntimeError as exc:  # the Helm engine itself is missing or broken
        _fail(UserError(str(exc)))
        return
    outcome = VerifyOutcome(verified, quiet=quiet)
    from .redact import held

    for line in outcome.lines():
        click.echo(safe_to_print(held(line.text)), err=not line.stdout)
    sys.exit(outcome.exit_code)


@main.command("rules")
@click.option("--markdown", is_flag=True, help="Print the rules reference as Markdown.")
@click.option("--rules", "rule_files", multiple=True, metavar="FILE", help="Also list these rule files.")
@click.option("-v", "--verbose", is_flag=True, help="Show an internal error in full.")
@_guarded
def list_rules(markdown: bool, rule_files: tuple[str, ...], verbose: bool) -> None:
    """List the rules of every built-in pack (and any given files) with their descriptions."""
    from . import report
    from . import rules as rules_mod

    try:
        packs = tuple(sorted(p.stem for p in rules_mod.builtin_dir().glob("*.yaml")))
        ruleset = rules_mod.load_rules(packs + rule_files)
    except UserError as exc:
        _fail(exc)
        return
    click.echo(report.rules_reference(ruleset) if markdown else report.rules_list(ruleset), nl=False)


def entry() -> None:
    """The ``helmify-flts`` command: run it, flush its output and leave at once.

    Tearing the interpreter down after a convert (freeing every module and every node of the
    conversion) took a tenth of the run and does nothing a finished command needs: by the time
    click returns, the command's context has closed (builds stopped, the collector thawed) and
    every file written is closed. Library callers and tests call ``main``, which returns."""
    try:
        main()
        status = 0
    except SystemExit as exc:
        status = _status(exc.code)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None where the command started with that descriptor closed
                stream.flush()
        except (OSError, ValueError):  # a reader that went away: the status Python itself gives then
            status = status or 120
    os._exit(status)


def _status(code: object) -> int:
    """The exit status Python gives ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    entry()
