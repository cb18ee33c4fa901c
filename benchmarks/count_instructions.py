"""Count the instructions of one CLI convert end to end, start-up included, with valgrind.

Wall-clock figures of a half-second run move by a fifth on this 2-core machine; instruction
counts do not (PYTHONHASHSEED is fixed). The Helm engine's Go runtime does not run under
valgrind, so the count is taken in two steps:

1. the convert runs for real, and every render the engine returns is recorded;
2. the same convert runs under ``valgrind --tool=callgrind`` with a stand-in engine that replays
   the recorded renders in order (its own cost is a JSON read).

The count is therefore the Python side of the run: start-up, imports, conversion, proof
(comparing what Helm rendered), report and writing OUT; the Go render is left out.

    python benchmarks/count_instructions.py                 # FLTS, no env, --raw
    python benchmarks/count_instructions.py -- SRC --rules R --env dev=DIR ...
    python benchmarks/count_instructions.py --tree /path/to/other/checkout   # compare commits
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLTS = [str(ROOT / "fixtures" / ".kubernetes"), "--chart-name", "flts", "--rules", str(ROOT / "rules" / "flts.yaml")]

# Runs in the child: import helmify_flts from TREE (not an installed copy), then the CLI.
CHILD = """
import json, sys, types
tree, mode, renders_file, *argv = sys.argv[1:]
sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, tree)

def key(values):  # renders run two at a time: each is replayed by the values it was given
    return json.dumps(values, sort_keys=True, default=str)


if mode == "record":
    import helm_python
    renders = {}
    real = helm_python.Chart.render

    def render(self, values, name, namespace):
        out = real(self, values, name=name, namespace=namespace)
        renders[key(values)] = out
        return out

    helm_python.Chart.render = render
else:
    renders = json.load(open(renders_file))
    engine = types.ModuleType("helm_python")

    class HelmError(Exception):
        pass

    class Chart:
        @classmethod
        def load(cls, path):
            return cls()

        load_archive = load  # the chart's bytes, made in memory

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def render(self, values, name, namespace):
            return renders[key(values)]

    engine.Chart, engine.HelmError = Chart, HelmError
    sys.modules["helm_python"] = engine
from helmify_flts import cli
import helmify_flts
assert helmify_flts.__file__.startswith(tree), helmify_flts.__file__
sys.argv = ["helmify-flts", *argv]
if mode == "replay" and hasattr(cli, "entry"):
    cli.entry()  # what the helmify-flts command runs: it leaves without tearing the interpreter down
try:
    cli.main()
except SystemExit as exc:
    if exc.code:
        raise
if mode == "record":
    json.dump(renders, open(renders_file, "w"))
"""


def count(tree: Path, args: list[str], python: str = sys.executable) -> int:
    compileall.compile_dir(tree / "helmify_flts", quiet=1)  # as an installed package has it
    with tempfile.TemporaryDirectory() as tmp:
        renders = str(Path(tmp) / "renders.json")
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        for mode in ("record", "replay"):
            out = Path(tmp) / f"out-{mode}"
            argv = ["convert", "-q", args[0], str(out), *args[1:]]
            cmd = [python, "-c", CHILD, str(tree), mode, renders, *argv]
            if mode == "replay":
                cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.out", *cmd]
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tree)
            if done.returncode != 0:
                raise SystemExit(f"{mode} failed ({done.returncode}):\n{done.stderr[-3000:]}")
            shutil.rmtree(out, ignore_errors=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if not found:
            raise SystemExit(f"no count in valgrind's output:\n{done.stderr[-2000:]}")
        return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tree", type=Path, action="append", help="checkout to measure (repeatable; default: this one)"
    )
    parser.add_argument("--no-raw", action="store_true", help="build kustomizations (default: --raw)")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter to run with: another environment's start-up (say a plain `pip install .`, without "
        "the editable install's import hook), the checkout's code",
    )
    parser.add_argument("args", nargs="*", help="after --: SRC and convert's options (default: the FLTS fixtures)")
    opts = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    args = opts.args or FLTS
    if not opts.no_raw and "--raw" not in args:
        args = [*args, "--raw"]
    for tree in opts.tree or [ROOT]:
        print(f"{tree}: {count(tree.resolve(), args, opts.python) / 1e6:,.1f}M instructions")


if __name__ == "__main__":
    main()
