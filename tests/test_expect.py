"""Comparison helpers: each failure explains itself; NaN never passes; sign freedom handled."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.checking import CheckFailure, expect
from grader.checking.inputs import orthonormal


def message(fn) -> str:
    with pytest.raises(CheckFailure) as err:
        fn()
    return str(err.value)


def test_values_within_dtype_tolerance_pass():
    x = np.linspace(0, 1, 10)
    expect(x * (1 + 5e-8)).to_match(x)
    expect(x.astype(np.float32) * np.float32(1 + 1e-7)).to_match(x.astype(np.float32))


def test_worst_element_index_values_and_tolerance_are_reported():
    e = np.arange(12.0).reshape(3, 4)
    a = e.copy()
    a[2, 1] += 0.5
    a[0, 0] += 1e-3
    text = message(lambda: expect(a).to_match(e))
    assert "worst element at index [2, 1]" in text and "returned 9.5" in text and "expected 9" in text
    assert "tolerance" in text and "2 of 12 elements are off" in text


def test_shape_dtype_and_type_mismatches_are_named():
    e = np.zeros((2, 3))
    assert "expected shape (2, 3)" in message(lambda: expect(np.zeros((3, 2))).to_match(e))
    assert "expected dtype float64" in message(lambda: expect(np.zeros((2, 3), np.float32)).to_match(e))
    assert "expected a numpy array" in message(lambda: expect([[0, 0, 0]] * 2).to_match(e))
    assert "expected a torch tensor" in message(lambda: expect(e).to_match(torch.zeros(2, 3, dtype=torch.float64)))
    assert "expected a tuple of 2" in message(lambda: expect(e).to_match((e, e)))


def test_nan_never_passes_even_against_nan_free_expectations():
    a = np.array([1.0, np.nan])
    text = message(lambda: expect(a).to_match(np.array([1.0, 2.0]), rtol=1e9, atol=1e9))
    assert "nan" in text.lower() and "index [1]" in text
    assert "nan" in message(lambda: expect(float("nan")).to_match(0.0)).lower()


def test_scalars_need_numbers_not_arrays_or_bools():
    expect(np.float64(0.5)).to_match(0.5)
    assert "single float" in message(lambda: expect(np.array([0.5])).to_match(0.5))
    assert "expected a float" in message(lambda: expect(True).to_match(1.0))
    expect(3).to_equal(3)
    assert "int(...)" in message(lambda: expect(3.0).to_equal(3))


def test_integer_arrays_compare_exactly_with_first_difference():
    text = message(lambda: expect(np.array([1, 2, 4])).to_equal(np.array([1, 2, 3])))
    assert "first difference at index [2]: returned 4, expected 3" in text
    assert "integer dtype" in message(lambda: expect(np.array([1.0, 2.0])).to_equal(np.array([1, 2])))


def test_column_signs_are_free_but_values_are_not():
    rng = np.random.default_rng(0)
    q = orthonormal(rng, 6, 3)
    flipped = q * np.array([1, -1, -1])
    expect(flipped).to_match_up_to_sign(q, axis=1)
    wrong = flipped.copy()
    wrong[:, 2] = orthonormal(rng, 6, 1)[:, 0]
    assert "after flipping each column" in message(lambda: expect(wrong).to_match_up_to_sign(q, axis=1))


def test_subspace_comparison_ignores_the_basis():
    rng = np.random.default_rng(1)
    q = orthonormal(rng, 8, 3)
    rotated = q @ orthonormal(rng, 3, 3)
    expect(rotated).to_span_same_subspace(q)
    assert "subspace" in message(lambda: expect(orthonormal(rng, 8, 3)).to_span_same_subspace(q))


def test_orthonormality_names_the_offending_entry():
    rng = np.random.default_rng(2)
    q = orthonormal(rng, 5, 3)
    expect(q).to_have_orthonormal_columns()
    expect(q.T).to_have_orthonormal_rows()
    bad = q.copy()
    bad[:, 1] *= 2
    assert "entry [1, 1]" in message(lambda: expect(bad).to_have_orthonormal_columns())


def test_sorted_descending():
    expect(np.array([3.0, 2.0, 2.0, 1.0])).to_be_sorted()
    assert "element 1 is 1 and element 2 is 2" in message(lambda: expect(np.array([3.0, 1.0, 2.0])).to_be_sorted())
