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


# --- views: storage + shape, strides, offset ----------------------------------------------


def header_of(value):
    import json

    return json.loads(encode(value)[0])


def same_view(out, t):
    """The same values, layout and storage (padding included) as ``t``."""
    assert isinstance(out, torch.Tensor) and out.dtype == t.dtype
    assert out.shape == t.shape and out.stride() == t.stride() and out.storage_offset() == t.storage_offset()
    torch.testing.assert_close(out, t, rtol=0, atol=0, equal_nan=True)
    whole = t.untyped_storage().nbytes() // t.element_size()
    assert out.untyped_storage().nbytes() == t.untyped_storage().nbytes()
    assert torch.equal(out.as_strided((whole,), (1,), 0).isnan(), t.as_strided((whole,), (1,), 0).isnan())


def poisoned(rows, cols, pad=5, dtype=torch.float32):
    buf = torch.full((rows + 2 * pad, cols + 2 * pad), float("nan"), dtype=dtype)
    buf[pad : pad + rows, pad : pad + cols] = torch.randn(rows, cols).to(dtype)
    return buf


def test_contiguous_tensors_stay_plain():
    assert set(header_of(torch.randn(3, 4))) == {"$tensor", "dtype", "requires_grad"}
    # a contiguous slice of a storage far larger than itself sends its own elements only
    big = torch.zeros(1 << 20)
    head, blobs = encode(big[10:20])
    assert "strides" not in header_of(big[10:20]) and len(blobs[0]) < 300


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.int64])
def test_transposed_sliced_and_offset_views_cross_as_the_same_view(dtype):
    buf = poisoned(7, 9, dtype=dtype) if dtype.is_floating_point else torch.arange(17 * 19).reshape(17, 19).to(dtype)
    for view in (buf[5:12, 5:14], buf[5:12, 5:14].t(), buf.view(-1)[40:103].view(7, 9), buf[5:12:2, 5:14:3]):
        same_view(roundtrip(view), view)


def test_broadcast_views_cross_without_materialising():
    row = torch.randn(5)
    view = row.expand(1000, 5)
    assert header_of(view)["strides"] == [0, 1]
    assert len(encode(view)[1][0]) < 200
    same_view(roundtrip(view), view)


def test_a_view_keeps_requires_grad_and_numpy_callers_get_a_copy():
    view = poisoned(3, 4)[5:8, 5:9].t().requires_grad_(True)
    out = roundtrip(view)
    assert out.requires_grad and out.stride() == view.stride()
    arr = decode(*encode(view), want_torch=False)
    assert type(arr) is np.ndarray and arr.shape == (4, 3)
    np.testing.assert_array_equal(arr, view.detach().numpy())


def test_the_span_only_crosses_when_the_storage_is_much_larger():
    big = torch.randn(2000, 1000)
    view = big[10:12, ::7]
    tag = header_of(view)
    assert tag["offset"] == 0 and len(encode(view)[1][0]) < 10_000  # its span, not the 8 MB storage
    out = roundtrip(view)
    assert torch.equal(out, view) and out.stride() == view.stride()


def test_the_encoder_works_without_tensor_numpy(monkeypatch):
    """ex15 removes torch.Tensor.numpy from the learner's reach; the worker's encoder must not need it."""

    def refuse(*args, **kwargs):
        raise RuntimeError("numpy is not allowed")

    monkeypatch.setattr(torch.Tensor, "numpy", refuse)
    view = poisoned(2, 3)[5:7, 5:8]
    same_view(roundtrip(view), view)


def test_a_cuda_tag_decodes_on_the_cpu_without_a_gpu():
    import json

    head, blobs = encode(torch.randn(2, 3).t())
    tag = json.loads(head)
    tag["device"] = "cuda"
    out = decode(json.dumps(tag).encode(), blobs)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert out.device.type == expected and out.stride() == (1, 3)


@given(
    length=st.integers(1, 64),
    shape=st.lists(st.integers(0, 6), min_size=1, max_size=3),
    data=st.data(),
)
def test_any_view_inside_its_storage_roundtrips(length, shape, data):
    strides = [data.draw(st.integers(0, 8)) for _ in shape]
    reach = sum((n - 1) * s for n, s in zip(shape, strides) if n > 0)
    if any(n == 0 for n in shape):
        reach = 0
    if reach >= length:
        length = reach + 1
    offset = data.draw(st.integers(0, length - 1 - reach))
    storage = torch.arange(length, dtype=torch.float64)
    view = storage.as_strided(shape, strides, offset)
    out = roundtrip(view)
    assert out.shape == view.shape and torch.equal(out, view)
    if view.numel():
        assert out.stride() == view.stride() or view.is_contiguous()


def hostile_view(**changes):
    """A view's header with some fields replaced, and its (honest) storage blob."""
    import json

    head, blobs = encode(poisoned(3, 4, pad=2)[2:5, 2:6])  # storage of 7 * 8 = 56 elements
    tag = json.loads(head)
    tag.update(changes)
    for key, value in list(tag.items()):
        if value is None:
            del tag[key]
    return json.dumps(tag).encode(), blobs


@pytest.mark.parametrize(
    "changes",
    [
        {"strides": [8, 100]},  # a stride that walks out of the storage
        {"strides": [-8, 1]},  # negative
        {"strides": [2**70, 1]},  # huge
        {"strides": [8.0, 1]},  # not an int
        {"strides": [True, 1]},  # a bool is no stride
        {"offset": 54},  # the last row starts inside, ends outside
        {"offset": -1},
        {"offset": 2**64},
        {"shape": [3, 4, 1], "strides": [8, 1]},  # lengths differ
        {"shape": [2**20, 2**20], "strides": [0, 0], "offset": 0},  # a few bytes standing for 2**40 elements
        {"shape": [9, 4]},  # more rows than the storage holds
        {"shape": [1] * 40, "strides": [1] * 40},  # too many dimensions
        {"shape": None},  # a layout without its shape
        {"shape": "3,4"},
        {"device": "tpu"},
    ],
)
def test_hostile_view_headers_are_refused(changes):
    with pytest.raises(DecodeError):
        decode(*hostile_view(**changes))


def test_a_view_of_a_two_dimensional_blob_is_refused():
    import json

    head, _ = encode(poisoned(3, 4, pad=2)[2:5, 2:6])
    buf = io.BytesIO()
    np.save(buf, np.zeros((7, 8), dtype=np.float32), allow_pickle=False)
    with pytest.raises(DecodeError):
        decode(json.dumps(json.loads(head)).encode(), [buf.getvalue()])
