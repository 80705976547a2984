"""The safe codec: what crosses from the worker, and what is refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.sandbox import wire
from grader.sandbox.codec import DecodeError, Unsupported, decode, encode


def roundtrip(value):
    return decode(*encode(value))


@given(hnp.arrays(dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128, np.uint8]), shape=hnp.array_shapes(min_dims=0, max_dims=4)))
def test_arrays_roundtrip_exactly(arr):
    out = roundtrip(arr)
    assert type(out) is np.ndarray and out.dtype == arr.dtype and out.shape == arr.shape
    np.testing.assert_array_equal(out, arr)


def test_containers_and_scalars_keep_their_kinds():
    value = (1, 2.5, True, None, "s", [np.float32(3.5), np.int64(4)], {"k": (1, 2)}, complex(1, 2), float("nan"))
    out = roundtrip(value)
    assert isinstance(out, tuple) and out[:5] == (1, 2.5, True, None, "s")
    assert type(out[5][0]) is np.float32 and type(out[5][1]) is np.int64
    assert out[6] == {"k": (1, 2)} and out[7] == complex(1, 2) and np.isnan(out[8])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64])
def test_tensors_keep_their_dtype(dtype):
    t = (torch.randn(3, 4) * 10).to(dtype)
    out = roundtrip(t)
    assert isinstance(out, torch.Tensor) and out.dtype == dtype
    assert torch.equal(out, t)


def test_object_arrays_and_unknown_objects_are_not_sent():
    class Thing:
        pass

    assert isinstance(roundtrip(np.array([Thing()], dtype=object)), Unsupported)
    assert isinstance(roundtrip(Thing()), Unsupported)
    assert "subclass of numpy.ndarray" in roundtrip(np.zeros(3).view(np.matrix)).description


def test_pickled_npy_is_refused():
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    header = b'{"$nd": 0}'
    with pytest.raises(DecodeError):
        decode(header, [buf.getvalue()])


@pytest.mark.parametrize("header", [b"{", b'{"$nd": 5}', b'{"$eval": "1"}', b"[" * 100 + b"]" * 100, b'{"$np": 0}'])
def test_malformed_headers_are_refused(header):
    with pytest.raises(DecodeError):
        decode(header, [b"not npy"])


def test_frames_larger_than_the_cap_are_refused_before_reading():
    data = wire.pack({"ok": True}, b"null", [b"x" * 1000])
    stream = io.BytesIO(data)
    with pytest.raises(wire.WireError, match="exceeds the limit"):
        wire.unpack(stream.read, 100)
    stream = io.BytesIO(data)
    assert wire.unpack(stream.read, 10_000)[2] == [b"x" * 1000]
