"""Errors and warnings that name a place in the user's files."""

from __future__ import annotations

from .records import record


@record
class Where:
    """A place in a user file: path (as given) and 1-based line, when known."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class UserError(Exception):
    """Bad input or usage: reported as ``error: file:line: message`` with exit code 2.

    ``more`` holds further errors found in the same run, so one run reports them all; they
    follow the first as lines of their own, each starting with ``error:``."""

    def __init__(self, message: str, where: Where | None = None, more: tuple[UserError, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.more = more

    def __str__(self) -> str:
        first = f"{self.where}: {self.message}" if self.where else self.message
        return "\n".join([first, *(f"error: {e}" for e in self.more)])

    @classmethod
    def all_of(cls, errors: list[UserError]) -> UserError:
        """One error carrying every error of ``errors`` (flattened), first one first."""
        flat = [e for error in errors for e in (error, *error.more)]
        return cls(flat[0].message, flat[0].where, tuple(cls(e.message, e.where) for e in flat[1:]))


@record
class Notice:
    """A warning about input that was skipped or a rule that did nothing."""

    message: str
    where: Where | None = None
    code: str = "warning"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message
