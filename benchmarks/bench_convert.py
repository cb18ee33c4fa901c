"""Measure convert's speed and peak memory on a generated corpus shaped like real repositories.

The corpus (made fresh in a temporary folder, nothing downloaded): about 130 files and 9-10 MB,
one of them a 35,000+ line install bundle of CRDs, the rest workloads, Services, ConfigMaps
with dashboards and alert rules. Usage:

    python benchmarks/bench_convert.py [--files 130] [--repeat 3]

Prints the corpus size, the best wall time of the in-memory conversion (load, match, rewrite,
emit), the time of a full CLI convert (including the Helm render that proves the chart), and
the peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helmify_flts import chart, kyaml  # noqa: E402


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
            "                  enum: [\"=\", \"on\", \"off\", \"0755\"]",
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
""" + "".join(f'    {{"title": "panel {p}", "legendFormat": "{{{{pod}}}} p95", "expr": "rate(x[5m])"}}\n'
              for p in range(700))


def make_corpus(root: Path, files: int) -> int:
    bundle = "---\n".join(crd(i, 160) for i in range(55))
    (root / "install-bundle.yaml").write_text(bundle)
    for i in range(files - 1):
        (root / f"svc{i:03d}.yaml").write_text(workload(i))
    return sum(p.stat().st_size for p in root.iterdir())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=130)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        size = make_corpus(src, args.files)
        lines = sum(p.read_text().count("\n") for p in src.iterdir())
        bundle_lines = (src / "install-bundle.yaml").read_text().count("\n")
        print(f"corpus: {args.files} files, {size / 1e6:.1f} MB, {lines} lines "
              f"(bundle {bundle_lines} lines)")
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            with kyaml.collector_paused():
                result = chart.build(chart.Options(src=src, chart_name="bench"))
            best = min(best, time.perf_counter() - start)
        print(f"convert in memory: {best:.2f} s best of {args.repeat} "
              f"({len(result.loaded.resources)} resources, {len(result.conversion.lifts)} fields)")
        from click.testing import CliRunner

        from helmify_flts.cli import main as cli

        out = Path(tmp) / "out"
        start = time.perf_counter()
        outcome = CliRunner().invoke(cli, ["convert", "-q", str(src), str(out)])
        elapsed = time.perf_counter() - start
        print(f"full CLI convert (with Helm render and report): {elapsed:.2f} s, exit {outcome.exit_code}")
        shutil.rmtree(out, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
