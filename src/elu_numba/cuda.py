"""elu_numba on the GPU: the public functions take CUDA device arrays.

Every function of :mod:`elu_numba` (``elu``, ``selu``, ``celu``, ``relu`` and their ``*_grad``)
accepts objects with ``__cuda_array_interface__`` -- CuPy arrays, PyTorch CUDA tensors, Numba
device arrays -- and then runs a ``numba.cuda`` kernel on them, without a copy to the host::

    y = en.elu(x)                 # CuPy in, CuPy out; torch in, torch out; Numba in, Numba out
    en.elu(x, out=x)              # in place: returns x
    en.elu_grad(g, y=y, out=g)    # gradient from the output, in place into g

The result of a call without ``out=`` has the type of the first array argument (``x``, or
``grad`` for a gradient) when that is a CuPy array, a PyTorch tensor or a Numba device array;
for any other CUDA array type it is a Numba device array (``numba.cuda.as_cuda_array`` /
``cupy.asarray`` / ``torch.as_tensor`` wrap it without a copy).  A 0-d input gives a 0-d
device array, not a host scalar.  With ``out=`` the function returns ``out``.

* dtypes: float16, float32, float64 (and integer/bool input, computed as float64, as on the
  CPU).  The math is :mod:`elu_numba._math`, the same functions as the CPU kernels: the
  activations in float32 for float16/float32 and in float64 for float64, the gradients from
  x in float64, rounded once when stored.  bfloat16 raises TypeError: the
  CUDA Array Interface has no bfloat16 type string (PyTorch exports ``"<V2"``).
* Shapes: ``grad`` and ``x``/``y`` must have the same shape (no broadcasting on the GPU);
  every array must be C- or F-contiguous, all in one memory order.  ``out`` may be one of the
  inputs (in place); an ``out`` that partly overlaps an input makes a temporary copy first.
* Everything is checked before anything is allocated or launched, with the CPU's error types:
  TypeError for a wrong dtype or array type, ValueError for a wrong shape, layout, read-only
  ``out`` or ``alpha``.
* Streams: the kernel is enqueued, never waited for.  It runs on the producer's stream: the
  ``stream`` entry of the CUDA Array Interface (v3: CuPy, Numba) or PyTorch's current stream,
  so it is ordered after the work that made the inputs and before whatever the caller does
  next on that stream.  When the arrays come from different streams, the others are
  synchronized (host wait) and the kernel runs on ``out``'s stream, else on the first input's.
* Needs ``numba-cuda`` (``pip install 'elu_numba[cuda]'``).  Importing :mod:`elu_numba` or
  this module does not import ``numba.cuda``; the first CUDA array does.  Without numba-cuda a
  CUDA array raises ImportError saying what to install; without a GPU, RuntimeError.
* Under the CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) Numba's simulated device arrays work
  too (they have no ``__cuda_array_interface__``; ``elu_numba._api`` recognises them by
  ``__cuda_ndarray__``).
* numba-cuda 0.30's import hook breaks ``import elu_numba.cuda`` (RecursionError: it takes any
  module name containing "numba.cuda" for its own).  The package loads this module by path
  when it first sees a CUDA array (``elu_numba._cuda_kernels.cuda_module()``); after that, or
  without numba-cuda, the import works.  Nothing here needs importing: use the functions.
"""

from __future__ import annotations

import importlib.util
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _cuda_kernels

INSTALL_HINT = "pip install 'elu_numba[cuda]'"

__all__ = ["INSTALL_HINT", "dispatch", "is_available"]

_cuda = None  # numba.cuda once imported and checked


def _numba_cuda():
    """``numba.cuda`` from numba-cuda, or ImportError/RuntimeError saying what is missing."""
    global _cuda
    if _cuda is not None:
        return _cuda
    if importlib.util.find_spec("numba_cuda") is None:
        raise ImportError(
            "elu_numba got a CUDA array, but its GPU support needs the numba-cuda package, "
            f"which is not installed: {INSTALL_HINT}"
        )
    try:
        cuda = _cuda_kernels.numba_cuda()
    except ImportError as e:
        raise ImportError(
            f"elu_numba's GPU support could not import numba.cuda ({e}); {INSTALL_HINT} "
            "installs numba-cuda with the CUDA 13 bindings and libraries"
        ) from e
    if not cuda.is_available():
        raise RuntimeError(
            "elu_numba got a CUDA array, but numba.cuda finds no usable GPU (no CUDA driver "
            "or device); numba.cuda.detect() says why"
        )
    _cuda = cuda
    return cuda


def is_available() -> bool:
    """True when CUDA arrays can be used: numba-cuda imports and finds a GPU (or the simulator)."""
    try:
        _numba_cuda()
    except (ImportError, RuntimeError):
        return False
    return True


# -- describing an array -------------------------------------------------------------------
@dataclass
class _Array:
    obj: Any  # what the caller passed
    arg: str  # its argument name, for messages
    dtype: np.dtype
    shape: tuple
    strides: tuple | None  # in bytes; None: C-contiguous
    ptr: int
    readonly: bool
    stream: int | None  # producer stream handle (CUDA Array Interface v3), None: no stream
    simulated: bool  # a numba.cuda simulator array (a NumPy array in disguise)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def contiguous(self, order: str) -> bool:
        if self.strides is None:
            return order == "C" or sum(n > 1 for n in self.shape) <= 1
        dims = range(len(self.shape))
        expected = self.dtype.itemsize
        for d in reversed(dims) if order == "C" else dims:
            if self.shape[d] == 0:
                return True
            if self.shape[d] != 1 and self.strides[d] != expected:
                return False
            expected *= self.shape[d]
        return True

    @property
    def orders(self) -> set:
        return {o for o in "CF" if self.contiguous(o)}


def _describe(obj: Any, arg: str, fn: str) -> _Array:
    if hasattr(obj, "__cuda_array_interface__"):
        cai, simulated = obj.__cuda_array_interface__, False
    elif getattr(obj, "__cuda_ndarray__", False):  # the simulator's arrays lack the interface
        cai = {
            "shape": tuple(obj.shape),
            "strides": tuple(obj.strides),
            "typestr": obj.dtype.str,
            "data": (obj.__array_interface__["data"][0], not obj.flags.writeable),
            "version": 3,
        }
        simulated = True
    else:
        raise TypeError(
            f"{fn}: {arg} is a {type(obj).__name__}, not a CUDA array; all arrays of a call must "
            "be on the GPU (cupy.asarray, torch.as_tensor(..., device='cuda') or "
            "numba.cuda.to_device move them there)"
        )
    if cai.get("mask") is not None:
        raise TypeError(f"{fn}: {arg} is a masked CUDA array; elu_numba does not take masks")
    typestr = cai["typestr"]
    if typestr[1:] == "V2":  # bfloat16 as PyTorch (and ml_dtypes) export it
        raise TypeError(
            f"{fn}: {arg} has dtype bfloat16 (type string {typestr!r}), but elu_numba's CUDA "
            "kernels support float16, float32 and float64: numba.cuda cannot take bfloat16 "
            "through the CUDA Array Interface; cast it first, e.g. x.float() or x.half()"
        )
    try:
        dtype = np.dtype(typestr)
    except TypeError:
        raise TypeError(f"{fn}: {arg} has an unknown type string {typestr!r}") from None
    strides = cai.get("strides")
    stream = cai.get("stream") if cai.get("version", 0) >= 3 else _torch_stream(obj)
    return _Array(
        obj=obj,
        arg=arg,
        dtype=dtype,
        shape=tuple(int(n) for n in cai["shape"]),
        strides=None if strides is None else tuple(int(s) for s in strides),
        ptr=int(cai["data"][0] or 0),
        readonly=bool(cai["data"][1]),
        stream=stream or None,  # 0 is not a valid handle in the interface
        simulated=simulated,
    )


def _torch_stream(obj: Any) -> int | None:
    """PyTorch exports interface v2 (no stream): its work is on its current stream."""
    if type(obj).__module__.split(".")[0] != "torch":
        return None
    return sys.modules["torch"].cuda.current_stream(obj.device).cuda_stream or None


def _device_index(obj: Any) -> int | None:
    """The GPU a CuPy array or PyTorch tensor lives on (None: unknown, numba's current one)."""
    device = getattr(obj, "device", None)
    if type(obj).__module__.split(".")[0] == "torch":
        return device.index
    if type(obj).__module__.split(".")[0] == "cupy":
        return device.id
    return None


# -- validation (nothing is allocated or launched before it passes) -------------------------
def _check_input(a: _Array, fn: str) -> None:
    kind, size = a.dtype.kind, a.dtype.itemsize
    if kind not in "fiub" or (kind == "f" and size > 8):
        raise TypeError(
            f"{fn}: {a.arg} has dtype {a.dtype}, but elu_numba supports float16, float32, "
            "float64 and integer/bool input (computed as float64)"
        )
    if not a.dtype.isnative:
        raise TypeError(f"{fn}: {a.arg} has dtype {a.dtype} in non-native byte order")


def _check_out(o: _Array, shape: tuple, result: np.dtype, fn: str) -> None:
    if o.dtype.kind != "f" or o.dtype.itemsize > 8 or not o.dtype.isnative:
        raise TypeError(f"{fn}: out has dtype {o.dtype}; it must be float16, float32 or float64")
    if not np.can_cast(result, o.dtype, casting="same_kind"):
        raise TypeError(f"{fn}: cannot write a {result} result into out of dtype {o.dtype}")
    if o.shape != shape:
        raise ValueError(f"{fn}: out has shape {o.shape}, but the result has shape {shape}")
    if o.readonly:
        raise ValueError(f"{fn}: output array is read-only")


def _common_order(arrays: list, fn: str) -> str:
    for a in arrays:
        if not a.orders:
            raise ValueError(
                f"{fn}: {a.arg} is not contiguous (shape {a.shape}, strides {a.strides}); "
                "elu_numba's CUDA kernels need C- or F-contiguous arrays: pass a contiguous "
                "copy (x.copy() in CuPy, x.contiguous() in PyTorch)"
            )
    common = set.intersection(*(a.orders for a in arrays))
    if not common:
        layouts = ", ".join(f"{a.arg} is {'/'.join(sorted(a.orders))}-contiguous" for a in arrays)
        raise ValueError(f"{fn}: the arrays must share one memory order, but {layouts}")
    return "C" if "C" in common else "F"


def _common_device(arrays: list, fn: str) -> int | None:
    devices = {d for d in (_device_index(a.obj) for a in arrays) if d is not None}
    if len(devices) > 1:
        raise ValueError(f"{fn}: the arrays are on different GPUs {sorted(devices)}")
    return devices.pop() if devices else None


def _public_name(name: str) -> str:
    return name.split("_grad_")[0] + "_grad" if "_grad_" in name else name


# -- execution -----------------------------------------------------------------------------
def _stream(cuda, arrays: list):
    """The stream to launch on: the producers' (see the module doc), else numba's default."""
    handles = list(dict.fromkeys(a.stream for a in arrays if a.stream is not None))
    if not handles:
        return 0
    streams = [_as_stream(cuda, h) for h in handles]
    for s in streams[1:]:
        s.synchronize()
    return streams[0]


def _as_stream(cuda, handle: int):
    if handle == 1:
        return cuda.legacy_default_stream()
    if handle == 2:
        return cuda.per_thread_default_stream()
    return cuda.external_stream(handle)


def _allocate(cuda, like: _Array, shape: tuple, dtype: np.dtype, order: str, stream):
    """An empty result of like's array type (CuPy, PyTorch, Numba), else a numba device array."""
    family = type(like.obj).__module__.split(".")[0]
    if family == "cupy":
        with like.obj.device:
            return sys.modules["cupy"].empty(shape, dtype=dtype, order=order)
    if family == "torch":
        torch = sys.modules["torch"]
        kw = {"dtype": getattr(torch, dtype.name), "device": like.obj.device}
        if order == "F" and len(shape) > 1:
            return torch.empty(shape[::-1], **kw).permute(*reversed(range(len(shape))))
        return torch.empty(shape, **kw)
    return cuda.device_array(shape, dtype=dtype, order=order, stream=stream)


def _flat(cuda, a: _Array):
    """A 1-D numba device array over a's memory (a is contiguous), no copy."""
    if a.simulated:
        return a.obj.ravel(order="K")
    desc = {"shape": (a.size,), "strides": None, "typestr": a.dtype.str, "version": 3}
    desc["data"] = (a.ptr, False)
    return cuda.from_cuda_array_interface(desc, owner=a.obj, sync=False)


def _overlap(a: _Array, b: _Array) -> bool:
    return a.ptr < b.ptr + b.nbytes and b.ptr < a.ptr + a.nbytes


def dispatch(name: str, inputs: list, alpha: float, out: Any = None) -> Any:
    """Run the ``_math`` function ``name`` on CUDA arrays; called by :mod:`elu_numba._api`.

    ``inputs`` is ``[x]`` or ``[grad, x_or_y]``, ``alpha`` is already validated.  Returns
    ``out``, or a new array of the first input's type (see the module doc).
    """
    fn = _public_name(name)
    argnames = ["x"] if len(inputs) == 1 else ["grad", name[-1]]
    arrays = [_describe(a, arg, fn) for a, arg in zip(inputs, argnames, strict=True)]
    cuda = _numba_cuda()
    for a in arrays:
        _check_input(a, fn)
    shape = arrays[0].shape
    for a in arrays[1:]:
        if a.shape != shape:
            raise ValueError(
                f"{fn}: grad has shape {shape}, but {a.arg} has shape {a.shape}; "
                "CUDA arrays are not broadcast, they must have the same shape"
            )
    result = np.result_type(
        *(a.dtype if a.dtype.kind == "f" else np.dtype(np.float64) for a in arrays)
    )
    target = None
    if out is not None:
        target = _describe(out, "out", fn)
        _check_out(target, shape, result, fn)
    order = _common_order(arrays + ([target] if target else []), fn)
    device = _common_device(arrays + ([target] if target else []), fn)
    store = target.dtype if target else result
    # alpha in float32 when nothing is float64 (as the CPU does for float16/float32)
    work = np.float32 if store.itemsize <= 4 and result.itemsize <= 4 else np.float64
    alpha_w = work(alpha)

    switch = nullcontext()
    if device is not None and device != cuda.get_current_device().id:
        switch = cuda.gpus[device]
    with switch:
        stream = _stream(cuda, ([target] if target else []) + arrays)
        if target is None:
            out = _allocate(cuda, arrays[0], shape, result, order, stream)
            target = _describe(out, "out", fn)
        n = target.size
        if n == 0:
            return out
        flats = [_flat(cuda, a) for a in arrays]
        tflat = _flat(cuda, target)
        inplace = False
        for i, a in enumerate(arrays):
            if not _overlap(a, target):
                continue
            if a.ptr == target.ptr and a.dtype.itemsize == target.dtype.itemsize:
                inplace = inplace or (len(arrays) == 1 and a.dtype == target.dtype)
                continue  # the same elements: each thread reads before it writes
            tmp = cuda.device_array(n, dtype=a.dtype, stream=stream)  # partial overlap
            tmp.copy_to_device(flats[i], stream=stream)
            flats[i] = tmp
        if inplace:
            _cuda_kernels.launch(name, True, (tflat, alpha_w), n, stream)
        else:
            _cuda_kernels.launch(name, False, (*flats, tflat, alpha_w), n, stream)
    return out
