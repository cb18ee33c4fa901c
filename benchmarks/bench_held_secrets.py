"""Measure what hiding the values Secrets hold costs a convert, as the number of Secrets grows.

Every value a Secret of the run holds is hidden wherever else it appears: in printed lines, the
review report and ``convert --diff``. The corpus is generated fresh in a temporary folder: SECRETS
Secrets of KEYS keys each (random 24-character tokens, and one connection string per Secret), one
ConfigMap per Secret that copies every value (as a setting, and inside a multi-line config file),
and one Deployment per Secret that copies two of them into env values and a command line.

Usage:

    python benchmarks/bench_held_secrets.py [--secrets 300] [--keys 5] [--repeat 3] [--scaling]
        [--hostile] [--tree CHECKOUT ...]

It prints, for the corpus and each checkout (``--tree``, repeatable; default this one; each run
imports that checkout's helmify_flts, and the checkouts take turns):

- the full CLI (``helmify-flts convert -q SRC OUT``) in a fresh process: best wall time and least
  CPU time of ``--repeat`` runs;
- one convert in process with the functions that learn and hide held values timed: the run's CPU
  time, theirs, and the share hiding takes (a profiler would inflate the rest of the run).

``--scaling`` also times hiding alone (``redact.held`` over the texts a report shows: every
ConfigMap value and env value of the corpus, and 20 other lines a Secret) for 0 to 3,000 Secrets,
to show how the cost grows with their number. ``--hostile`` times learning and hiding with inputs
made to hurt: 5,000 Secrets, values of 1 MB, values that are prefixes of one another,
one-character values.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def token(*parts: object) -> str:
    """A 24-character token, the same for the same parts."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def secret_values(i: int, keys: int) -> dict[str, str]:
    values = {f"token{k}": token(i, k) for k in range(keys - 1)}
    values["dsn"] = f"postgres://app:{token(i, 'pw')}@db{i}.internal:5432/app"
    return values


def corpus_files(secrets: int, keys: int) -> dict[str, str]:
    """The corpus: file name -> text."""
    files = {}
    for i in range(secrets):
        values = secret_values(i, keys)
        data = "".join(f"  {k}: {v!r}\n".replace("'", '"') for k, v in values.items())
        config = "".join(f"    {k} = {v}\n" for k, v in values.items())
        first, second = list(values.values())[:2]
        files[f"app{i:04d}.yaml"] = f"""\
apiVersion: v1
kind: Secret
metadata:
  name: app{i}-secret
type: Opaque
stringData:
{data}---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app{i}-config
data:
{"".join(f"  copy-{k}: {v!r}{chr(10)}".replace("'", '"') for k, v in values.items())}  app.ini: |
    [main]
    name = app{i}
{config}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app{i}
  labels: {{app: app{i}}}
spec:
  selector: {{matchLabels: {{app: app{i}}}}}
  template:
    metadata:
      labels: {{app: app{i}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.{i}.0
          command: [sh, -c, "run --flag {first} --config /etc/app/app.ini"]
          env:
            - {{name: FIRST, value: "{first}"}}
            - {{name: SECOND, value: "{second}"}}
            - {{name: LEVEL, value: info}}
"""
    return files


def write_corpus(root: Path, secrets: int, keys: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in corpus_files(secrets, keys).items():
        (root / name).write_text(text)


# ----------------------------------------------------------------------------- child processes

# Each measurement runs in a fresh interpreter that imports helmify_flts from TREE (not the
# editable install of this checkout), so that two checkouts compare in turns.
PRELUDE = """
import sys
tree = sys.argv.pop(1)
sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, tree)
import helmify_flts
assert helmify_flts.__file__.startswith(tree), helmify_flts.__file__
"""

CLI = PRELUDE + "from helmify_flts import cli\ncli.entry() if hasattr(cli, 'entry') else sys.exit(cli.main())"

# One convert in process, with the functions that learn and hide held values timed: the run's CPU
# time and theirs (a profiler would triple the rest of the run, not them).
TIMED = (
    PRELUDE
    + """
import time
from helmify_flts import cli, redact
spent = {"learn": [0, 0.0], "_held": [0, 0.0]}

def timed(name, fn):
    def run(*args):
        start = time.process_time()
        try:
            return fn(*args)
        finally:
            spent[name][0] += 1
            spent[name][1] += time.process_time() - start
    return run

for name in spent:
    setattr(redact, name, timed(name, getattr(redact, name)))
start = time.process_time()
try:
    cli.main(["convert", "-q", *sys.argv[1:3]])
except SystemExit as exc:
    assert not exc.code, exc.code
print("total", 1, time.process_time() - start)
for name, (calls, seconds) in spent.items():
    print(name, calls, seconds)
"""
)


def run_child(tree: Path, code: str, *args: str) -> str:
    """What ``code`` prints, run in a fresh interpreter with TREE's helmify_flts."""
    done = subprocess.run([sys.executable, "-c", code, str(tree), *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"child failed ({done.returncode}): {' '.join(args)}\n{done.stderr[-2000:]}")
    return done.stdout


def cli_run(tree: Path, src: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one CLI convert into a fresh OUT."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CLI, str(tree), "convert", "-q", str(src), str(out)])
    elapsed = time.perf_counter() - start
    after = os.times()
    if done.returncode:
        raise SystemExit(f"convert failed ({done.returncode})")
    return elapsed, (after.children_user - before.children_user) + (after.children_system - before.children_system)


# ----------------------------------------------------------------------------- hiding alone


def scaling(counts: list[int], keys: int) -> None:
    """Hiding alone, for each number of Secrets: learn the corpus's Secrets, then hide every
    ConfigMap and env value of the corpus (what a report shows of it) and 20 other lines a Secret."""
    from helmify_flts import manifests, redact

    for count in counts:
        with tempfile.TemporaryDirectory() as tmp_name:
            src = Path(tmp_name)
            write_corpus(src, count, keys)
            loaded = manifests.load_folder(src)
        redact.forget()
        start = time.process_time()
        redact.learn(loaded.resources)
        learnt = time.process_time() - start
        texts = []
        for i in range(count):
            values = list(secret_values(i, keys).values())
            texts += [*values, "\n".join(f"{k} = {v}" for k, v in enumerate(values)), f"run --flag {values[0]}"]
        shown_values = len(texts)
        texts += [f"an unrelated line {n} of the report, with words and numbers" for n in range(20 * max(count, 1))]
        start = time.process_time()
        shown = [redact.held(t) for t in texts]
        hid = time.process_time() - start
        every = [v for i in range(count) for v in secret_values(i, keys).values()]
        leaked = sum(any(v in s for v in every) for s in shown[:shown_values])
        print(
            f"{count:5d} Secrets ({count * keys:5d} values): learn {learnt * 1e3:7.1f} ms, "
            f"hide {len(texts):5d} texts {hid * 1e3:9.1f} ms ({hid / len(texts) * 1e6:7.1f} us a text)"
            + (f", {leaked} texts show a value" if leaked else "")
        )


class _Res:
    """A loaded Secret, as learn reads it."""

    def __init__(self, name: str, data: dict[str, str]) -> None:
        import yaml

        self.kind, self.name, self.namespace, self.source, self.line = "Secret", name, None, "s.yaml", 1
        doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data}
        self.node = yaml.compose(yaml.safe_dump(doc, width=1 << 30), Loader=yaml.CSafeLoader)


def hostile() -> None:
    """Learning and hiding with Secrets made to hurt, each case timed on its own; then, apart (it
    slows what it watches), the peak of memory Python allocated to learn them and hide one text."""
    import tracemalloc

    from helmify_flts import redact

    cases = {
        "5,000 Secrets of 5 values": lambda: [
            _Res(f"s{i}", {f"k{k}": token(i, k) for k in range(5)}) for i in range(5000)
        ],
        "20 values of 1 MB": lambda: [_Res(f"s{i}", {"k": token(i) * ((1 << 20) // 24)}) for i in range(20)],
        "3,000 values, each a prefix of the next": lambda: [_Res("s", {f"k{n}": "a" * n for n in range(1, 3001)})],
        "100 one-character values": lambda: [_Res("s", {f"k{n}": chr(33 + n % 90) for n in range(100)})],
    }
    # 1 MB of text made of long runs of one letter (the worst for values that are prefixes of one
    # another), and 20,000 short texts, a quarter of them held values.
    texts = [("a" * 5000 + token(n)) * 10 for n in range(20)] + [token(n % 7000, n % 5) for n in range(20000)]
    for label, make in cases.items():
        resources = make()
        redact.forget()
        start = time.process_time()
        try:
            redact.learn(resources)
        except Exception as exc:  # noqa: BLE001 - a refusal is an outcome to print
            print(f"{label:42s}: refused: {exc}")
            continue
        learnt = time.process_time() - start
        start = time.process_time()
        for t in texts:
            redact.held(t)
        hid = time.process_time() - start
        redact.forget()
        tracemalloc.start()
        redact.learn(resources)
        redact.held(texts[0])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{label:42s}: learn {learnt:6.3f} s, hide {len(texts)} texts {hid:6.3f} s, peak {peak / 1e6:4.0f} MB")


def in_tree(tree: str) -> None:
    """Import helmify_flts from ``tree`` from here on (the script's own parts, run as a child)."""
    sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, tree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=300)
    parser.add_argument("--keys", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--tree", type=Path, action="append", help="checkout to measure (repeatable; default: this one)"
    )
    parser.add_argument("--scaling", action="store_true", help="also time hiding alone for 0 to 3,000 Secrets")
    parser.add_argument("--hostile", action="store_true", help="also time hostile Secrets")
    parser.add_argument("--part", choices=["scaling", "hostile"], help=argparse.SUPPRESS)  # run as a child
    args = parser.parse_args()
    trees = [t.resolve() for t in args.tree or [ROOT]]
    if args.part:
        in_tree(str(trees[0]))
        scaling([0, 100, 300, 1000, 3000], args.keys) if args.part == "scaling" else hostile()
        return
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "src"
        write_corpus(src, args.secrets, args.keys)
        size = sum(p.stat().st_size for p in src.iterdir())
        print(
            f"corpus: {args.secrets} Secrets of {args.keys} values, {len(list(src.iterdir()))} files, "
            f"{size / 1e6:.1f} MB"
        )
        best = {tree: (float("inf"), float("inf")) for tree in trees}
        for i in range(args.repeat):  # the checkouts take turns
            for n, tree in enumerate(trees):
                wall, cpu = cli_run(tree, src, tmp / f"out{n}-{i}")
                best[tree] = (min(best[tree][0], wall), min(best[tree][1], cpu))
        for tree in trees:
            print(f"{tree}: full CLI convert {best[tree][0]:.3f} s (CPU {best[tree][1]:.3f} s), best of {args.repeat}")
            figures = {}
            for line in run_child(tree, TIMED, str(src), str(tmp / "timed")).splitlines():
                name, calls, seconds = line.split()
                figures[name] = (int(calls), float(seconds))
            total = figures["total"][1]
            print(
                f"  in process: CPU {total:.3f} s; learn {figures['learn'][1]:.3f} s; hiding held values "
                f"{figures['_held'][1]:.3f} s in {figures['_held'][0]:,} calls ({figures['_held'][1] / total:.1%})"
            )
            for part in ("scaling", "hostile") if args.scaling or args.hostile else ():
                if getattr(args, part):
                    cmd = [sys.executable, __file__, "--part", part, "--tree", str(tree), "--keys", str(args.keys)]
                    print(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout, end="")
            shutil.rmtree(tmp / "timed", ignore_errors=True)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
