"""What env-configmap and env-credentials share: one plan of env moves made on the chart's
objects, declared on each folder's objects, with the pods rolled for the object each move adds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from .base import Context, selects
from .checksum_roll import rolls
from .objects import Identity, Outcome, declared


class EnvMove:
    """Base of a refactoring that moves env entries into an object it adds (``made_kind``).

    Subclasses give ``plan_moves`` and ``apply_moves`` (their module's plan and apply),
    ``made_name`` (the added object's name for a move) and the why texts."""

    made_kind: str
    made_field: str  # the Move field naming the added object
    why: str
    roll_why: str
    options: Mapping[str, str] = {}
    plan_moves: Callable[..., tuple]
    apply_moves: Callable[..., Outcome]

    def made_name(self, move: Any) -> str:  # pragma: no cover - every subclass gives it
        raise NotImplementedError

    def _plan(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> tuple:
        return type(self).plan_moves(objects, lambda i: selects(rule.match, i, objects[i], ctx))

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        planned = self._plan(ctx.objects or objects, ctx, rule)
        # after release-names: the workload by its new name, and the added object with the prefix
        moves = tuple(
            replace(m, workload=ctx.now(m.workload), **{self.made_field: ctx.prefixed(m.workload, self.made_name(m))})
            for m in planned
        )
        outcome = type(self).apply_moves(objects, moves, rule.id)
        changes = declared(objects, outcome, rule.id, self.why)
        made = [
            (m.workload, ("", self.made_kind, m.workload[2], self.made_name(m)), self._shown(p))
            for m, p in zip(moves, planned, strict=True)
        ]
        return changes + rolls(objects, made, outcome.added, rule.id, self.roll_why)

    def _shown(self, move: Any) -> Identity:
        """The added object as the chart names its template file and checksum annotation."""
        return ("", self.made_kind, move.workload[2], self.made_name(move))
