"""A long fuzzing campaign over the property tests' generators; see benchmarks/README.md.

The CI run (tests/test_properties.py) stops at the first broken invariant. This campaign runs
many more cases and keeps going: every case is checked with the same invariants
(tests/test_properties.py:check_case), and each broken invariant is reported once with the
smallest case that broke it, written out as a folder you can convert by hand. Usage:

    python benchmarks/fuzz_convert.py [--cases 2000] [--seed 1] [--keep DIR] [--pure]

--pure also runs the in-memory properties (scalars, keys, escapes, redaction), scaled to the
same size, through pytest. Exit status 1 when any invariant broke.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import strategies as gen  # noqa: E402
import test_properties as props  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402


def case_size(case: gen.CliCase) -> int:
    texts = gen.write_folder(case.base.docs, case.base.files, "/R")
    if case.env is not None:
        texts.update({f"dev/{k}": v for k, v in gen.write_folder(case.env.docs, case.env.files, "/R").items()})
    return sum(len(t) for t in texts.values())


def describe(case: gen.CliCase) -> str:
    flags = [
        f"out_state={case.out_state}",
        f"first={case.first}",
        f"chart_name={case.chart_name!r}",
        f"rules={case.rules}",
        f"crlf={case.crlf}",
        f"bom={case.bom}",
        f"src_dir={case.src_dir!r}",
        f"env_dir={case.env_dir!r}",
        f"out_dir={case.out_dir!r}",
    ]
    lines = [" ".join(flags)]
    for label, part in (("base", case.base), ("dev", case.env)):
        if part is None:
            continue
        for file, text in gen.write_folder(part.docs, part.files, "<ROOT>").items():
            lines.append(f"--- {label}/{file!r}")
            lines.append(text.rstrip("\n"))
    return "\n".join(lines)


def origin(invariant: str, message: str) -> str:
    """Where a traceback came from (``@kyaml.py:208 ValueError``), or why a chart did not
    reproduce (``@Helm rendered text that is not valid YAML``), so distinct causes count apart."""
    reason = re.search(r"does not reproduce the source \(([^:()]*)", message)
    if reason and invariant.startswith("convert-"):
        return f"@{reason.group(1).strip()[:60]}"
    frames = re.findall(r'File "[^"]*helmify_flts/([^"]+)", line (\d+)', message)
    if "Traceback" not in message or not frames:
        return ""
    last = message.strip().splitlines()[-1].split(":")[0]
    return f"@{frames[-1][0]}:{frames[-1][1]} {last}"


def campaign(cases: int, seed_value: int, keep: Path | None) -> dict[str, tuple[int, gen.CliCase, str]]:
    """Run ``cases`` generated folders; per broken invariant: (times, smallest case, message)."""
    found: dict[str, tuple[int, gen.CliCase, str]] = {}
    codes: collections.Counter = collections.Counter()
    refusals: collections.Counter = collections.Counter()
    base = Path(tempfile.mkdtemp(prefix="helmify-fuzz-"))
    started = time.monotonic()
    done = 0

    @seed(seed_value)
    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(gen.cli_case())
    def one(case: gen.CliCase) -> None:
        nonlocal done
        root = Path(tempfile.mkdtemp(dir=base, prefix="case-"))
        outcome = props.Outcome()
        try:
            props.check_case(case, root, outcome)
        except props.Violation as exc:
            record(exc.invariant + origin(exc.invariant, str(exc)), case, str(exc))
        except Exception as exc:  # noqa: BLE001 - the harness itself must not stop the campaign
            record(f"harness:{type(exc).__name__}", case, repr(exc))
        finally:
            shutil.rmtree(root, ignore_errors=True)
            codes.update(outcome.codes)
            refusals.update(re.sub(r"/\S*/(case-\w+)/|'[^']*'|\"[^\"]*\"|\d+", "_", r)[:110] for r in outcome.refusals)
            done += 1
            if done % 100 == 0:
                print(
                    f"  {done} cases, {time.monotonic() - started:.0f} s, exit codes {dict(codes)}, "
                    f"broken: {sorted(found)}",
                    file=sys.stderr,
                )

    def record(invariant: str, case: gen.CliCase, message: str) -> None:
        times, smallest, msg = found.get(invariant, (0, case, message))
        if case_size(case) < case_size(smallest):
            smallest, msg = case, message
        found[invariant] = (times + 1, smallest, msg)

    try:
        one()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    elapsed = time.monotonic() - started
    print(
        f"{done} CLI cases in {elapsed:.0f} s ({elapsed / max(done, 1) * 1000:.0f} ms each); "
        f"exit codes of all runs: {dict(sorted(codes.items()))}"
    )
    print("convert runs that refused (exit 2) or did not reproduce (exit 1), most common first:")
    for line, times in refusals.most_common(25):
        print(f"  {times:5d}  {line}")
    for invariant, (times, case, message) in sorted(found.items()):
        print(
            f"\n=== {invariant}: broken by {times} case(s); smallest:\n{describe(case)}\n--- message:\n{message[:2500]}"
        )
        if keep is not None:
            target = keep / invariant
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            props.materialise(case, target)
            (target / "CASE.txt").write_text(describe(case) + "\n\n" + message + "\n", encoding="utf-8")
    return found


def shrink(invariant: str, cases: int, seed_value: int) -> gen.CliCase | None:
    """The smallest case Hypothesis finds that breaks ``invariant`` (a prefix of its name)."""
    last: list[gen.CliCase] = []
    base = Path(tempfile.mkdtemp(prefix="helmify-shrink-"))

    @seed(seed_value)
    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(gen.cli_case())
    def one(case: gen.CliCase) -> None:
        root = Path(tempfile.mkdtemp(dir=base, prefix="case-"))
        try:
            props.check_case(case, root)
        except props.Violation as exc:
            if (exc.invariant + origin(exc.invariant, str(exc))).startswith(invariant):
                last.append(case)
                raise
        finally:
            shutil.rmtree(root, ignore_errors=True)

    try:
        one()
    except props.Violation as exc:
        print(f"smallest case breaking {invariant}:\n{describe(last[-1])}\n--- message:\n{str(exc)[:3000]}")
        return last[-1]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"no case of {cases} broke {invariant}")
    return None


def pure(cases: int, seed_value: int) -> int:
    """The in-memory properties through pytest, scaled like the CLI cases, with the same seed."""
    env = dict(os.environ, HELMIFY_FUZZ_EXAMPLES=str(cases), HELMIFY_FUZZ_SEED=str(seed_value))
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        str(ROOT / "tests" / "test_properties.py"),
        "-k",
        "not hostile_folders",
    ]
    return subprocess.call(cmd, cwd=ROOT, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="generated CLI cases (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="seed; vary it to explore new cases")
    parser.add_argument("--keep", type=Path, help="write the smallest failing case of each invariant here")
    parser.add_argument("--pure", action="store_true", help="also run the in-memory properties, scaled")
    parser.add_argument(
        "--shrink",
        metavar="INVARIANT",
        help="instead: find and shrink the smallest case breaking INVARIANT (a name prefix)",
    )
    args = parser.parse_args()
    if args.shrink:
        return 1 if shrink(args.shrink, args.cases, args.seed) else 0
    found = campaign(args.cases, args.seed, args.keep)
    status = 1 if found else 0
    if args.pure:
        status = max(status, 1 if pure(args.cases, args.seed) else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
