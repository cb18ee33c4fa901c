"""Jobs under the conventions: a Job's pod template cannot change, so one that stays a plain Job
makes the first upgrade that changes it fail. Such Jobs are named in a warning with the rule that
takes them, and that rule, which names the Job as the manifests do, works after release-names."""

from __future__ import annotations

from pathlib import Path

from conftest import convert_ok, run, write_tree

JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {{name: {name}}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{{name: run, image: "busybox:1.36", command: [sh, -c, "echo {name}"]}}]
"""
HOOK_RULE = """\
rules:
  - id: preprocess-hook
    description: The preprocessing Job runs as a hook on every install and upgrade, e.g. Job/preprocess.
    match: {kinds: [Job], names: [preprocess]}
    refactor: init-hooks
"""


def tree(tmp_path: Path) -> Path:
    return write_tree(
        tmp_path / "src", {"db-migrate.yaml": JOB.format(name="db-migrate"), "pre.yaml": JOB.format(name="preprocess")}
    )


def test_a_job_no_hook_rule_takes_is_named_with_the_rule_that_would(tmp_path: Path) -> None:
    result = run("convert", tree(tmp_path), tmp_path / "out", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "stays a plain Job" in line]
    assert warned == [
        "warning: Job/preprocess stays a plain Job: a Job's pod template cannot change, so helm upgrade fails "
        "once its template does (a new image tag); to run it as a hook on every install and upgrade, add a rule "
        "with 'refactor: init-hooks' and 'match: {kinds: [Job], names: [preprocess]}'"
    ]
    # Without the conventions nothing is made a hook, and nothing is said.
    plain = run("convert", tree(tmp_path), tmp_path / "plain")
    assert plain.exit_code == 0 and "plain Job" not in plain.stderr


def test_the_rule_that_names_the_job_as_written_works_after_release_names(tmp_path: Path) -> None:
    # release-names renames the Job first (release-preprocess): the rule names it as the manifests
    # do, and the declaration and the template must both take it, or the proof fails.
    src = tree(tmp_path)
    rule_file = write_tree(tmp_path, {"hooks.yaml": HOOK_RULE}) / "hooks.yaml"
    out = tmp_path / "out"
    result = run("convert", src, out, "--rules", "conventions", "--rules", rule_file)
    assert result.exit_code == 0, result.stderr
    assert "plain Job" not in result.stderr
    assert "helm.sh/hook: post-install,post-upgrade" in (out / "templates" / "preprocess.yaml").read_text()
    verified = run("verify", out, src)
    assert verified.exit_code == 0, verified.stderr + verified.stdout
    convert_ok(src, tmp_path / "again", "--rules", rule_file, "--rules", "conventions")  # either order
