"""The number rule of kwargs, results and run inputs (google.protobuf.Struct carries doubles): integers
within +-2**53 come back as int, other numbers as float, and an int beyond +-2**53 is refused rather than
rounded. Checked over generated JSON values against a model of the rule."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mageflow_signatures.types import MAX_SAFE_INTEGER, from_struct, from_value, to_struct, to_value

safe_ints = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | safe_ints | finite_floats | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def model(value: Any) -> Any:
    """What the rule says comes back: integral numbers within +-2**53 as int, other numbers as float."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        f = float(value)
        return int(f) if f.is_integer() and abs(f) <= MAX_SAFE_INTEGER else f
    if isinstance(value, list):
        return [model(v) for v in value]
    return {k: model(v) for k, v in value.items()}


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types (7 and 7.0 differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=5))
def test_objects_round_trip_by_the_rule(obj: dict) -> None:
    assert same(from_struct(to_struct(obj)), model(obj))


@given(json_values)
def test_values_round_trip_by_the_rule(value: Any) -> None:
    assert same(from_value(to_value(value)), model(value))


@given(st.integers(min_value=MAX_SAFE_INTEGER + 1) | st.integers(max_value=-MAX_SAFE_INTEGER - 1))
def test_ints_beyond_2_53_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match="2\\*\\*53"):
        to_struct({"nested": [{"n": n}]})
    with pytest.raises(ValueError):
        to_value(n)
