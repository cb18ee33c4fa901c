"""Errors and warnings that name a place in the user's files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Where:
    """A place in a user file: path (as given) and 1-based line, when known."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class UserError(Exception):
    """Bad input or usage: reported as ``error: file:line: message`` with exit code 2."""

    def __init__(self, message: str, where: Where | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True)
class Notice:
    """A warning about input that was skipped or a rule that did nothing."""

    message: str
    where: Where | None = None
    code: str = "warning"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message
