"""verify's messages and exit code are decided in outcome.VerifyOutcome, not in the command."""

from __future__ import annotations

from helmify_flts.outcome import EXIT_DIFF, EXIT_OK, Line, VerifyOutcome
from helmify_flts.verify import Verification

GOOD = Verification(True, [], "2 of 2 resources identical", ["Secret/s comes from s.yaml, a template of yours"])
BAD = Verification(False, ["Deployment/api: changed spec.replicas"], "1 of 2 resources identical")


def test_one_run_is_not_labelled_and_a_pass_exits_0() -> None:
    outcome = VerifyOutcome((("base", GOOD),))
    assert outcome.exit_code == EXIT_OK
    assert outcome.lines() == [
        Line("note: Secret/s comes from s.yaml, a template of yours"),
        Line("verified: 2 of 2 resources identical"),
    ]


def test_differences_go_to_stdout_and_any_failed_run_exits_1() -> None:
    outcome = VerifyOutcome((("base", GOOD), ("prod", BAD)))
    assert outcome.exit_code == EXIT_DIFF
    assert outcome.lines() == [
        Line("[base] note: Secret/s comes from s.yaml, a template of yours"),
        Line("[base] verified: 2 of 2 resources identical"),
        Line("[prod] Deployment/api: changed spec.replicas", stdout=True),
        Line("[prod] verify failed: 1 of 2 resources identical"),
    ]


def test_quiet_keeps_only_the_failure() -> None:
    outcome = VerifyOutcome((("base", GOOD), ("prod", BAD)), quiet=True)
    assert outcome.exit_code == EXIT_DIFF
    assert [line.text for line in outcome.lines()] == [
        "[prod] Deployment/api: changed spec.replicas",
        "[prod] verify failed: 1 of 2 resources identical",
    ]
    assert VerifyOutcome((("base", GOOD),), quiet=True).lines() == []
