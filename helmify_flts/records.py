"""``@record``: dataclasses made with less work when a module is imported.

For each class, ``dataclasses.dataclass`` writes the source of every method it adds (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, and for a frozen class ``__setattr__`` and ``__delattr__``,
plus four comparisons with ``order``) and compiles it: about 0.2 ms a method, over 1 ms a class.
A plain ``convert`` imports about sixty classes, which made this the largest single cost of its
start-up (about 70 ms of half a second on the FLTS fixtures).

Here ``dataclasses`` still reads the fields (defaults, factories, ``field()`` options,
inheritance), so ``dataclasses.fields``, ``replace`` and ``is_dataclass`` work as before. Only
``__init__`` is compiled per class, as dataclasses writes it. The other methods are shared
functions, or closures over the class's field names, that behave as the generated ones do: the
same ``repr`` text, equality and order over the compared fields as tuples, and the same hash
(so sets of records iterate in the same order). tests/test_records.py holds each behaviour against
``dataclasses.dataclass``.

Supported: what this package uses. ``__post_init__``, ``InitVar``, ``kw_only``, ``slots`` and
``unsafe_hash`` are not; a class that needs them uses ``dataclasses.dataclass``.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T")

_MISSING = dataclasses.MISSING


class _Factory:
    """The default of a parameter whose field has a default factory, as in dataclasses."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_HAS_FACTORY = _Factory()
_UNSUPPORTED = ("__post_init__",)


def _frozen_setattr(self: object, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: object, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _repr(self: object) -> str:
    cls = self.__class__
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in cls.__record_repr__)  # type: ignore[attr-defined]
    return f"{cls.__qualname__}({shown})"


def _make_init(cls: type, fields: tuple[dataclasses.Field, ...], frozen: bool) -> Callable[..., None]:
    """``__init__`` as dataclasses writes it: a frozen record sets its fields through
    ``object.__setattr__``, a factory runs once per instance that does not pass the field.
    Records of one shape (as many fields, the factories in the same places, frozen or not) share
    one compiled body, renamed for each class: about half the records share a shape with another."""
    names: dict[str, Any] = {"__set": object.__setattr__, "__FACTORY": _HAS_FACTORY}
    defaults: list[Any] = []
    for i, f in enumerate(fields):
        if f.default is not _MISSING:
            defaults.append(f.default)
        elif f.default_factory is not _MISSING:
            names[f"__factory{i}"] = f.default_factory
            defaults.append(_HAS_FACTORY)
        elif defaults:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    shape = (len(fields), frozen, tuple(f"__factory{i}" in names for i in range(len(fields))))
    renamed = {_placeholder(i): f.name for i, f in enumerate(fields)}
    code = _init_code(shape)
    code = code.replace(
        co_varnames=tuple(renamed.get(n, n) for n in code.co_varnames),
        co_names=tuple(renamed.get(n, n) for n in code.co_names),
        co_consts=tuple(renamed.get(c, c) if isinstance(c, str) else c for c in code.co_consts),
        co_qualname=f"{cls.__qualname__}.__init__",
    )
    init = types.FunctionType(code, names, "__init__", tuple(defaults) or None)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


def _placeholder(i: int) -> str:
    """A field's name in a shared body: no record field is named so (they are identifiers that
    do not start with two underscores)."""
    return f"__field{i}__"


@functools.cache
def _init_code(shape: tuple[int, bool, tuple[bool, ...]]) -> types.CodeType:
    count, frozen, factories = shape
    params, body = [], []
    for i in range(count):
        name = _placeholder(i)
        value = f"__factory{i}() if {name} is __FACTORY else {name}" if factories[i] else name
        params.append(name)
        body.append(f"__set(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
    source = f"def __init__(self, {', '.join(params)}):\n    " + ("\n    ".join(body) or "pass")
    scope: dict[str, Any] = {}
    exec(source, {}, scope)  # noqa: S102 - source made here from placeholders, not from input
    return scope["__init__"].__code__


def _key(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """The compared fields of an object as a tuple, as dataclasses compares and hashes them."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        (name,) = names
        return lambda obj: (getattr(obj, name),)
    return lambda obj: ()


def _comparisons(key: Callable[[Any], tuple], order: bool) -> dict[str, Callable[..., Any]]:
    def __eq__(self: object, other: object) -> Any:  # noqa: N807 - named as the method it becomes
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    methods: dict[str, Callable[..., Any]] = {"__eq__": __eq__}
    if order:

        def __lt__(self: object, other: object) -> Any:  # noqa: N807
            return key(self) < key(other) if other.__class__ is self.__class__ else NotImplemented

        def __le__(self: object, other: object) -> Any:  # noqa: N807
            return key(self) <= key(other) if other.__class__ is self.__class__ else NotImplemented

        def __gt__(self: object, other: object) -> Any:  # noqa: N807
            return key(self) > key(other) if other.__class__ is self.__class__ else NotImplemented

        def __ge__(self: object, other: object) -> Any:  # noqa: N807
            return key(self) >= key(other) if other.__class__ is self.__class__ else NotImplemented

        methods.update(__lt__=__lt__, __le__=__le__, __gt__=__gt__, __ge__=__ge__)
    return methods


def _make(cls: type[T], frozen: bool, eq: bool, order: bool) -> type[T]:
    for name in _UNSUPPORTED:
        if name in cls.__dict__:
            raise TypeError(f"{cls.__qualname__} defines {name}: use dataclasses.dataclass")
    if not cls.__doc__:
        # dataclasses would write one from inspect.signature(cls): a tenth of a millisecond a
        # class, and the first call compiles tokenize's patterns (3 ms).
        cls.__doc__ = cls.__name__
    # Fields only: with nothing to add, dataclasses compiles nothing.
    cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    cls.__init__ = _make_init(cls, fields, frozen)  # type: ignore[misc]
    cls.__record_repr__ = tuple(f.name for f in fields if f.repr)  # type: ignore[attr-defined]
    if "__repr__" not in cls.__dict__:
        cls.__repr__ = _repr  # type: ignore[method-assign,assignment]
    if frozen:
        cls.__setattr__ = _frozen_setattr  # type: ignore[method-assign,assignment]
        cls.__delattr__ = _frozen_delattr  # type: ignore[method-assign,assignment]
    if eq:
        body = dict(cls.__dict__)  # as dataclasses does, a method the class writes itself is kept
        key = _key(tuple(f.name for f in fields if f.compare))
        for name, method in _comparisons(key, order).items():
            if name not in body:
                method.__qualname__ = f"{cls.__qualname__}.{name}"
                setattr(cls, name, method)
        # A class body with __eq__ and no __hash__ gets __hash__ = None from Python itself.
        if "__hash__" not in body or (body["__hash__"] is None and "__eq__" in body):
            # As dataclasses does: a frozen record hashes its compared fields, a mutable one with
            # equality has no hash.
            cls.__hash__ = (lambda self: hash(key(self))) if frozen else None  # type: ignore[method-assign,assignment]
    elif order:
        raise TypeError(f"{cls.__qualname__}: order needs eq")
    return cls


@typing.dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T] | None = None, /, *, frozen: bool = True, eq: bool = True, order: bool = False) -> Any:
    """A dataclass, frozen unless ``frozen=False``: ``@record`` or ``@record(eq=False)``."""
    if cls is not None:
        return _make(cls, frozen, eq, order)
    return lambda c: _make(c, frozen, eq, order)
