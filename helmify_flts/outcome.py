"""What a convert or verify run comes to: the one place that words its messages and decides its exit code.

The command line only prints what this says, in order, and exits with its code.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING

from .records import record

if TYPE_CHECKING:  # the CLI imports this before the conversion modules; only their types are needed here
    from .chart import Result
    from .emit import Plan
    from .proof import ChartProof
    from .verify import Verification

EXIT_OK, EXIT_DIFF, EXIT_USAGE = 0, 1, 2


class Mode(enum.Enum):
    """WRITE replaces OUT; CHECK and DIFF write nothing and report whether OUT is up to date."""

    WRITE = "write"
    CHECK = "check"
    DIFF = "diff"

    @classmethod
    def of(cls, check: bool, diff: bool) -> Mode:
        from .errors import UserError

        if check and diff:
            raise UserError("--check and --diff are alternatives; give one")
        return cls.DIFF if diff else cls.CHECK if check else cls.WRITE


@record(eq=False)
class Outcome:
    """A converted chart, its proof and the plan to write it, seen through the run's options."""

    out: Path
    mode: Mode
    result: Result
    proven: ChartProof
    plan: Plan
    force: bool = False
    quiet: bool = False
    verbose: bool = False
    notes: tuple[str, ...] = ()  # said with a check's verdict (builtwith.notes)

    @property
    def refused(self) -> bool:
        """Writing would overwrite files edited by hand, or files helmify-flts did not write."""
        return self.mode is Mode.WRITE and bool(self.plan.edited or self.plan.foreign) and not self.force

    @property
    def shows_diff(self) -> bool:
        return self.mode is Mode.DIFF and self.proven.ok

    @property
    def writes(self) -> bool:
        """The proof comes before any write: an unproven chart is never written."""
        return self.mode is Mode.WRITE and self.proven.ok and not self.refused and bool(self.plan.changes)

    @property
    def without_engine(self) -> bool:
        """The Helm engine could not be loaded: this machine's to fix, not the chart's."""
        failure = self.proven.failure
        return failure is not None and failure.kind == "engine"

    @property
    def exit_code(self) -> int:
        if self.without_engine:
            return EXIT_USAGE
        if not self.proven.ok or self.refused:
            return EXIT_DIFF
        return EXIT_DIFF if self.mode is not Mode.WRITE and self.plan.changes else EXIT_OK

    def warnings(self) -> list[str]:
        """Printed before anything is written: what the run noticed, and with -v why it decided."""
        if self.quiet:
            return []
        lines = [f"warning: {n}" for n in self.result.notices if n.code != "unused-builtin" or self.verbose]
        if self.verbose:
            from . import report

            lines += [f"  {line}" for line in report.decisions(self.result)]
        return lines

    def verdict(self) -> list[str]:
        """Printed last: why nothing was written, what would change, or what was written."""
        if not self.proven.ok:
            return self._unproven()
        if self.mode is not Mode.WRITE:
            return [] if self.quiet else self._checked()
        if self.refused:
            return self._refused()
        return [] if self.quiet else [f"{'wrote' if self.plan.changes else 'unchanged'} {self.out}: {self.summary}"]

    @property
    def summary(self) -> str:
        from . import report

        return report.summary(self.result)

    def _unproven(self) -> list[str]:
        proven = self.proven
        if self.without_engine:
            return [f"error: {proven.failure}", f"Nothing was written to {self.out}: no chart is written unproven."]
        if not proven.rendered:
            lines = [f"error: the chart does not render: {proven.failure}"]
        else:
            lines = []
            proofs = [("the source", proven.base)] + [
                (f"environment {name} (with values-{name}.yaml)", proof) for name, proof in proven.environments.items()
            ]
            for what, proof in proofs:
                if not proof.ok:
                    lines.append(f"error: the chart does not reproduce {what}:")
                    lines += [f"  {line}" for line in proof.describe()]
            if proven.checks:
                lines.append("error: the refactored chart breaks the built-in checks:")
                lines += [f"  {line}" for line in proven.checks]
        return lines + [
            f"Nothing was written to {self.out}. This is a bug in helmify-flts; please report it with "
            "the command you ran."
        ]

    def _checked(self) -> list[str]:
        plan = self.plan
        if not plan.changes:
            return [*self.notes, f"{self.out} is up to date ({self.summary})"]
        lines = []
        for rel in plan.changes:
            edited = " (edited by hand: convert would stop unless --force)" if rel in plan.edited else ""
            lines.append(f"would {'remove' if rel in plan.remove else 'write'} {self.out / rel}{edited}")
        return lines + [
            f"{self.out} is out of date: {len(plan.changes)} file(s) would change; run convert to update it"
        ]

    def _refused(self) -> list[str]:
        lines = [
            f"error: {self.out / rel}: edited by hand since helmify-flts wrote it"
            # A file the chart no longer has is not overwritten but deleted: say so, and how to keep it.
            + (
                ", and the chart no longer has it (--force deletes it; rename it to keep it)"
                if rel in self.plan.remove
                else ""
            )
            for rel in self.plan.edited
        ]
        lines += [
            f"error: {self.out / rel}: not written by helmify-flts, and convert would replace it"
            for rel in self.plan.foreign
        ]
        return lines + [
            "Nothing was written. Move the change into a rule file (--rules) or into values, rename "
            "your file, or run again with --force to overwrite."
        ]


@record
class Line:
    """One printed line: the differences go to stdout, everything else to stderr."""

    text: str
    stdout: bool = False


@record(eq=False)
class VerifyOutcome:
    """A verify run: one verification per run (the source, then each environment) and the options."""

    runs: tuple[tuple[str, Verification], ...]
    quiet: bool = False

    @property
    def exit_code(self) -> int:
        return EXIT_OK if all(v.ok for _, v in self.runs) else EXIT_DIFF

    def lines(self) -> list[Line]:
        """Per run, in order: its notes, then its differences and why it failed, or that it verified."""
        lines = []
        for name, verification in self.runs:
            label = "" if len(self.runs) == 1 else f"[{name}] "
            if not self.quiet:
                lines += [Line(f"{label}note: {note}") for note in verification.notes]
            if not verification.ok:
                lines += [Line(f"{label}{line}", stdout=True) for line in verification.lines]
                lines.append(Line(f"{label}verify failed: {verification.summary}"))
            elif not self.quiet:
                lines.append(Line(f"{label}verified: {verification.summary}"))
        return lines
