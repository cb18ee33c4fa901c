"""Refactorings: built-in transformations that change rendered objects on purpose.

Each module here holds the object-level half of one refactoring: a pure function from the
source objects (identity -> plain object) to the objects the chart is expected to render, with
what it adds, removes and renames, so that the change can be declared and proven.
"""
