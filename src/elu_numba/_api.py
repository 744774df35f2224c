"""The public functions: validate, pick a kernel, run it.

Everything is checked before the first byte is written (shapes, dtypes, writeability, alpha);
the kernels in :mod:`elu_numba._cpu` then trust their inputs.  Arrays that are not NumPy
arrays but come from another backend (CUDA device arrays, Dask arrays) are handed to that
backend's ``dispatch`` before any NumPy conversion.
"""

from __future__ import annotations

import math
import threading
from numbers import Real
from typing import Any

import numba
import numpy as np
from numba.np.ufunc import parallel as _parallel
from numpy.typing import ArrayLike, NDArray

from . import _cpu, _math
from ._options import CONCURRENT_SAFE_LAYERS

_WORK_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_parallel_lock = threading.Lock()


# -- foreign arrays: a backend module has dispatch(kernel_name, inputs, alpha, out) ------
# kernel_name is a function of elu_numba._math ("elu", "elu_grad_y", ...), inputs the list of
# input arrays ([x] or [grad, x_or_y]), alpha already validated.
def _backend(arrays):
    """The module that handles these arrays when one is a CUDA or Dask array, else None."""
    for a in arrays:
        if a is None or isinstance(a, np.ndarray):
            continue
        if type(a).__module__.split(".")[0] == "dask":
            from . import _dask

            return _dask
        # numba.cuda's simulator arrays have no interface, only numba's __cuda_ndarray__ mark
        if hasattr(a, "__cuda_array_interface__") or getattr(a, "__cuda_ndarray__", False):
            from ._cuda_kernels import cuda_module  # not "from . import cuda": see there

            return cuda_module()
    return None


# -- validation ----------------------------------------------------------------------------
def _as_input(a: Any, argname: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiub" or arr.dtype.itemsize > 8 and arr.dtype.kind == "f":
        raise TypeError(
            f"{argname} has dtype {arr.dtype}, but elu_numba supports float16, float32, float64 "
            "and integer/bool input (computed as float64)"
        )
    return arr


def _result_dtype(*arrays: np.ndarray) -> np.dtype:
    """Floats keep their type, integers and bools become float64 (``np.exp``'s rule for int32
    and int64; it gives float16 for bool and 8-bit integers, the ufuncs too)."""
    if len(arrays) == 1 and arrays[0].dtype.kind == "f" and arrays[0].dtype.isnative:
        return arrays[0].dtype  # what result_type gives, without its 0.5 us
    dts = [a.dtype if a.dtype.kind == "f" else np.dtype(np.float64) for a in arrays]
    return np.result_type(*dts).newbyteorder("=")


def _work_dtype(result: np.dtype) -> np.dtype:
    """The dtype the kernel computes in: float64 stays, float32 and float16 use float32."""
    return result if result in _WORK_DTYPES else np.dtype(np.float32)


def _check_alpha(alpha: Any, fn: str, *, positive=False, nonnegative=False) -> float:
    if type(alpha) is not float and (  # the common case first: the ABC check costs ~0.5 us
        not isinstance(alpha, (Real, np.floating, np.integer)) or isinstance(alpha, bool)
    ):
        raise TypeError(f"{fn}: alpha must be a real number, got {type(alpha).__name__}")
    try:
        a = float(alpha)
    except OverflowError:  # an int beyond float64's range (float() raises, not inf)
        raise ValueError(
            f"{fn}: alpha must be finite, got an integer of {alpha.bit_length()} bits"
        ) from None
    if not math.isfinite(a):
        raise ValueError(f"{fn}: alpha must be finite, got {a!r}")
    if positive and not a > 0:
        raise ValueError(f"{fn}: alpha must be > 0, got {a!r}")
    if nonnegative and a < 0:
        raise ValueError(
            f"{fn}: the gradient from the output y needs alpha >= 0, got {a!r}; pass x= instead"
        )
    return a


def _as_output(out: Any, fn: str) -> np.ndarray:
    """The ndarray to write into for ``out``: out itself or a view of its memory, never a copy.

    Besides NumPy arrays (memmaps included), any object whose memory NumPy can view works: a
    CPU ``torch.Tensor``, an ``xarray.DataArray`` holding a NumPy array, ``array.array``, a
    writable ``memoryview``.  The proof that the view is ``out``'s own memory: two conversions
    overlap, which two fresh copies (both alive at once) never do.  Anything that would be
    converted by copying (a list, a tensor that requires grad, a lazy array) raises TypeError.
    """
    if isinstance(out, np.ndarray):
        return out
    kind = type(out).__name__
    try:
        view, again = np.asarray(out), np.asarray(out)
    except Exception as e:  # e.g. torch: "Can't call numpy() on Tensor that requires grad"
        raise TypeError(
            f"{fn}: out must be a numpy.ndarray or an array whose memory NumPy can view; "
            f"this {kind} cannot be written in place ({e})"
        ) from None
    shared = view is again or (
        np.may_share_memory(view, again) if view.size else view.base is not None
    )
    if not shared:
        raise TypeError(
            f"{fn}: out must be a numpy.ndarray or an array whose memory NumPy can view; "
            f"a {kind} cannot be written in place (NumPy can only copy it)"
        )
    return view


def _check_out(out: Any, shape: tuple, result: np.dtype, fn: str) -> np.ndarray:
    out = _as_output(out, fn)
    if out.dtype.kind != "f" or out.dtype.itemsize > 8:
        raise TypeError(f"{fn}: out has dtype {out.dtype}; it must be float16, float32 or float64")
    if not np.can_cast(result, out.dtype, casting="same_kind"):
        raise TypeError(f"{fn}: cannot write a {result} result into out of dtype {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"{fn}: out has shape {out.shape}, but the result has shape {shape}")
    if not out.flags.writeable:
        raise ValueError(f"{fn}: output array is read-only")
    return out


def _broadcast_shape(fn: str, *arrays: np.ndarray) -> tuple:
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = " ".join(str(a.shape) for a in arrays)
        raise ValueError(f"{fn}: operands could not be broadcast together: {shapes}") from None


# -- execution -----------------------------------------------------------------------------
# float32/float64 in native byte order (dtype equality compares the byte order too), and
# float16 where the kernels convert it in registers (``_cpu.HALF_IN_REGISTERS``): each
# with the type its kernels take alpha as
_F16 = np.dtype(np.float16)
_NATIVE = {np.dtype(np.float32): np.float32, np.dtype(np.float64): np.float64}
if _cpu.HALF_IN_REGISTERS:
    _NATIVE[_F16] = np.float32


# np.may_share_memory without NumPy's __array_function__ dispatch, which took 0.15 of its
# 0.25 us (2026-12-06); _fast calls it on exact ndarrays only
_may_share = getattr(np.may_share_memory, "_implementation", np.may_share_memory)


def _plans(name: str) -> dict:
    """{dtype: plan} for kernel ``name``: for each dtype its kernels take directly (the keys
    of ``_NATIVE``), what ``_launch`` needs besides the arrays, ``(name, typ, half,
    parallel_from, unit)``: the type the kernels take alpha as, whether the arrays go as
    their float16 bits, the size from which on the parallel loop runs
    (``_cpu.parallel_from``) and whether the kernel has an alpha = 1 form
    (``_math.UNIT_ALPHA``).  Made once per name; clearing ``_PLANS`` makes them again from
    the current ``_cpu.parallel_from``.  Working these out on every call, as the API did
    until 2026-12-06, cost 10-14% of a call on 64 values (``elu(x, out=x)`` float32 1.53
    instead of 1.71-1.75 us, ``elu_grad(g, y=y, out=g)`` 2.39 instead of 2.59-2.77,
    together with the in-place check below taken first)."""
    plans = _PLANS.get(name)
    if plans is None:
        unit = name in _math.UNIT_ALPHA
        plans = _PLANS[name] = {
            dt: (name, typ, dt == _F16, _cpu.parallel_from(name, dt.itemsize), unit)
            for dt, typ in _NATIVE.items()
        }
    return plans


_PLANS: dict = {}


def _fast(name: str, inputs: list, alpha: float, out):
    """The common call without the general machinery, or None when it does not apply.

    Applies when every input is an ndarray (not 0-d) of one dtype the kernels take directly
    (``_NATIVE``: float32, float64, float16 where converted in registers) and one shape, all
    C-contiguous or all Fortran-contiguous, and ``out`` is None, one of the inputs (in
    place: the other input must not overlap it) or a separate writable ndarray of that
    dtype, shape and order that does not overlap them.  Anything else -- including every
    error -- goes down the general path, which checks and raises.  Saves ~5 us per call,
    which matters for small arrays.
    """
    x = inputs[0]
    if type(x) is not np.ndarray:
        return None
    plan = (_PLANS.get(name) or _plans(name)).get(x.dtype)
    if plan is None or not x.ndim:
        return None
    flags = x.flags
    if flags.c_contiguous:
        c = True
    elif flags.f_contiguous:  # Fortran order: the kernels run over memory order all the same
        c = False
    else:
        return None
    v = inputs[1] if len(inputs) == 2 else None  # a gradient's x or y
    if v is not None:  # (a loop over inputs[1:] cost 0.1 us)
        if type(v) is not np.ndarray or v.dtype != x.dtype or v.shape != x.shape:
            return None
        if not (v.flags.c_contiguous if c else v.flags.f_contiguous):
            return None
    if out is None:
        res, mode = np.empty_like(x), "out"  # in x's order
    elif out is x:
        # in place, the other input must not overlap: the loop writes x as it reads it.
        # (Out of place the two may overlap, as inputs only; checking there too cost
        # 0.1 us of a 2.4 us call, 2026-12-07.)
        if not flags.writeable or (v is not None and _may_share(v, x)):
            return None
        res, mode = x, "inplace"
    elif type(out) is np.ndarray:
        oflags = out.flags
        if not oflags.writeable:
            return None
        if out is v:  # in place into x/y (out is x was taken above)
            if _may_share(x, out):  # as above, the other way round
                return None
            mode = "inplace_v"
        else:
            mode = "out"
            if (
                out.dtype != x.dtype
                or out.shape != x.shape
                or not (oflags.c_contiguous if c else oflags.f_contiguous)
            ):
                return None
            for a in inputs:  # a loop: any() over a list of the calls cost 0.2 us more
                if _may_share(out, a):
                    return None
        res = out
    else:
        return None
    if x.ndim != 1:  # 1-D views in memory order (of a Fortran-ordered array: its C-ordered .T)
        inputs = [v.reshape(-1) if c else v.T.reshape(-1) for v in inputs]
        target = res.reshape(-1) if c else res.T.reshape(-1)
    else:
        target = res
    _launch(plan, mode, inputs, target, alpha)
    return res


def _flat(a: np.ndarray, shape: tuple, work: np.dtype):
    """A 1-D view in memory order of a, or None when a is not directly usable by a kernel."""
    if a.shape != shape or a.dtype != work:  # also rejects a non-native byte order
        return None
    if a.flags.c_contiguous:
        return a.reshape(-1)
    if a.flags.f_contiguous:
        return a.T.reshape(-1)  # a view (a.T is C-contiguous), faster than order="F"
    return None


def _same_layout(a: np.ndarray, b: np.ndarray) -> bool:
    return a.flags.c_contiguous == b.flags.c_contiguous or a.ndim <= 1


def _run(name: str, inputs: list, out: np.ndarray, alpha_w) -> None:
    """Run kernel ``name`` on inputs (all of out's shape) into ``out``: copies where needed."""
    shape, work = out.shape, np.dtype(type(alpha_w))
    if _cpu.HALF_IN_REGISTERS and out.dtype == _F16 and all(a.dtype == _F16 for a in inputs):
        work = _F16  # the float16 kernels (alpha stays float32)
    plan = _plans(name)[work]
    flats = [_flat(a, shape, work) for a in inputs]
    oflat = _flat(out, shape, work)
    direct = oflat is not None
    for f, a in zip(flats, inputs, strict=True):  # a loop: a generator in all() cost 0.5 us
        direct = direct and f is not None and _same_layout(a, out)
    if direct:
        mode, target = "out", oflat
        for i, a in enumerate(inputs):
            if not _may_share(a, out):  # ndarrays both (_as_input, _check_out)
                continue
            if a.__array_interface__["data"][0] == out.__array_interface__["data"][0] and (
                a.strides == out.strides or a.size <= 1
            ):
                mode = ("inplace", "inplace_v")[i] if mode == "out" else "copy"
            else:
                mode = "copy"  # partial overlap: read from a copy, as NumPy does
        if mode != "copy":
            return _launch(plan, mode, flats, target, alpha_w)
    # General path: contiguous native copies of the inputs, result into a contiguous buffer
    # (``np.broadcast_to`` only where a shape differs: it took 1.9 of a strided 64-value
    # view's 7.9 us, 2026-12-06)
    flats = [
        np.array(
            a if a.shape == shape else np.broadcast_to(a, shape), dtype=work, order="C", copy=True
        ).reshape(-1)
        for a in inputs
    ]
    if oflat is not None and out.flags.c_contiguous:
        _launch(plan, "out", flats, oflat, alpha_w)
    else:
        _launch(plan, "inplace", flats, flats[0], alpha_w)
        np.copyto(out, flats[0].reshape(shape), casting="same_kind")


def _launch(plan: tuple, mode: str, flats: list, target: np.ndarray, alpha) -> None:
    """Run the kernel of ``plan`` (``_plans``) with alpha as the arrays' scalar type: the
    parallel loop from the plan's size on when Numba may use more than one thread."""
    n = target.size
    if not n:
        return
    name, typ, half, parallel_from, unit = plan
    parallel = n >= parallel_from and _num_threads() > 1
    if half:  # float16 (native: the callers check): kernels take the bits
        kern = _cpu.loops(name, parallel, mode, True)
        flats, target = [f.view(np.uint16) for f in flats], target.view(np.uint16)
    else:
        kern = _cpu.loops(name, parallel, mode)
    # alpha = 1 runs the kernel compiled for it (same values, fewer operations).  A Python
    # float is compared first: comparing a NumPy scalar costs ~0.25 us, and Numba takes a
    # Python float (its float64) ~0.4 us faster than a NumPy scalar
    if type(alpha) is float and alpha == 1.0 and unit:
        alpha = None
    else:
        alpha = float(alpha) if typ is np.float64 else _alpha32(alpha, name)
        if unit and alpha == 1:  # e.g. 1 + 1e-9, 1.0 as float32 (a NumPy compare: 0.05 us)
            alpha = None
    args = (*flats, alpha) if mode != "out" else (*flats, target, alpha)
    if parallel and _needs_lock():
        with _parallel_lock:
            kern(*args)
    else:
        kern(*args)


def _alpha32(alpha, name: str) -> np.float32:
    """alpha as a NumPy float32 for kernel ``name``, kept per value: making one took 0.3 us,
    10% of a gradient call on 64 values (``elu_grad(g, y=y, out=g)``, 2026-12-06), and the
    float32 kernels take their alpha as float32.  At most 256 values are kept.

    A finite alpha beyond float32's range, and for CELU a positive one that rounds to 0,
    raise ValueError: the cast would make it inf or 0, and the result NaN (until 2026-12-07
    ``elu(x32, 1e39)`` gave NaN for x < 0 with NumPy's cast warning)."""
    a = _ALPHA32.get(alpha)
    if a is None:
        if not abs(float(alpha)) < _F32_OVERFLOW:  # float(): NumPy would cast the bound
            raise ValueError(
                f"{_public(name)}: alpha = {float(alpha)!r} overflows float32, the precision "
                "of float32 and float16 arrays (alpha is cast to it)"
            )
        a = np.float32(alpha)
        if a == 0 and alpha != 0 and name.startswith("celu"):
            raise ValueError(
                f"{_public(name)}: alpha = {float(alpha)!r} rounds to 0 in float32, the "
                "precision of float32 and float16 arrays; CELU needs alpha > 0"
            )
        if a != 0:  # 0.0 and -0.0 would share a key, and alpha's sign can show
            if len(_ALPHA32) >= 256:
                _ALPHA32.clear()
            _ALPHA32[alpha] = a
    return a


_F32_OVERFLOW = 2.0**128 - 2.0**103  # from here on (ties to even) a float64 casts to inf


def _public(name: str) -> str:
    """The public function of kernel ``name``: "celu_grad" for "celu_grad_x"."""
    return name[:-2] if name.endswith(("_grad_x", "_grad_y")) else name


def _alpha_in(work: np.dtype, alpha: float, name: str):
    """alpha as the NumPy scalar of the dtype the kernel computes in (``_alpha32``'s checks
    for float32)."""
    return np.float64(alpha) if work == np.float64 else _alpha32(alpha, name)


_ALPHA32: dict = {}


def _num_threads() -> int:
    """``numba.get_num_threads()``: the calling thread's setting, without its lock.

    Numba's function takes a process-wide ``multiprocessing`` lock on every call (to start
    the threading layer once).  Between two parallel launches that cost 1-2 us per call, 2%
    of ``elu(x, out=x)`` on 2^20 float32 values and a quarter of it at 2^15 (Zen 4 VM, omp,
    2026-12-05).  Once the layer has started, Numba's C getter, which its function calls
    after the lock, gives the same value in 0.1 us; it is kept in ``_THREADS_GETTER`` from
    then on (the two lookups on the module took another 0.1-0.2 us, 2026-12-06).
    It is Numba-internal (0.60 to 0.68 have it): where it is missing, or before the layer
    started, the public function."""
    getter = _THREADS_GETTER[0]
    if getter is not None:
        return getter()
    getter = getattr(_parallel, "_get_num_threads", None)
    if getter is None or not getattr(_parallel, "_is_initialized", False):
        return numba.get_num_threads()
    _THREADS_GETTER[0] = getter
    return getter()


_THREADS_GETTER = [None]  # _parallel._get_num_threads once the threading layer has started
_LOCK_FREE = [False]  # True once the threading layer is known to take concurrent launches


def _needs_lock() -> bool:
    """The workqueue threading layer aborts on concurrent launches: serialize them there.

    A process's threading layer is chosen once, at its first parallel launch, and never
    changes: once it is known to be safe, that answer is kept (asking Numba took 0.1-0.2 us
    more per call, 2026-12-06)."""
    if _LOCK_FREE[0]:
        return False
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel launch yet in this process
        return True
    _LOCK_FREE[0] = layer in CONCURRENT_SAFE_LAYERS
    return not _LOCK_FREE[0]


def _finish(res: np.ndarray, scalar_input: bool):
    return res[()] if scalar_input else res


def _unary(name: str, fn: str, x, alpha: float, out):
    res = _fast(name, [x], alpha, out)
    if res is not None:
        return res
    backend = _backend((x, out))
    if backend is not None:
        return backend.dispatch(name, [x], alpha, out)
    xa = _as_input(x, "x")
    result = _result_dtype(xa)
    if out is None:
        order = "F" if xa.flags.f_contiguous and not xa.flags.c_contiguous else "C"
        res = np.empty(xa.shape, dtype=result, order=order)
    else:
        res = _check_out(out, xa.shape, result, fn)
    work = _work_dtype(result)
    _run(name, [xa], res, _alpha_in(work, alpha, name))
    return _finish(res, xa.ndim == 0) if out is None else out


# the gradient kernels by activation and input: "elu_grad_x" for ("elu", "x")
_GRAD_KERNELS = {(a, w): f"{a}_grad_{w}" for a in ("elu", "selu", "celu", "relu") for w in "xy"}


def _grad(name: str, fn: str, grad, x, y, alpha: float, out):
    if (x is None) == (y is None):
        raise TypeError(f"{fn}() needs exactly one of x= (the input) or y= (the output)")
    which, v = ("x", x) if y is None else ("y", y)
    kernel = _GRAD_KERNELS[name, which]
    res = _fast(kernel, [grad, v], alpha, out)
    if res is not None:
        return res
    backend = _backend((grad, v, out))
    if backend is not None:
        return backend.dispatch(kernel, [grad, v], alpha, out)
    ga, va = _as_input(grad, "grad"), _as_input(v, which)
    shape = _broadcast_shape(fn, ga, va)
    result = _result_dtype(ga, va)
    if out is None:
        res = np.empty(shape, dtype=result)
    else:
        res = _check_out(out, shape, result, fn)
    work = _work_dtype(result)
    _run(kernel, [ga, va], res, _alpha_in(work, alpha, kernel))
    return _finish(res, len(shape) == 0) if out is None else out


# -- the public functions ------------------------------------------------------------------
Array = NDArray[np.floating]


def elu(x: ArrayLike, alpha: float = 1.0, *, out: Array | None = None) -> Array:
    """Exponential Linear Unit, elementwise: ``x if x > 0 else alpha * expm1(x)``.

    ``x <= 0`` takes the exponential branch (both give 0 at 0; ``-0.0`` stays ``-0.0``).
    NaN propagates, ``elu(-inf) = -alpha``, ``elu(+inf) = +inf``.  float32 and float64 keep
    their dtype (``alpha`` is cast to it), float16 is computed in float32, integers and bools
    give float64.  Pass ``out=x`` to work in place; the function returns ``out``.

    Raises TypeError for complex/object input or an ``out`` of the wrong type or dtype, and
    ValueError for a wrong ``out`` shape, a read-only ``out``, a non-finite ``alpha`` or, for
    float32 and float16 arrays, one beyond float32's range;
    nothing is written when it raises.
    """
    return _unary("elu", "elu", x, _check_alpha(alpha, "elu"), out)


def selu(x: ArrayLike, *, out: Array | None = None) -> Array:
    """Scaled ELU: ``SELU_SCALE * (x if x > 0 else SELU_ALPHA * expm1(x))``.

    Same dtypes, in-place use and errors as :func:`elu`.
    """
    return _unary("selu", "selu", x, 1.0, out)


def celu(x: ArrayLike, alpha: float = 1.0, *, out: Array | None = None) -> Array:
    """Continuously differentiable ELU: ``x if x > 0 else alpha * expm1(x / alpha)``.

    ``alpha`` must be > 0 (ValueError otherwise).  Same dtypes, in-place use and errors as
    :func:`elu`.
    """
    return _unary("celu", "celu", x, _check_alpha(alpha, "celu", positive=True), out)


def relu(x: ArrayLike, *, out: Array | None = None) -> Array:
    """Rectified Linear Unit, the baseline: ``x if x > 0 else 0`` (NaN propagates).

    Same dtypes, in-place use and errors as :func:`elu`.
    """
    return _unary("relu", "relu", x, 0.0, out)


_GRAD_DOC = """

    Give exactly one of ``x=`` (the forward input) or ``y=`` (the forward output, which lets
    a training loop overwrite x with y).  ``grad`` and ``x``/``y`` broadcast together.  The
    branch at 0 is the exponential one.  NaN in ``grad`` or ``x``/``y`` gives NaN.  From
    ``y`` the formula needs ``alpha >= 0`` (ValueError otherwise) and loses the tiny gradient
    once ``y`` has saturated to ``-alpha`` (x < -17 in float32, x < -37 in float64); the
    ``x=`` path keeps it.  In place is ``out=grad``.  Errors as for the forward functions.
    """


def elu_grad(
    grad: ArrayLike,
    *,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
    alpha: float = 1.0,
    out: Array | None = None,
) -> Array:
    a = _check_alpha(alpha, "elu_grad", nonnegative=y is not None)
    return _grad("elu", "elu_grad", grad, x, y, a, out)


def selu_grad(
    grad: ArrayLike,
    *,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
    out: Array | None = None,
) -> Array:
    return _grad("selu", "selu_grad", grad, x, y, 1.0, out)


def celu_grad(
    grad: ArrayLike,
    *,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
    alpha: float = 1.0,
    out: Array | None = None,
) -> Array:
    a = _check_alpha(alpha, "celu_grad", positive=True)
    return _grad("celu", "celu_grad", grad, x, y, a, out)


def relu_grad(
    grad: ArrayLike,
    *,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
    out: Array | None = None,
) -> Array:
    return _grad("relu", "relu_grad", grad, x, y, 0.0, out)


elu_grad.__doc__ = "Gradient of :func:`elu`: ``grad if x > 0 else grad * alpha * exp(x)``;" + (
    " from y: ``grad * (y + alpha)`` where y <= 0." + _GRAD_DOC
)
selu_grad.__doc__ = (
    "Gradient of :func:`selu`: ``grad * SELU_SCALE`` where x > 0, else "
    "``grad * SELU_SCALE_ALPHA * exp(x)``; from y: ``grad * (y + SELU_SCALE_ALPHA)`` "
    "where y <= 0 (``SELU_SCALE_ALPHA``: the float64 nearest SELU_SCALE * SELU_ALPHA)." + _GRAD_DOC
)
celu_grad.__doc__ = (
    "Gradient of :func:`celu`: ``grad if x > 0 else grad * exp(x / alpha)``; from y: "
    "``grad * (y / alpha + 1)`` where y <= 0.  ``alpha`` must be > 0." + _GRAD_DOC
)
relu_grad.__doc__ = (
    "Gradient of :func:`relu`: ``grad if x > 0 else 0`` (the same from y)." + _GRAD_DOC
)
