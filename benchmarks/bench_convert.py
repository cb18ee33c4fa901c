"""Measure convert's speed and peak memory against the libyaml floor, in one run.

Corpora are generated fresh in a temporary folder (nothing is downloaded), in three shapes:

- ``files``: many files, each a workload (Deployment, Service, ConfigMap with a 700-line
  dashboard): 95 files, about 5.5 MB;
- ``bundle``: one install bundle of 55 CRDs, about 1.8 MB and 36,000 lines;
- ``mixed``: the bundle beside ``--files`` - 1 workload files (the old default, 130 files);
- ``flts``: the FLTS fixtures of this repository, with and without their two environments; they are
  kustomizations, built with kustomize (``--raw`` measures reading their files instead).

Usage:

    python benchmarks/bench_convert.py [--shape files|bundle|mixed|flts|all] [--files 95] [--repeat 5] [--python PATH]

For each corpus it prints the best of ``--repeat`` runs of

- the floor: libyaml through PyYAML's C loader and dumper (``CSafeLoader``/``CSafeDumper``)
  reading every document of every file and writing it back;
- convert in memory (``chart.build``: load, match, rewrite, values, templates), and its ratio
  to the floor (the two take turns in one process);
- the full CLI (``helmify-flts convert -q SRC OUT``, a fresh OUT each time): start-up, the Helm
  render that proves the chart, the review report and the writes;

each in a fresh process; the CLI with its CPU time and peak resident memory (the child's
``ru_maxrss``). The machine may be shared: note the load average printed first and last, and
repeat when it is high.

``--count`` adds the same comparison counted in instructions, which a busy or throttled machine
does not move: the floor and convert each run once and three times under ``valgrind
--tool=callgrind`` (``PYTHONHASHSEED=0``), and the difference, halved, is one run without the
start-up and the first run's warm-up. It takes a few minutes per shape.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FLTS_ARGS = ["--chart-name", "flts", "--rules", str(ROOT / "rules" / "flts.yaml")]
FLTS_ENVS = ["--env", f"dev={FIXTURES / 'environments' / 'dev'}", "--env", f"prod={FIXTURES / 'environments' / 'prod'}"]


def crd(i: int, props: int) -> str:
    lines = [
        "apiVersion: apiextensions.k8s.io/v1",
        "kind: CustomResourceDefinition",
        "metadata:",
        f"  name: widgets{i}.bench.example.com",
        "spec:",
        "  group: bench.example.com",
        f"  names: {{kind: Widget{i}, plural: widgets{i}, singular: widget{i}, listKind: Widget{i}List}}",
        "  scope: Namespaced",
        "  versions:",
        "    - name: v1",
        "      served: true",
        "      storage: true",
        "      schema:",
        "        openAPIV3Schema:",
        "          type: object",
        "          properties:",
        "            spec:",
        "              type: object",
        "              properties:",
    ]
    for p in range(props):
        lines += [
            f"                field{p}:",
            "                  type: string",
            f"                  description: Field {p} of widget {i}; use {{{{ .name }}}} templates, = allowed",
            '                  enum: ["=", "on", "off", "0755"]',
        ]
    return "\n".join(lines) + "\n"


def workload(i: int) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc{i}
  labels: {{app: svc{i}}}
spec:
  replicas: {1 + i % 3}
  selector: {{matchLabels: {{app: svc{i}}}}}
  template:
    metadata:
      labels: {{app: svc{i}}}
      annotations: {{prometheus.io/scrape: "true"}}
    spec:
      initContainers:
        - name: wait
          image: busybox:1.36
          command: [sh, -c, "until nc -z db 5432; do sleep 1; done"]
      containers:
        - name: svc{i}
          image: registry.example.com/team/svc{i}:1.{i}.0
          imagePullPolicy: IfNotPresent
          env:
            - {{name: LOG_LEVEL, value: info}}
            - {{name: FEATURE_X, value: "on"}}
            - {{name: WORKERS, value: "{i % 8}"}}
          ports: [{{containerPort: 8080, name: http}}]
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 500m, memory: 256Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: svc{i}
  labels: {{app: svc{i}}}
spec:
  selector: {{app: svc{i}}}
  ports: [{{port: 80, targetPort: http}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: svc{i}-dashboard
  labels: {{app: svc{i}}}
data:
  dashboard.json: |
""" + "".join(
        f'    {{"title": "panel {p}", "legendFormat": "{{{{pod}}}} p95", "expr": "rate(x[5m])"}}\n' for p in range(700)
    )


def bundle() -> str:
    return "---\n".join(crd(i, 160) for i in range(55))


def make_corpus(root: Path, shape: str, files: int) -> None:
    """Write a corpus of ``shape`` into ``root``."""
    if shape in ("bundle", "mixed"):
        (root / "install-bundle.yaml").write_text(bundle())
    count = {"files": files, "mixed": files - 1}.get(shape, 0)
    for i in range(count):
        (root / f"svc{i:03d}.yaml").write_text(workload(i))


# ----------------------------------------------------------------------------- child processes

# The floor and convert take turns in one process, so that a change in the machine's load
# touches both alike: best of --repeat for each.
FLOOR_AND_CONVERT = """
import sys, time, yaml
from pathlib import Path
from helmify_flts import chart, collector
src, repeat = Path(sys.argv[1]), int(sys.argv[2])
texts = [p.read_text() for p in sorted(src.rglob("*.y*ml"))]

def floor():
    for text in texts:
        docs = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
        yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=2**30)

def convert():
    with collector.paused():
        chart.build(chart.Options(src=src, chart_name="bench"))

best = {"floor": float("inf"), "convert": float("inf")}
for _ in range(repeat):
    for name, run in (("floor", floor), ("convert", convert)):
        start = time.perf_counter()
        run()
        best[name] = min(best[name], time.perf_counter() - start)
print(best["floor"], best["convert"])
"""

# One of the two alone, ``times`` times, for counting (--count).
ONE_OF_THEM = """
import sys, yaml
from pathlib import Path
from helmify_flts import chart, collector
src, which, times = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
texts = [p.read_text() for p in sorted(src.rglob("*.y*ml"))]
for _ in range(times):
    if which == "floor":
        for text in texts:
            docs = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
            yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=2**30)
    else:
        with collector.paused():
            chart.build(chart.Options(src=src, chart_name="bench"))
"""


def counted(src: Path, which: str) -> float:
    """Instructions of one run of the floor or of convert (see --count), in millions."""
    totals = []
    for times in (1, 3):
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", ONE_OF_THEM]
            + [str(src), which, str(times)],
            capture_output=True,
            text=True,
            cwd=str(ROOT),
            env=dict(os.environ, PYTHONHASHSEED="0"),
        )
        found = re.search(r"Collected : (\d+)", proc.stderr)
        if proc.returncode != 0 or not found:
            raise SystemExit(f"valgrind failed for the {which}:\n{proc.stderr[-2000:]}")
        totals.append(int(found.group(1)))
    return (totals[1] - totals[0]) / 2 / 1e6


# What the helmify-flts command runs (cli.entry; an older checkout has only main).
CLI = "import sys; from helmify_flts import cli; cli.entry() if hasattr(cli, 'entry') else sys.exit(cli.main())"
LAST_CPU = 0.0
# The interpreter of the CLI runs, and the folder they start in (--python): this checkout's by
# default; another environment's (say one made with a plain `pip install .`, as the README's
# quick start does) measures that installation instead, editable-install hooks and all left out.
CLI_PYTHON = [sys.executable, str(ROOT)]


def timed_child(code: str, *args: str, python: str = sys.executable, cwd: str = str(ROOT)) -> tuple[float, float, str]:
    """Run ``code`` in a fresh interpreter: (wall seconds, peak resident MB of that process, stdout).
    ``LAST_CPU`` holds the CPU seconds it used (user and system), a steadier figure on a busy machine."""
    global LAST_CPU
    start = time.perf_counter()
    proc = subprocess.Popen([python, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    LAST_CPU = usage.ru_utime + usage.ru_stime
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {' '.join(args)}\n{err}")
    return elapsed, usage.ru_maxrss / 1024, out


def cli_runs(args: list[str], repeat: int, tmp: Path) -> tuple[float, float, float]:
    """Best wall time, highest peak memory and least CPU time of ``repeat`` CLI converts, each
    into a fresh OUT."""
    best, peak, cpu = float("inf"), 0.0, float("inf")
    for i in range(repeat):
        out = tmp / f"out{i}"
        python, cwd = CLI_PYTHON
        elapsed, rss, _ = timed_child(CLI, "convert", "-q", *args[:1], str(out), *args[1:], python=python, cwd=cwd)
        shutil.rmtree(out, ignore_errors=True)
        best, peak, cpu = min(best, elapsed), max(peak, rss), min(cpu, LAST_CPU)
    return best, peak, cpu


# ----------------------------------------------------------------------------- report


def measure(shape: str, files: int, repeat: int, count: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if shape == "flts":
            src = FIXTURES / ".kubernetes"
        else:
            src = tmp / "src"
            src.mkdir()
            make_corpus(src, shape, files)
        paths = [p for p in src.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in paths)
        lines = sum(p.read_bytes().count(b"\n") for p in paths)
        print(f"[{shape}] corpus: {len(paths)} files, {size / 1e6:.1f} MB, {lines} lines")
        row: dict = {"shape": shape, "files": len(paths), "mb": round(size / 1e6, 1), "lines": lines}
        if shape == "flts":
            row["cli_envs"], row["cli_envs_mb"], row["cli_envs_cpu"] = cli_runs(
                [str(src), *FLTS_ARGS, *FLTS_ENVS], repeat, tmp
            )
            row["cli"], row["cli_mb"], row["cli_cpu"] = cli_runs([str(src), *FLTS_ARGS], repeat, tmp)
            print(
                f"[{shape}] full CLI convert with --env dev, prod: {row['cli_envs']:.3f} s "
                f"(CPU {row['cli_envs_cpu']:.3f} s, peak {row['cli_envs_mb']:.0f} MB)"
            )
            print(
                f"[{shape}] full CLI convert without --env:    {row['cli']:.3f} s "
                f"(CPU {row['cli_cpu']:.3f} s, peak {row['cli_mb']:.0f} MB)"
            )
            return row
        _, _, out = timed_child(FLOOR_AND_CONVERT, str(src), str(repeat))
        row["floor"], row["memory"] = (float(x) for x in out.split())
        print(f"[{shape}] floor (libyaml load + dump):   {row['floor']:.3f} s")
        print(
            f"[{shape}] convert in memory:            {row['memory']:.3f} s = "
            f"{row['memory'] / row['floor']:.2f}x the floor"
        )
        if count:
            row["floor_minstr"], row["memory_minstr"] = counted(src, "floor"), counted(src, "convert")
            print(
                f"[{shape}] counted: floor {row['floor_minstr']:,.1f}M instructions, convert "
                f"{row['memory_minstr']:,.1f}M = {row['memory_minstr'] / row['floor_minstr']:.2f}x"
            )
        row["cli"], row["cli_mb"], row["cli_cpu"] = cli_runs([str(src), "--chart-name", "bench"], repeat, tmp)
        print(
            f"[{shape}] full CLI convert:             {row['cli']:.3f} s = "
            f"{row['cli'] / row['floor']:.2f}x the floor (CPU {row['cli_cpu']:.3f} s, peak {row['cli_mb']:.0f} MB)"
        )
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shape",
        choices=["files", "bundle", "mixed", "flts", "all"],
        default="all",
        help="all: files, bundle and flts",
    )
    parser.add_argument("--files", type=int, default=95, help="workload files in the files and mixed shapes")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--count", action="store_true", help="also count the floor's and convert's instructions (needs valgrind)"
    )
    parser.add_argument(
        "--raw", action="store_true", help="flts: read the kustomization folders file by file (no kustomize build)"
    )
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="the CLI runs with this interpreter and the helmify_flts installed beside it (default: this checkout)",
    )
    args = parser.parse_args()
    if args.python:
        CLI_PYTHON[:] = [args.python, tempfile.gettempdir()]  # not the checkout: its helmify_flts would shadow
        where = [args.python, "-c", "import helmify_flts; print(helmify_flts.__file__)"]
        print(f"CLI: {subprocess.run(where, capture_output=True, text=True, cwd=CLI_PYTHON[1]).stdout.strip()}")
    if args.raw:
        FLTS_ARGS.append("--raw")
    print(
        f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs; best of {args.repeat}"
    )
    # An installed package has its bytecode compiled; a checkout may not (PYTHONDONTWRITEBYTECODE).
    compileall.compile_dir(ROOT / "helmify_flts", quiet=1)
    shapes = ["files", "bundle", "flts"] if args.shape == "all" else [args.shape]
    rows = [
        measure(shape, args.files if shape != "mixed" or args.files != 95 else 130, args.repeat, args.count)
        for shape in shapes
    ]
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
