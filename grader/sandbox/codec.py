"""Safe data across the process boundary: JSON for structure, ``.npy`` for arrays.

Changes when a type may cross the boundary.

Both sides use this module. The decoder is what the trusted side runs on bytes from an
untrusted process, so it is strict: arrays are loaded with pickles refused and only
numeric/bool dtypes, sizes and depth are bounded, and nothing is ever evaluated.

Wire form: one JSON header plus a list of binary blobs. Tags in the JSON:
``{"$nd": i}`` array i, ``{"$np": i}`` numpy scalar, ``{"$tensor": i, "dtype": ...}``,
``{"$tuple": [...]}``, ``{"$dict": [[k, v], ...]}``, ``{"$complex": [re, im]}``,
``{"$unsupported": "type"}`` for a value the sender could not encode.

A torch tensor that is a view (transposed, sliced, at an offset, broadcast, or inside a
larger storage) crosses as its storage plus its layout: the tag then also holds
``"shape"``, ``"strides"`` (in elements) and ``"offset"``, and blob i is the 1-D storage.
The storage is sent whole, so poison a check put around a view arrives with it, unless it
is much larger than the view's span (then only the span). The receiver rebuilds the same
view with ``as_strided``; each tensor gets a storage of its own (aliasing between values
does not cross). A ``"device"`` of ``"cuda"`` puts the tensor on the GPU where there is one.
Numpy arrays cross as copies in their logical layout.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import numpy as np

MAX_DEPTH = 32
ALLOWED_KINDS = frozenset("biufc")  # bool, int, uint, float, complex
_TORCH_TAGGED_AS_FLOAT32 = ("torch.bfloat16",)
MAX_DIMS = 32
# A decoded view never stands for more elements than this (1 GiB of float32): a hostile sender
# must not make a few bytes of storage into a tensor the grader materialises without bound.
MAX_VIEW_ELEMENTS = 1 << 28
# A view's whole storage crosses (padding included) unless it is larger than this many bytes
# beyond twice the view's span; then only the span crosses.
WHOLE_STORAGE_SLACK = 1 << 20
_MAX_UNUSED_STRIDE = 1 << 48


class DecodeError(ValueError):
    """The bytes are not a value the grader accepts."""


class Unsupported:
    """Stands for a value the other side could not send (for example an ndarray subclass)."""

    def __init__(self, description: str) -> None:
        self.description = description

    def __repr__(self) -> str:
        return f"<unsupported {self.description}>"


def _type_name(x: Any) -> str:
    t = type(x)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _torch():
    return sys.modules.get("torch")


def encode(value: Any) -> tuple[bytes, list[bytes]]:
    """Encode ``value``; unsupported parts become ``$unsupported`` tags, never errors."""
    blobs: list[bytes] = []

    def array_blob(arr: np.ndarray) -> int:
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        blobs.append(buf.getvalue())
        return len(blobs) - 1

    def enc(x: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            return {"$unsupported": "a structure nested too deeply"}
        t = type(x)
        if x is None or t is bool or t is str:
            return x
        if t is int:
            return x
        if t is float:
            return x
        if t is complex:
            return {"$complex": [x.real, x.imag]}
        if t is np.ndarray:
            if x.dtype.kind not in ALLOWED_KINDS:
                return {"$unsupported": f"numpy array of dtype {x.dtype}"}
            return {"$nd": array_blob(x)}
        if isinstance(x, np.generic) and t.__module__ == "numpy":
            if x.dtype.kind not in ALLOWED_KINDS:
                return {"$unsupported": f"numpy scalar of dtype {x.dtype}"}
            return {"$np": array_blob(np.asarray(x))}
        if isinstance(x, np.ndarray):
            return {"$unsupported": f"{_type_name(x)} (a subclass of numpy.ndarray)"}
        torch = _torch()
        if torch is not None and isinstance(x, torch.Tensor):
            if t is not torch.Tensor and t is not torch.nn.Parameter:
                return {"$unsupported": f"{_type_name(x)} (a subclass of torch.Tensor)"}
            return tensor_tag(x, torch, array_blob)
        if isinstance(x, tuple):  # namedtuples travel as plain tuples
            return {"$tuple": [enc(v, depth + 1) for v in x]}
        if t is list:
            return [enc(v, depth + 1) for v in x]
        if t is dict:
            return {"$dict": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in x.items()]}
        return {"$unsupported": _type_name(x)}

    header = enc(value, 0)
    return json.dumps(header, allow_nan=True).encode(), blobs


def _tensor_numpy(torch: Any) -> Any:
    """The C method behind ``Tensor.numpy``: an exercise may remove ``torch.Tensor.numpy`` from
    the learner's reach, and the worker's encoder must still work."""
    base = getattr(torch._C, "TensorBase", None)
    return (base if base is not None else torch._C._TensorBase).numpy  # the old name before torch 2.1


def tensor_tag(x: Any, torch: Any, array_blob: Any) -> dict[str, Any]:
    """The tag of one torch tensor: plain when it is its whole storage, else storage + layout."""
    dtype = str(x.dtype)
    tag: dict[str, Any] = {"dtype": dtype, "requires_grad": bool(x.requires_grad)}
    try:
        data = x.detach()
        if data.is_conj() or data.is_neg():
            data = data.resolve_conj().resolve_neg()  # materialised: a lazy flag has no storage of its own
        if data.device.type == "cuda":
            tag["device"] = "cuda"
        layout = _view_layout(data)
        if layout is not None:
            start, length, offset = layout
            tag.update(shape=list(data.shape), strides=list(data.stride()), offset=offset)
            data = data.as_strided((length,), (1,), start)
        data = data.cpu()
        if dtype in _TORCH_TAGGED_AS_FLOAT32:
            data = data.float()
        arr = _tensor_numpy(torch)(data.contiguous())
    except (TypeError, RuntimeError, NotImplementedError):  # sparse, meta, or a dtype numpy lacks
        return {"$unsupported": f"torch tensor of dtype {dtype}"}
    tag["$tensor"] = array_blob(arr)
    return tag


def _view_layout(t: Any) -> tuple[int, int, int] | None:
    """None for a tensor that is exactly its storage, contiguous (the cheap path); otherwise
    (first storage element sent, how many, the view's offset from that first element)."""
    if t.numel() == 0:
        return None
    itemsize = t.element_size()
    storage = t.untyped_storage().nbytes() // itemsize
    lo = t.storage_offset()
    span = 1 + sum((n - 1) * s for n, s in zip(t.shape, t.stride()))
    if t.is_contiguous() and lo == 0 and span == storage:
        return None
    if storage * itemsize <= 2 * span * itemsize + WHOLE_STORAGE_SLACK:
        return 0, storage, lo  # the whole storage: padding around the view travels with it
    if t.is_contiguous():
        return None  # only its own elements would cross anyway
    return lo, span, 0


def _load_array(blob: bytes) -> np.ndarray:
    try:
        arr = np.load(io.BytesIO(blob), allow_pickle=False)
    except Exception as exc:  # malformed npy: refuse, whatever numpy's complaint
        raise DecodeError(f"malformed array data ({type(exc).__name__})") from None
    if type(arr) is not np.ndarray or arr.dtype.kind not in ALLOWED_KINDS or arr.dtype.names:
        raise DecodeError("array of a dtype the grader does not accept")
    return arr


def decode(header: bytes, blobs: list[bytes], *, want_torch: bool | None = None) -> Any:
    """Decode a header and blobs into plain Python, numpy and (if loaded) torch values.

    ``want_torch``: tensors become torch tensors when torch is importable here; with
    False they stay numpy arrays (used where torch is not needed).
    """
    try:
        tree = json.loads(header)
    except (ValueError, RecursionError):
        raise DecodeError("malformed header") from None
    used: set[int] = set()

    def blob(i: Any) -> bytes:
        if type(i) is not int or not 0 <= i < len(blobs) or i in used:
            raise DecodeError("bad blob reference")
        used.add(i)
        return blobs[i]

    def dec(x: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise DecodeError("nested too deeply")
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        if isinstance(x, list):
            return [dec(v, depth + 1) for v in x]
        if not isinstance(x, dict) or len(x) == 0:
            raise DecodeError("unknown value form")
        if "$nd" in x:
            return _load_array(blob(x["$nd"]))
        if "$np" in x:
            arr = _load_array(blob(x["$np"]))
            if arr.shape != ():
                raise DecodeError("scalar with a shape")
            return arr[()]
        if "$tensor" in x:
            arr = _load_array(blob(x["$tensor"]))
            dtype = x.get("dtype")
            if not isinstance(dtype, str) or not dtype.startswith("torch."):
                raise DecodeError("tensor without a dtype")
            layout = _layout(x, arr)
            device = x.get("device", "cpu")
            if device not in ("cpu", "cuda"):
                raise DecodeError("unknown tensor device")
            return _to_tensor(arr, dtype, bool(x.get("requires_grad")), want_torch, layout, device)
        if "$tuple" in x:
            items = x["$tuple"]
            if not isinstance(items, list):
                raise DecodeError("bad tuple")
            return tuple(dec(v, depth + 1) for v in items)
        if "$dict" in x:
            pairs = x["$dict"]
            if not isinstance(pairs, list):
                raise DecodeError("bad dict")
            out = {}
            for pair in pairs:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise DecodeError("bad dict entry")
                key = dec(pair[0], depth + 1)
                if not isinstance(key, (str, int, float, bool, tuple)) and key is not None:
                    raise DecodeError("unhashable dict key")
                out[key] = dec(pair[1], depth + 1)
            return out
        if "$complex" in x:
            re_im = x["$complex"]
            if not (isinstance(re_im, list) and len(re_im) == 2 and all(isinstance(v, (int, float)) for v in re_im)):
                raise DecodeError("bad complex")
            return complex(re_im[0], re_im[1])
        if "$unsupported" in x:
            return Unsupported(str(x["$unsupported"])[:200])
        raise DecodeError("unknown tag")

    try:
        return dec(tree, 0)
    except RecursionError:
        raise DecodeError("nested too deeply") from None


def _index(value: Any, what: str, cap: int) -> int:
    if type(value) is not int or not 0 <= value <= cap:
        raise DecodeError(f"bad view {what}")
    return value


def _layout(tag: dict[str, Any], storage: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...], int] | None:
    """A view's (shape, strides, offset), checked to stay inside ``storage``; None for a plain tensor."""
    keys = [k for k in ("shape", "strides", "offset") if k in tag]
    if not keys:
        return None
    if len(keys) != 3:
        raise DecodeError("a view needs shape, strides and offset")
    shape, strides = tag["shape"], tag["strides"]
    if not (isinstance(shape, list) and isinstance(strides, list) and len(shape) == len(strides) <= MAX_DIMS):
        raise DecodeError("bad view layout")
    if storage.ndim != 1:
        raise DecodeError("a view's storage must be one-dimensional")
    length = storage.shape[0]
    shape_t = tuple(_index(n, "shape", MAX_VIEW_ELEMENTS) for n in shape)
    # No negative strides (torch has none); a dimension of size 1 may carry any stride, unused.
    strides_t = tuple(_index(s, "stride", length if n > 1 else _MAX_UNUSED_STRIDE) for n, s in zip(shape_t, strides))
    offset = _index(tag["offset"], "offset", length)
    numel = 1
    for n in shape_t:
        numel *= n
    if numel > MAX_VIEW_ELEMENTS:
        raise DecodeError(f"a view of {numel} elements (at most {MAX_VIEW_ELEMENTS})")
    if numel and offset + sum((n - 1) * s for n, s in zip(shape_t, strides_t)) >= length:
        raise DecodeError("a view that reaches outside its storage")
    return shape_t, strides_t, offset


def _to_tensor(
    arr: np.ndarray,
    dtype: str,
    requires_grad: bool,
    want_torch: bool | None,
    layout: tuple[tuple[int, ...], tuple[int, ...], int] | None = None,
    device: str = "cpu",
) -> Any:
    torch = None
    if want_torch is not False:
        try:
            import torch
        except ImportError:
            torch = None
    if torch is None:
        if layout is None:
            return arr
        shape, strides, offset = layout
        view = np.lib.stride_tricks.as_strided(arr[offset:], shape, tuple(s * arr.itemsize for s in strides), writeable=False)
        return view.copy()
    torch_dtype = getattr(torch, dtype.removeprefix("torch."), None)
    if not isinstance(torch_dtype, torch.dtype):
        raise DecodeError(f"unknown tensor dtype {dtype}")
    t = torch.from_numpy(arr.copy()).to(torch_dtype)
    if device == "cuda" and torch.cuda.is_available():
        t = t.to("cuda")
    if layout is not None:
        t = t.as_strided(*layout)
    if requires_grad and t.is_floating_point():
        t.requires_grad_(True)
    return t
