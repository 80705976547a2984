"""Safe data across the process boundary: JSON for structure, ``.npy`` for arrays.

Changes when a type may cross the boundary.

Both sides use this module. The decoder is what the trusted side runs on bytes from an
untrusted process, so it is strict: arrays are loaded with pickles refused and only
numeric/bool dtypes, sizes and depth are bounded, and nothing is ever evaluated.

Wire form: one JSON header plus a list of binary blobs. Tags in the JSON:
``{"$nd": i}`` array i, ``{"$np": i}`` numpy scalar, ``{"$tensor": i, "dtype": ...}``,
``{"$tuple": [...]}``, ``{"$dict": [[k, v], ...]}``, ``{"$complex": [re, im]}``,
``{"$unsupported": "type"}`` for a value the sender could not encode.
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
            dtype = str(x.dtype)
            data = x.detach().cpu()
            if dtype in _TORCH_TAGGED_AS_FLOAT32:
                data = data.float()
            try:
                arr = data.resolve_conj().resolve_neg().numpy()
            except (TypeError, RuntimeError):
                return {"$unsupported": f"torch tensor of dtype {dtype}"}
            return {"$tensor": array_blob(arr), "dtype": dtype, "requires_grad": bool(x.requires_grad)}
        if isinstance(x, tuple):  # namedtuples travel as plain tuples
            return {"$tuple": [enc(v, depth + 1) for v in x]}
        if t is list:
            return [enc(v, depth + 1) for v in x]
        if t is dict:
            return {"$dict": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in x.items()]}
        return {"$unsupported": _type_name(x)}

    header = enc(value, 0)
    return json.dumps(header, allow_nan=True).encode(), blobs


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
            return _to_tensor(arr, dtype, bool(x.get("requires_grad")), want_torch)
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


def _to_tensor(arr: np.ndarray, dtype: str, requires_grad: bool, want_torch: bool | None) -> Any:
    if want_torch is False:
        return arr
    try:
        import torch
    except ImportError:
        return arr
    torch_dtype = getattr(torch, dtype.removeprefix("torch."), None)
    if not isinstance(torch_dtype, torch.dtype):
        raise DecodeError(f"unknown tensor dtype {dtype}")
    t = torch.from_numpy(arr.copy()).to(torch_dtype)
    if requires_grad and t.is_floating_point():
        t.requires_grad_(True)
    return t
