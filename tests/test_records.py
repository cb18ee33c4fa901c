"""``@record`` behaves as ``dataclasses.dataclass`` in every way this package relies on, and
compiles less when a module is imported (the reason it exists)."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helmify_flts.records import record

# ------------------------------------------------------------------ classes built from one spec

NAMES = ("alpha", "beta", "gamma", "delta", "eps")


def _field(kind: str, compare: bool, shown: bool) -> Any:
    if kind == "default":
        return dataclasses.field(default=7, compare=compare, repr=shown)
    if kind == "factory":
        return dataclasses.field(default_factory=list, compare=compare, repr=shown)
    return dataclasses.field(compare=compare, repr=shown)


def _build(spec: list[tuple[str, str, bool, bool]], decorate: Callable[[type], type]) -> type:
    """A class named Thing with ``spec``'s fields, made by ``decorate``."""
    namespace: dict[str, Any] = {"__annotations__": {}, "__qualname__": "Thing", "__module__": __name__}
    for name, kind, compare, shown in spec:
        namespace["__annotations__"][name] = "Any"
        namespace[name] = _field(kind, compare, shown)
    return decorate(type("Thing", (), namespace))


KINDS = st.sampled_from(("required", "default", "factory"))
SPECS = st.lists(st.tuples(KINDS, st.booleans(), st.booleans()), max_size=5).map(
    # required fields first, as a dataclass needs them
    lambda fields: [
        (NAMES[i], kind, compare, shown)
        for i, (kind, compare, shown) in enumerate(sorted(fields, key=lambda f: f[0] != "required"))
    ]
)
FLAGS = st.sampled_from(
    [
        {"frozen": True, "eq": True, "order": False},
        {"frozen": True, "eq": False, "order": False},
        {"frozen": True, "eq": True, "order": True},
        {"frozen": False, "eq": True, "order": False},
        {"frozen": False, "eq": False, "order": False},
    ]
)
VALUES = st.one_of(st.integers(-3, 3), st.text(max_size=2), st.tuples(st.integers(0, 2)))


def _pair(spec: list, flags: dict) -> tuple[type, type]:
    return _build(spec, lambda c: dataclasses.dataclass(c, **flags)), _build(spec, lambda c: record(c, **flags))


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", call()
    except Exception as exc:  # noqa: BLE001 - the kind of failure is what is compared
        return "raised", type(exc).__name__


@settings(max_examples=300, deadline=None)
@given(SPECS, FLAGS, st.lists(VALUES, min_size=10, max_size=10))
def test_a_record_behaves_as_the_dataclass_of_the_same_fields(spec: list, flags: dict, values: list) -> None:
    std, rec = _pair(spec, flags)
    required = [name for name, kind, _, _ in spec if kind == "required"]
    every = [name for name, *_ in spec]
    args = dict(zip(required, values, strict=False))
    other_args = {**args, **dict(zip(every, values[5:], strict=False))}

    a_std, a_rec = std(**args), rec(**args)
    b_std, b_rec = std(**other_args), rec(**other_args)
    assert repr(a_rec) == repr(a_std)
    assert repr(b_rec) == repr(b_std)
    assert dataclasses.asdict(a_rec) == dataclasses.asdict(a_std)
    assert [f.name for f in dataclasses.fields(rec)] == [f.name for f in dataclasses.fields(std)]
    assert rec.__match_args__ == std.__match_args__
    # equality and order, within a class and against another class
    for x_std, x_rec in ((a_std, a_rec), (b_std, b_rec)):
        for y_std, y_rec in ((a_std, a_rec), (b_std, b_rec)):
            for op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
                got = _outcome(lambda op=op, x=x_rec, y=y_rec: getattr(x, op)(y))
                want = _outcome(lambda op=op, x=x_std, y=y_std: getattr(x, op)(y))
                assert got == want, (op, x_std, y_std)
    assert (a_rec == a_std) is False  # another class is never equal
    # hashing: the same hash as the dataclass, so sets of records iterate in the same order
    assert (rec.__hash__ is None) == (std.__hash__ is None)
    if flags["eq"] and flags["frozen"]:
        assert _outcome(lambda: hash(a_rec)) == _outcome(lambda: hash(a_std))
    # positional arguments and missing ones
    assert _outcome(lambda: repr(rec(*values[: len(every)]))) == _outcome(lambda: repr(std(*values[: len(every)])))
    if required:
        assert _outcome(lambda: rec()) == _outcome(lambda: std())
    # a factory runs per instance
    for name, kind, _, _ in spec:
        if kind == "factory":
            assert getattr(rec(**args), name) is not getattr(rec(**args), name)
    # replace makes a changed copy of the same class
    if every:
        changed = dataclasses.replace(b_rec, **{every[0]: "x"})
        assert type(changed) is rec and getattr(changed, every[0]) == "x"
    # frozen or not (last: a mutable one loses the deleted fields)
    for name in every:
        assert _outcome(lambda name=name: setattr(a_rec, name, 1)) == _outcome(
            lambda name=name: setattr(a_std, name, 1)
        )
        assert _outcome(lambda name=name: delattr(b_rec, name)) == _outcome(lambda name=name: delattr(b_std, name))


def test_the_init_signature_names_the_fields() -> None:
    @record
    class Pair:
        left: int
        right: str = "r"
        extra: list = dataclasses.field(default_factory=list)

    assert Pair(1) == Pair(left=1, right="r", extra=[])
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'left'"):
        Pair()
    with pytest.raises(TypeError, match="unexpected keyword argument 'wrong'"):
        Pair(1, wrong=2)
    assert Pair.__init__.__qualname__.endswith("Pair.__init__")
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'left'"):
        Pair(1).left = 2


def test_methods_a_class_writes_itself_are_kept() -> None:
    @record
    class Named:
        name: str
        note: str = ""

        def __repr__(self) -> str:
            return f"<{self.name}>"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Named) and other.name == self.name

    assert repr(Named("a")) == "<a>"
    assert Named("a", "x") == Named("a", "y")
    # As with dataclasses, an __eq__ of its own still gets the fields' hash.
    assert hash(Named("a")) == hash(("a", ""))


def test_inherited_fields_come_first() -> None:
    @record
    class Base:
        kind: str

    @record
    class Child(Base):
        name: str = "n"

    assert Child("k") == Child(kind="k", name="n")
    assert repr(Child("k")).endswith("Child(kind='k', name='n')")
    assert Child("k") != Base("k")


def test_records_pickle_and_copy() -> None:
    value = _Pickled("a", (1, 2))
    assert pickle.loads(pickle.dumps(value)) == value
    assert dataclasses.replace(value) == value


@record
class _Pickled:
    name: str
    items: tuple = ()


def test_what_is_not_supported_says_to_use_dataclasses() -> None:
    with pytest.raises(TypeError, match="use dataclasses.dataclass"):

        @record
        class Later:
            name: str

            def __post_init__(self) -> None:
                pass

    with pytest.raises(TypeError, match="order needs eq"):
        record(type("Odd", (), {"__annotations__": {}}), eq=False, order=True)


def test_the_package_compiles_no_dataclass_method_when_imported() -> None:
    """Every class of the package is a record (or says why not): importing it all runs ``exec``
    only for ``__init__``, where dataclasses runs it up to six times a class, and only once per
    shape of record, which about half the records share with another."""
    code = (
        "import builtins, pkgutil, importlib, dataclasses, helmify_flts, helmify_flts.records as r\n"
        "calls, made = [], []\n"
        "real, make = builtins.exec, r._make\n"
        "def counting(src, *a, **k):\n"
        "    if isinstance(src, str) and src.startswith('def '): calls.append(src.split('(')[0])\n"
        "    return real(src, *a, **k)\n"
        "def making(cls, *a):\n"
        "    made.append(cls)\n"
        "    return make(cls, *a)\n"
        "builtins.exec, r._make = counting, making\n"
        "for m in pkgutil.walk_packages(helmify_flts.__path__, 'helmify_flts.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(len(made), len(calls), sum(1 for c in calls if c != 'def __init__'))\n"
    )
    made, compiled, other = map(int, subprocess.check_output([sys.executable, "-c", code], text=True).split())
    assert made > 90  # every module was imported
    assert other == 0  # no __repr__, __eq__, __hash__, __setattr__ compiled
    assert 0 < compiled < made / 2


def test_records_of_one_shape_share_a_body_but_not_their_names_defaults_or_factories() -> None:
    @record
    class Pair:
        left: int
        right: str = "r"
        seen: list = dataclasses.field(default_factory=list)

    @record
    class Other:
        first: str
        second: int = 7
        notes: list = dataclasses.field(default_factory=lambda: ["n"])

    @record(frozen=False)
    class Loose:
        up: int
        down: int = 0

    assert Pair.__init__.__code__ is not Other.__init__.__code__
    assert Pair.__init__.__code__.co_code == Other.__init__.__code__.co_code  # one compiled body, renamed
    assert (Pair(1), Other("a")) == (Pair(1, "r", []), Other("a", 7, ["n"]))
    assert Pair(1).seen is not Pair(1).seen
    assert repr(Other(first="x", second=2)).endswith("Other(first='x', second=2, notes=['n'])")
    with pytest.raises(TypeError, match="unexpected keyword argument 'left'"):
        Other(left=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Pair(1).left = 2
    loose = Loose(up=3)
    loose.down = 4
    assert (loose.up, loose.down) == (3, 4)
    assert Loose.__init__.__qualname__.endswith("<locals>.Loose.__init__")
    assert Loose.__init__.__code__.co_qualname == Loose.__init__.__qualname__  # as tracebacks name it
    with pytest.raises(TypeError, match="non-default argument 'late' follows default argument"):

        @record
        class Wrong:
            early: int = 1
            late: int


def test_a_record_without_a_docstring_is_made_without_reading_its_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    """dataclasses writes a missing docstring from ``inspect.signature(cls)``; the first such call
    compiles tokenize's patterns, a few milliseconds of start-up for a text nobody reads."""
    import inspect

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("inspect.signature was called")

    monkeypatch.setattr(inspect, "signature", refused)

    @record
    class Bare:
        name: str

    @record
    class Told:
        """Said here."""

        name: str

    assert Bare("x").name == "x" and Bare.__doc__ == "Bare" and Told.__doc__ == "Said here."
