"""What env-configmap and env-credentials share: one plan of env moves made on the chart's
objects, declared on each folder's objects, with the pods rolled for the object each move adds.

One template serves every folder, so a value moves only where it can in each folder that has it:
an environment that gives it by valueFrom, or whose env expands it (``$(MODE)``), keeps it in
env everywhere."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from . import envrefs
from .base import Context, selects
from .checksum_roll import rolls
from .objects import Identity, Outcome, container_pointer, containers, declared, namespace_of, pod_spec


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

    def stays(self, entry: Any, pinned: set[str], folder: Mapping[Identity, dict], namespace: str) -> bool:
        """Whether a folder's env entry cannot move (subclasses say; ``pinned``: the positional names)."""
        return not envrefs.is_literal(entry)

    def _moves(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> tuple:
        """The moves planned on ``objects``. A generated ConfigMap or Secret is named in chart files
        and checksum annotations without its hash (``payments-env`` for payments-env-4h7gbfmfhk):
        an object a move adds must not take that name, or the two share a file and a key."""
        reserved = [(i[0], i[1], i[2], ctx.key_name(i)) for i in ctx.key_names]
        return type(self).plan_moves(objects, lambda i: selects(rule.match, i, objects[i], ctx), reserved=reserved)

    def _plan(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> tuple:
        moves = self._moves(objects, ctx, rule)
        out = []
        for move in moves:
            if _read_whole(objects, ctx, move) is not None:
                continue
            stuck = self._stuck(move, ctx)
            names = tuple(n for n in move.names if n not in stuck)
            if names:
                out.append(replace(move, names=names))
        return tuple(out)

    def _stuck(self, move: Any, ctx: Context) -> dict[str, str]:
        """The move's names that some folder's copy of its container gives in a way that cannot
        move, each with the first such folder (``the base`` or the environment's name) and why."""
        out: dict[str, str] = {}
        for label, folder in zip(("the base", *ctx.folder_names), ctx.every_folder(), strict=False):
            obj = folder.get(move.workload)
            spec = pod_spec(obj) if isinstance(obj, dict) else None
            found = next((c for c in containers(spec) if c.get("name") == move.container), None) if spec else None
            env = found.get("env") if isinstance(found, dict) else None
            if not isinstance(env, list):
                continue
            wanted = [e for e in env if isinstance(e, dict) and e.get("name") in move.names]
            if not wanted:
                continue  # an item not in this folder: its item switch says so
            namespace = namespace_of(obj)
            pinned = envrefs.positional(found, folder, namespace)
            for entry in wanted:
                if self.stays(entry, pinned, folder, namespace):
                    how = "it is read by valueFrom" if not envrefs.is_literal(entry) else "its place in env matters"
                    out.setdefault(entry["name"], f"{label} {how}")
        return out

    def _declined(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list[str]:
        """Why the moves the chart's values leave no place for are not made, one line per container."""
        moves = self._moves(objects, ctx, rule)
        out = []
        for move in moves:
            key = _read_whole(objects, ctx, move)
            if key is None:
                obj = objects[move.workload]
                for name, where in sorted(self._stuck(move, ctx).items()):
                    out.append(
                        f"{obj.get('kind')}/{move.workload[3]} container {move.container}: {name} stays in env in "
                        f"every folder: in {where} ({rule.id})"
                    )
            else:
                obj = objects[move.workload]
                why = " (environments differ in more than its items' values)" if ctx.folders else ""
                out.append(
                    f"{obj.get('kind')}/{move.workload[3]} container {move.container}: its env list is read whole "
                    f"from {'.'.join(key)}{why}, so {', '.join(move.names)} "
                    f"{'stays' if len(move.names) == 1 else 'stay'} in env ({rule.id})"
                )
        return out

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


def _read_whole(objects: Mapping[Identity, dict], ctx: Context, move: Any) -> tuple[str, ...] | None:
    """The values key that holds the move's container's env list whole, or something around it (an
    environment reorders it, or has none): the template has no items to take the values from, and
    every folder must keep them where they are. Both halves see the same lifts (``ctx.lifted``)."""
    pointer = container_pointer(objects[move.workload], move.container)
    if pointer is None:
        return None
    env = (*pointer, "env")
    lifted = ctx.lifted.get(move.workload, {})
    return next((key for path, key in lifted.items() if env[: len(path)] == tuple(path)), None)
